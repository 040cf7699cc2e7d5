package docapproval

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/stream"
)

// Result is how a review ended.
type Result struct {
	// Phase is hitl.PhaseApproved, PhaseRejected or PhaseTimedOut.
	Phase hitl.Phase `json:"phase"`
	// Document is the approved version (or the last one, when not approved).
	Document Document `json:"document"`
	// By is the reviewer who approved last, or who rejected; Reason the
	// rejection's reason.
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Persisted is the approved record; zero unless approved.
	Persisted PersistResult `json:"persisted"`
	// AuditCount counts the review's audit entries. The entries are not
	// repeated in the result, whose size would grow with every round of
	// the review: read them with hitl.GetStatus (Status.Audit, answered
	// by a worker for a closed review too); workflow history holds every
	// decision.
	AuditCount int `json:"audit_count"`
	// Stopped is the usage of the revisions reviewers stopped after the
	// last version: Document.Usage plus Stopped is what the review's LLM
	// calls were billed.
	Stopped llm.Usage `json:"stopped,omitzero"`
}

// Approved reports whether the review ended approved (and persisted).
func (r Result) Approved() bool { return r.Phase == hitl.PhaseApproved }

// WorkflowID is the workflow ID the starter and [RunDemo] give the review
// of docID: one review per document at a time.
func WorkflowID(docID string) string { return "docapproval-" + docID }

// RegisterWorkflow registers [Review] under [WorkflowName], for workers
// and replayers.
func RegisterWorkflow(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(Review, workflow.RegisterOptions{Name: WorkflowName})
}

// LLMActivityOptions are the options of the draft and revise activities:
// the llm package's preset (5 min per attempt, heartbeats, 4 attempts from
// 2 s backoff up to a minute), waiting for a cancelled call to report
// (WaitForCancellation, which the SDK keeps to itself: a stopped call's
// partial text and usage reach the workflow). The policy lists no
// non-retryable error types: every final error these activities return is
// created non-retryable where it arises (llm's classification, idem's
// [idem.ErrTypeKeyReused] and [idem.ErrTypeInvalid], [ErrTypeInvalidInput],
// a draft store holding other text), and a list would be recorded in
// history with every revision (about 200 bytes each).
func LLMActivityOptions(summary string) workflow.ActivityOptions {
	o := llm.ActivityOptions(summary)
	o.RetryPolicy = durable.RetryPolicy(2*time.Second, time.Minute, llm.DefaultAttempts)
	o.WaitForCancellation = true
	return o
}

// PersistActivityOptions are the options of the persist activity: 30 s per
// attempt, 5 min in all, 6 attempts from 1 s backoff doubling up to 30 s
// (the seed's policy), with invalid input and conflicts final.
func PersistActivityOptions(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy:            durable.RetryPolicy(time.Second, 30*time.Second, 6, ErrTypeInvalidInput, ErrTypeConflict),
		Summary:                summary,
	}
}

// PersistLocalActivityOptions are the options of the persist step when it
// runs as a local activity (reviews [hitl.Open] started, see [Review]):
// the same timeouts and retries as [PersistActivityOptions].
func PersistLocalActivityOptions(summary string) workflow.LocalActivityOptions {
	o := PersistActivityOptions(summary)
	return workflow.LocalActivityOptions{
		StartToCloseTimeout:    o.StartToCloseTimeout,
		ScheduleToCloseTimeout: o.ScheduleToCloseTimeout,
		RetryPolicy:            o.RetryPolicy,
		Summary:                summary,
	}
}

