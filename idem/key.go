package idem

import (
	"context"

	"go.temporal.io/sdk/activity"
)

type keyCtx struct{}

// KeyFrom returns the idempotency key of the wrapped call running with ctx.
// Inside the body of a [Wrap]ped function (and its reconcile hook) it is
// always set; send it as an Idempotency-Key header to APIs that accept one,
// so that even a body that runs twice (after a takeover) is charged once.
func KeyFrom(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(keyCtx{}).(string)
	return k, ok
}

// WithKeyContext returns ctx carrying key, as [KeyFrom] reads it. [Wrap] does
// this for its body; use it to call a body directly in tests.
func WithKeyContext(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyCtx{}, key)
}

// DefaultKey is the key [Wrap] uses without [WithKey]: derived from
// [activity.GetInfo], it is
//
//	<workflow run ID>/<activity ID>          for an activity
//	<workflow run ID>/local/<activity ID>    for a local activity
//	activity/<activity ID>/<activity run ID> for a standalone activity
//
// and "" outside an activity. It is the same for every attempt of one
// scheduled activity and different for every other activity, including
// across continue-as-new: activity IDs are per-run sequence numbers ("1",
// "2", ...) that a new run repeats, so the run ID is part of the key rather
// than the workflow ID. A reset starts a new run, so the activities it
// re-executes get new keys and run again; use a business key ([WithKey]) for
// side effects that a reset must not repeat. Local and regular activities
// number their IDs separately, hence "local".
func DefaultKey(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return ""
	}
	info := activity.GetInfo(ctx)
	switch {
	case info.WorkflowExecution.RunID == "":
		return "activity/" + info.ActivityID + "/" + info.ActivityRunID
	case info.IsLocalActivity:
		return info.WorkflowExecution.RunID + "/local/" + info.ActivityID
	default:
		return info.WorkflowExecution.RunID + "/" + info.ActivityID
	}
}
