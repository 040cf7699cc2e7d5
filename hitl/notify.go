package hitl

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// NoticeKind says why [Config.Notify] is called.
type NoticeKind string

// Notice kinds, in the order a review that nobody decides sees them.
const (
	// NoticeOpened: version 1 exists; the first stage's reviewers may decide.
	NoticeOpened NoticeKind = "opened"
	// NoticeReady: a version is ready for a stage's reviewers: a new
	// version after an edit, the next stage after an approval, or the
	// first stage again after a request for changes.
	NoticeReady NoticeKind = "ready"
	// NoticeReminder: the stage's deadline passed; remind its pending reviewers.
	NoticeReminder NoticeKind = "reminder"
	// NoticeEscalation: the escalation reviewers were added to the stage.
	NoticeEscalation NoticeKind = "escalation"
	// NoticeTimeout: the last deadline passed and the stage's OnTimeout
	// policy applied (Policy says which).
	NoticeTimeout NoticeKind = "timeout"
)

// Notice is what [Config.Notify] receives.
type Notice struct {
	// Kind says why the notice is sent.
	Kind NoticeKind `json:"kind"`
	// WorkflowID identifies the review.
	WorkflowID string `json:"workflow_id"`
	// Stage and Version locate the review.
	Stage   string `json:"stage"`
	Version int    `json:"version"`
	// Reviewers are the people to notify: the stage's reviewers for an
	// opened or ready notice (empty when anyone may decide), the pending
	// reviewers for a reminder, the escalation reviewers for an escalation,
	// the pending ones for a timeout.
	Reviewers []string `json:"reviewers,omitempty"`
	// Due is the stage's deadline (zero when none, and for a timeout).
	Due time.Time `json:"due,omitzero"`
	// Policy is the policy applied, for NoticeTimeout.
	Policy TimeoutPolicy `json:"policy,omitempty"`
	// Excerpt is the head of the current draft.
	Excerpt string `json:"excerpt"`
	// ChangesRequested is the comment of the request for changes that sent
	// the review back to the first stage (NoticeReady only).
	ChangesRequested string `json:"changes_requested,omitempty"`
}

// NotifyActivity returns a [Config.Notify] that runs activity (a function
// or registered name taking a [Notice] and returning error) with opts, for
// example durable.Quick("notify reviewers").
func NotifyActivity(activity any, opts workflow.ActivityOptions) func(workflow.Context, Notice) error {
	return func(ctx workflow.Context, n Notice) error {
		ctx = workflow.WithActivityOptions(ctx, opts)
		return workflow.ExecuteActivity(ctx, activity, n).Get(ctx, nil)
	}
}