// Review is the document-approval workflow. It validates in (a bad doc_id
// or a prompt under [MinPromptChars] fails the workflow at once with a
// non-retryable [ErrTypeInvalidInput] error, before any activity), drafts
// version 1 with one LLM call ("llm: draft v1"), then runs a hitl review:
// each edit is one LLM revision ("llm: revise v2", ...), an approval
// persists the approved version once ("persist <doc_id> v<N>") and ends
// the workflow; a rejection ends it without persisting.
//
// In a review [hitl.Open] started ([hitl.RecordingQuiet]) the persist step
// is a local activity: the approval's workflow task runs it and completes
// the workflow, one workflow task and one activity task fewer per review
// (the step is a short, idempotent file write: a repeat finds the record
// and returns it). Reviews started otherwise, and those recorded before,
// persist in an activity, so their histories replay.
//
// Reviewers use the hitl update [hitl.UpdateDecide] (hitl.Approve,
// hitl.Edit, hitl.Reject, the hitlhttp page) or the seed's signals
// submit_edit and approve. Register it with [Register] or [RegisterWorkflow].
func Review(ctx workflow.Context, in Input) (Result, error) {
	if err := in.Validate(); err != nil {
		return Result{}, invalidInput(err)
	}
	// The model's text goes to this stream as it is written, on workers
	// with Config.Live (the review page shows it live); registered before
	// anything blocks.
	str, err := stream.New(ctx, stream.Options{State: in.Stream})
	if err != nil {
		return Result{}, err
	}
	// Reviewers stop or redirect the draft or revision being written
	// (llm.Stop, llm.Redirect, the review page). Registering the handlers
	// writes nothing to the history: reviews recorded before still replay.
	steer, err := llm.NewSteering(ctx)
	if err != nil {
		return Result{}, err
	}
	// The usage of revisions stopped since the current version: the next
	// version's Interrupted, or the Result's Stopped.
	stopped := in.Stopped
	info := workflow.GetInfo(ctx)
	localPersist := hitl.RecordingOf(ctx, in.Resume) >= hitl.RecordingQuiet
	var persisted PersistResult
	res, err := hitl.Run(ctx, hitl.Config[Document]{
		Draft: func(ctx workflow.Context) (Document, error) {
			g, err := generate(ctx, steer, CallLabel(1), func(ctx workflow.Context, redirects []string, summary string) (Document, error) {
				return durable.Execute[Document](ctx, ActivityDraft, DraftInput{
					DocID: in.DocID, Prompt: in.Prompt, Model: in.Model, StreamTopic: StreamTopic, Redirects: redirects,
				}, LLMActivityOptions(summary))
			})
			doc := g.doc
			if doc.Stopped { // stopped: version 1 is what the model had written
				doc.DocID, doc.Version, doc.Source = in.DocID, 1, SourceDraft
			}
			doc.Interrupted = g.interrupted
			if doc.Usage.Calls == 0 { // the activity reports its call; results recorded earlier hold both
				doc.Usage = addUsage(doc.Call, doc.Interrupted)
			}
			return doc, err
		},
		Revise: func(ctx workflow.Context, cur Document, d hitl.Decision) (Document, error) {
			v := cur.Version + 1
			g, err := generate(ctx, steer, CallLabel(v), func(ctx workflow.Context, redirects []string, summary string) (Document, error) {
				return durable.Execute[Document](ctx, ActivityRevise, ReviseInput{
					DocID: in.DocID, Version: v, Base: cur.Text, BaseRef: bare(cur.Ref),
					Instructions: d.Instructions, Text: d.Text, Model: in.Model, StreamTopic: StreamTopic, Redirects: redirects,
				}, LLMActivityOptions(summary))
			})
			if err != nil {
				return Document{}, err
			}
			if g.stop != nil { // the review stays on cur; the usage goes to the next version
				stopped = addUsage(stopped, addUsage(g.interrupted, g.doc.Call))
				return Document{}, stoppedError(cur.Version, g)
			}
			next := g.doc
			next.Interrupted = addUsage(stopped, g.interrupted)
			stopped = llm.Usage{}
			next.Usage = addUsage(addUsage(cur.Usage, next.Interrupted), next.Call)
			return next, nil
		},
		// Persist inside the review (Finish), so a decision that arrives
		// meanwhile is recorded in the audit trail instead of lost.
		Finish: func(ctx workflow.Context, res hitl.Result[Document]) error {
			if !res.Approved() {
				return nil
			}
			doc := res.Artifact
			pin := PersistInput{
				DocID: doc.DocID, Version: doc.Version, Content: doc.Text, ContentRef: bare(doc.Ref),
				ApprovedBy: res.By, WorkflowID: info.WorkflowExecution.ID,
				FailFirstAttempt: in.InjectTransientFailure,
			}
			summary := fmt.Sprintf("persist %s v%d", doc.DocID, doc.Version)
			var err error
			if localPersist {
				persisted, err = durable.ExecuteLocal[PersistResult](ctx, ActivityPersist, pin, PersistLocalActivityOptions(summary))
			} else {
				persisted, err = durable.Execute[PersistResult](ctx, ActivityPersist, pin, PersistActivityOptions(summary))
			}
			return err
		},
		Stages:             in.Stages,
		MaxDecisionsPerRun: in.MaxDecisionsPerRun,
		UpsertRevising:     in.UpsertRevising,
		ContinueAsNew: func(ctx workflow.Context, s *hitl.State[Document]) error {
			next := in
			next.Resume, next.Stopped = s, stopped
			return str.ContinueAsNew(ctx, WorkflowName, func(st *stream.State) []any {
				next.Stream = st
				return []any{next}
			})
		},
	}, in.Resume)
	if errors.Is(err, hitl.ErrInvalidConfig) {
		return Result{}, invalidInput(err)
	}
	if _, cont := errors.AsType[*workflow.ContinueAsNewError](err); !cont {
		if derr := str.Drain(ctx); err == nil && derr != nil {
			return Result{}, derr
		}
	}
	return Result{
		Phase: res.Phase, Document: res.Artifact, By: res.By, Reason: res.Reason,
		Persisted: persisted, AuditCount: res.AuditCount, Stopped: stopped,
	}, err
}

// addUsage sums two usages field by field.
func addUsage(a, b llm.Usage) llm.Usage {
	return llm.Usage{
		Calls:            a.Calls + b.Calls,
		PromptTokens:     a.PromptTokens + b.PromptTokens,
		CompletionTokens: a.CompletionTokens + b.CompletionTokens,
		CostUSD:          a.CostUSD + b.CostUSD,
		PricedTokens:     a.PricedTokens + b.PricedTokens,
		UnknownCostCalls: a.UnknownCostCalls + b.UnknownCostCalls,
		EstimatedCalls:   a.EstimatedCalls + b.EstimatedCalls,
	}
}
