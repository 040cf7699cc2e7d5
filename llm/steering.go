package llm

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Steering lets people stop or redirect the calls of a running workflow
// while they generate. [NewSteering] registers the [UpdateSteer] update
// and the [QuerySteering] query; calls made [WithSteering] can then be
// steered, and so can the workflow's own activities run with
// [Steering.Run]: [Stop], [Redirect] and [Steer] send the update from any
// client.
//
// A steer cancels the activity of every steerable call in flight. The
// cancellation reaches the activity with its next heartbeat (within
// [Config.HeartbeatInterval] on a worker built with
// [Activities.WorkerOptions]); the activity stops reading, cancels the
// provider's response on [APIResponsesBackground] (which stops the
// billing) and reports the partial text and the usage billed so far, which
// the call records in [Response.Steers] and charges to its [Budget]. A stop
// returns the partial answer marked [Response.Stopped]; a redirect asks
// again, with the partial text as an assistant message and the person's
// message as a user message appended to the conversation, and that call
// can be steered in turn. The update returns once the calls it reached
// have settled.
//
// Cancelling the workflow cancels its steerable calls the same way:
// [Complete] then returns the partial answer with the cancellation error.
//
// It runs in workflow code only and is deterministic. Create one per
// workflow run, before the calls; it needs no lock (workflow code runs one
// coroutine at a time). Before the workflow returns or continues as new,
// wait for the handlers: workflow.Await(ctx, workflow.AllHandlersFinished).
type Steering struct {
	calls []*steeredCall
}

// steeredCall is one steerable call in flight.
type steeredCall struct {
	label  string
	cancel workflow.CancelFunc
	steer  *SteerRequest // set by the steer that reached it
	done   bool
	// What the steer found, once done: whether the call had its answer,
	// and the usage it reported.
	finished bool
	usage    Usage
}

// NewSteering registers the [UpdateSteer] update and the [QuerySteering]
// query on the workflow and returns the steering to give to calls with
// [WithSteering], or to run the workflow's own activities with
// [Steering.Run]. Registering them writes nothing to the history, so a
// workflow that starts to call it still replays the histories recorded
// before. It runs in workflow code only; call it once per run.
func NewSteering(ctx workflow.Context) (*Steering, error) {
	st := &Steering{}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateSteer, st.handle,
		workflow.UpdateHandlerOptions{Validator: st.validate, Description: "stop or redirect the LLM calls in flight"}); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, QuerySteering, st.status); err != nil {
		return nil, err
	}
	return st, nil
}

// WithSteering makes the call steerable by st (see [Steering]): its
// activity is cancellable and waits for the cancellation to be reported
// (WaitForCancellation), so the partial answer reaches the workflow.
func WithSteering(st *Steering) CallOption {
	return func(c *callConfig) { c.steering = st }
}

// steerable returns the calls in flight s would reach.
func (st *Steering) steerable(s SteerRequest) []*steeredCall {
	var out []*steeredCall
	for _, c := range st.calls {
		if !c.done && c.steer == nil && s.reaches(c.label) {
			out = append(out, c)
		}
	}
	return out
}

func (st *Steering) status() (SteeringStatus, error) {
	s := SteeringStatus{InFlight: []string{}}
	for _, c := range st.steerable(SteerRequest{}) {
		s.InFlight = append(s.InFlight, c.label)
	}
	return s, nil
}

// validate rejects a bad steer, or one that would reach no call, before
// anything is written to the history.
func (st *Steering) validate(_ workflow.Context, s SteerRequest) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if len(st.steerable(s)) == 0 {
		return notSteerable(s)
	}
	return nil
}

func notSteerable(s SteerRequest) error {
	if s.Call != "" {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("llm: nothing to %s: call %q is not generating (it has ended, has not started, or is already being stopped or redirected); see what is in flight with query %q",
				s.Action, s.Call, QuerySteering), ErrTypeNotSteerable, nil)
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("llm: nothing to %s: no steerable call is generating (none in flight, or those in flight are already being stopped or redirected); send it again while a call runs (query %q)",
			s.Action, QuerySteering), ErrTypeNotSteerable, nil)
}

// handle cancels every steerable call in flight and waits until each has
// recorded what it got.
func (st *Steering) handle(ctx workflow.Context, s SteerRequest) (SteerResult, error) {
	targets := st.steerable(s)
	if len(targets) == 0 {
		return SteerResult{}, notSteerable(s)
	}
	for _, c := range targets {
		c.steer = &s
		c.cancel()
	}
	if err := workflow.Await(ctx, func() bool {
		return !slices.ContainsFunc(targets, func(c *steeredCall) bool { return !c.done })
	}); err != nil {
		return SteerResult{}, err
	}
	var r SteerResult
	for _, c := range targets {
		if c.finished {
			r.Finished++
			continue
		}
		r.Interrupted++
		r.Usage.addUsage(c.usage)
	}
	return r, nil
}

