package llm

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
)

// FinishReasonStopped is the FinishReason of an answer stopped before its
// end (see [Response.Stopped]).
const FinishReasonStopped = "stopped"

// cancelledByTemporal reports whether the attempt's context was cancelled
// because its workflow cancelled the activity: a steer ([UpdateSteer]) or
// the workflow's own cancellation, delivered with a heartbeat. A worker
// shutting down, a pause, a reset or a lost claim are not.
func cancelledByTemporal(ctx context.Context) bool {
	if ctx.Err() == nil || !activity.IsActivity(ctx) {
		return false
	}
	var ce *temporal.CanceledError
	return errors.As(context.Cause(ctx), &ce)
}

// stopped is the outcome of an attempt its workflow cancelled: a
// [*temporal.CanceledError] whose details hold the partial answer, which
// reaches the workflow when it waits for the cancellation
// (WaitForCancellation, as [WithSteering] sets). got is what the provider
// returned when it was told to stop (a cancelled background response, with
// its output and billed usage), text what the attempt received before.
func (a *Activities) stopped(req Request, ep *endpoint, got Response, text string, attempt int32) error {
	p := got
	if p.Text == "" && len(p.ToolCalls) == 0 {
		p.Text = text
	}
	if p.PromptTokens+p.CompletionTokens == 0 {
		p.UsageEstimated = true
	}
	if p.UsageEstimated {
		estimateUsage(req, &p)
	}
	p.FinishReason, p.Stopped = FinishReasonStopped, true
	p.Attempt, p.ModelName = attempt, ep.name
	if p.Model == "" {
		p.Model = ep.id
	}
	p.CostUSD, p.CostKnown = a.cost(ep, p)
	return temporal.NewCanceledError(p)
}

// stoppedAnswer returns the partial answer an activity cancelled by its
// workflow reported with its cancellation (see [Activities.stopped]).
func stoppedAnswer(err error) (Response, bool) {
	var ce *temporal.CanceledError
	if !errors.As(err, &ce) || !ce.HasDetails() {
		return Response{}, false
	}
	var p Response
	if ce.Details(&p) != nil {
		return Response{}, false
	}
	return p, true
}

// WorkerOptions returns o with MaxHeartbeatThrottleInterval at most
// [Config.HeartbeatInterval]. A running call learns that its workflow
// cancelled it (a [Stop], a [Redirect], the workflow's cancellation) from
// the answer to a heartbeat, and the SDK sends heartbeats to the server at
// most every 0.8 × HeartbeatTimeout (8 s with [ActivityOptions]) unless
// the worker caps that interval: with these options the cancellation
// reaches the call within one heartbeat interval (2 s by default), at the
// price of one heartbeat call per interval for each running call. Build
// the worker that registers a with them:
//
//	w := worker.New(c, queue, acts.WorkerOptions(worker.Options{}))
func (a *Activities) WorkerOptions(o worker.Options) worker.Options {
	if o.MaxHeartbeatThrottleInterval <= 0 || o.MaxHeartbeatThrottleInterval > a.cfg.HeartbeatInterval {
		o.MaxHeartbeatThrottleInterval = a.cfg.HeartbeatInterval
	}
	return o
}
