package baseline

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Wire names, as in the seed.
const (
	// TaskQueue is the seed's task queue.
	TaskQueue = "doc-approval-q"
	// SignalSubmitEdit carries the reviewer's edits (a string).
	SignalSubmitEdit = "submit_edit"
	// SignalApprove approves the current draft (no argument).
	SignalApprove = "approve"
	// QueryStatus returns a [Status].
	QueryStatus = "status"
)

// Input starts a [DocumentWorkflow].
type Input struct {
	DocID  string `json:"doc_id"`
	Prompt string `json:"prompt"`
	Model  string `json:"model,omitempty"`
	// StartToClose is the activities' per-attempt timeout; 0 means the
	// seed's 60 s. The benchmarks shorten it so a killed worker's activity
	// is retried within seconds.
	StartToClose time.Duration `json:"start_to_close,omitempty"`
}

// Status is the answer of the [QueryStatus] query.
type Status struct {
	DocID           string `json:"doc_id"`
	Version         int    `json:"version"`
	Approved        bool   `json:"approved"`
	HasPendingEdits bool   `json:"has_pending_edits"`
	CurrentExcerpt  string `json:"current_excerpt"`
}

// DocumentWorkflow is the seed's workflow: draft, then revise on every
// submit_edit signal until an approve signal, then persist the current
// version.
func DocumentWorkflow(ctx workflow.Context, in Input) (Final, error) {
	var (
		current  *Doc
		version  = 1
		approved bool
		pending  *string
	)
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalSubmitEdit)
		for {
			var edits string
			ch.Receive(ctx, &edits)
			pending = &edits
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, SignalApprove).Receive(ctx, nil)
		approved = true
	})
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) {
		st := Status{DocID: in.DocID, Version: version, Approved: approved, HasPendingEdits: pending != nil}
		if current != nil {
			st.CurrentExcerpt = excerpt(current.Draft)
		}
		return st, nil
	}); err != nil {
		return Final{}, err
	}

	stc := in.StartToClose
	if stc == 0 {
		stc = 60 * time.Second
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    stc,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        6,
			NonRetryableErrorTypes: []string{ErrTypeValidation},
		},
	})

	var a *Activities
	var d Doc
	if err := workflow.ExecuteActivity(ctx, a.GenerateDraft, in.DocID, in.Prompt, version, in.Model).Get(ctx, &d); err != nil {
		return Final{}, err
	}
	current = &d

	for {
		if err := workflow.Await(ctx, func() bool { return approved || pending != nil }); err != nil {
			return Final{}, err
		}
		if approved {
			break
		}
		edits := *pending
		pending = nil
		version++
		var next Doc
		if err := workflow.ExecuteActivity(ctx, a.ReviseDraft, in.DocID, current.Draft, edits, version, in.Model).Get(ctx, &next); err != nil {
			return Final{}, err
		}
		current = &next
	}

	var final Final
	err := workflow.ExecuteActivity(ctx, a.PersistFinal, in.DocID, current.Draft, version).Get(ctx, &final)
	return final, err
}

func excerpt(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