// Run runs call as one steerable call, shown as label by the
// [QuerySteering] query while it runs, and returns the steer that reached
// it (nil if none) with call's error. It is how a workflow makes its own
// activity steerable, one that wraps an LLM call with work of its own
// (an idempotency record, a store for the text); [WithSteering] does the
// same for [Complete]. It runs in workflow code only.
//
// call runs with a context that a steer cancels; it starts its activity
// on that context and returns the usage the activity paid, whatever its
// error (zero if unknown), which the steer's [SteerResult] adds up. A
// steer that reaches the call after its answer arrived (call returns a
// nil error) counts as Finished; any other steered call as Interrupted.
// The steer's update returns once every call it reached has returned, so
// call should return soon after its context is cancelled (work it must
// finish, such as storing an answer that had arrived, can run on a
// workflow.NewDisconnectedContext).
//
// For the cancellation to reach the activity and its partial result to
// reach the workflow, the activity
//   - is started with WaitForCancellation set in its
//     workflow.ActivityOptions (without it call returns at once, and the
//     partial result is lost) and a HeartbeatTimeout;
//   - heartbeats while it works (activity.RecordHeartbeat), on a worker
//     whose MaxHeartbeatThrottleInterval is capped as
//     [Activities.WorkerOptions] does, and stops when its context is done;
//   - reports what it had when cancelled as the details of the error it
//     returns, temporal.NewCanceledError(partial), a value holding the
//     partial text (or a reference to it) and the usage billed so far.
//     The llm activities report a [Response] so: an activity that wraps
//     [Activities.Complete] can return its error, or one made from it.
//     Read it in call with errors.As for a *temporal.CanceledError and
//     its Details; a call cancelled before its activity ran has none.
//
// What to do with the steer is the caller's: after a [SteerStop], keep
// the partial result; after a [SteerRedirect], run the call again with
// [SteerRequest.Message] added to its input, under a label of its own
// ("draft (redirect 1)"). With a steer, a canceled error (or a timeout:
// a cancelled activity whose worker died) is the steer's doing; any other
// error is the call's own failure, from before the steer reached it.
//
// A nil Steering runs call as it is: nothing can steer it.
func (st *Steering) Run(ctx workflow.Context, label string, call func(ctx workflow.Context) (Usage, error)) (*SteerRequest, error) {
	if st == nil {
		_, err := call(ctx)
		return nil, err
	}
	cctx, cancel := workflow.WithCancel(ctx)
	c := &steeredCall{label: label, cancel: cancel}
	st.calls = append(st.calls, c)
	u, err := call(cctx)
	cancel()
	st.calls = slices.DeleteFunc(st.calls, func(x *steeredCall) bool { return x == c })
	c.finished, c.usage, c.done = err == nil, u, true
	return c.steer, err
}

// complete runs req as steerable activities ([Steering.Run]) until one
// is neither stopped nor redirected, or one is stopped.
func (st *Steering) complete(ctx workflow.Context, req Request, c callConfig) (Response, error) {
	var (
		steers []Steered
		total  Usage
		label  = req.label()
	)
	for n := 1; ; n++ {
		o := c.activityOptions(req)
		o.WaitForCancellation = true
		cc := c
		cc.opts = &o
		var resp Response
		steer, err := st.Run(ctx, req.label(), func(ctx workflow.Context) (Usage, error) {
			var err error
			resp, err = completeOnce(ctx, req, cc)
			return usageOf(resp, err), err
		})

		partial, reported := stoppedAnswer(err)
		if reported && c.budget != nil {
			_ = c.budget.Add(ctx, partial) // billed, whatever ends the call
		}
		if steer == nil { // not steered: an answer, a failure, or the workflow's cancellation
			if err != nil {
				if reported {
					resp = partial
				}
				resp.Steers, resp.Total = steers, steeredTotal(steers, total, resp, reported)
				return resp, err
			}
			resp.Steers, resp.Total = steers, steeredTotal(steers, total, resp, true)
			return resp, nil
		}

		got, finished := resp, err == nil
		if !finished {
			// A cancelled activity whose worker died times out instead of
			// reporting; any other failure is the call's own, before the
			// cancellation reached it.
			if !temporal.IsCanceledError(err) && !temporal.IsTimeoutError(err) {
				return Response{Steers: steers, Total: total}, err
			}
			got = partial
			got.Stopped, got.FinishReason = true, FinishReasonStopped
		}
		rec := Steered{SteerRequest: *steer, Text: got.Text, Finished: finished}
		if finished || reported { // an activity cancelled before it ran bought nothing
			rec.Usage.Add(got)
			total.Add(got)
		}
		steers = append(steers, rec)

		if steer.Action == SteerStop {
			got.Steers, got.Total = steers, total
			return got, nil
		}
		msgs := slices.Clip(req.Messages)
		if req.Prompt != "" {
			msgs = append(msgs, User(req.Prompt))
			req.Prompt = ""
		}
		req.Messages = appendRedirect(msgs, got.Text, steer.Message)
		req.Summary = fmt.Sprintf("%s (redirect %d)", label, n)
	}
}

// usageOf is the usage one completion activity paid: its answer's, or the
// partial answer's it reported with its cancellation, else none known.
func usageOf(resp Response, err error) Usage {
	var u Usage
	if err == nil {
		u.Add(resp)
	} else if p, ok := stoppedAnswer(err); ok {
		u.Add(p)
	}
	return u
}

// steeredTotal is the Total of a steerable call's last answer: zero when
// nothing was steered, else the usage of every generation. count says
// whether last was a generation.
func steeredTotal(steers []Steered, total Usage, last Response, count bool) Usage {
	if len(steers) == 0 {
		return Usage{}
	}
	if count {
		total.Add(last)
	}
	return total
}
