package docapproval

import (
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/llm"
)

// ErrTypeStopped is the application error type of a revision a reviewer
// stopped: the review stays on the version it revised (hitl records it as
// revise_failed, and the edit's update returns hitl's ReviseFailed error
// quoting it). Non-retryable: send the edit again, or another one.
const ErrTypeStopped = "DocApprovalStopped"

// IsStopped reports whether err is, or wraps, an [ErrTypeStopped]
// application error.
func IsStopped(err error) bool { return isType(err, ErrTypeStopped) }

// steering is the review's side of the llm package's steering protocol
// (the llm.UpdateSteer update and the llm.QuerySteering query, so
// llm.Stop, llm.Redirect and llm.Steer work on a review) for the draft and
// revise activities, which are this example's own: they wrap the LLM call
// with the idempotency record and the draft store. A steer cancels the
// activity in flight; the activity stops its model call (see
// [Activities.Draft]) and reports the partial text as the details of its
// cancellation, which the workflow waits for.
//
// It runs in workflow code only; workflow coroutines never run
// concurrently, so it needs no lock.
type steering struct {
	calls []*steerCall
}

// steerCall is one activity in flight.
type steerCall struct {
	label  string
	cancel workflow.CancelFunc
	steer  *llm.SteerRequest // set by the steer that reached it
	done   bool
	result llm.Steered // what the steer found, once done (Text left out)
}

// newSteering registers the steer update and the steering query.
// Registering handlers writes nothing to the history: reviews recorded
// before still replay.
func newSteering(ctx workflow.Context) (*steering, error) {
	st := &steering{}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, llm.UpdateSteer, st.handle, workflow.UpdateHandlerOptions{
		Validator:   st.validate,
		Description: "stop or redirect the draft or revision being written",
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, llm.QuerySteering, st.status); err != nil {
		return nil, err
	}
	return st, nil
}

// steerable returns the calls in flight a steer would reach.
func (st *steering) steerable() []*steerCall {
	var out []*steerCall
	for _, c := range st.calls {
		if !c.done && c.steer == nil {
			out = append(out, c)
		}
	}
	return out
}

func (st *steering) status() (llm.SteeringStatus, error) {
	s := llm.SteeringStatus{InFlight: []string{}}
	for _, c := range st.steerable() {
		s.InFlight = append(s.InFlight, c.label)
	}
	return s, nil
}

// validate rejects a bad steer, or one that would reach no call, before
// anything is written to the history.
func (st *steering) validate(_ workflow.Context, s llm.SteerRequest) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if len(st.steerable()) == 0 {
		return notSteerable(s)
	}
	return nil
}

func notSteerable(s llm.SteerRequest) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"docapproval: nothing to %s: no draft or revision is being written now (or it is already being stopped or redirected); send it while a version is written",
		s.Action), llm.ErrTypeNotSteerable, nil)
}

// handle cancels the calls in flight and returns once each has reported
// what it had written.
func (st *steering) handle(ctx workflow.Context, s llm.SteerRequest) (llm.SteerResult, error) {
	targets := st.steerable()
	if len(targets) == 0 {
		return llm.SteerResult{}, notSteerable(s)
	}
	for _, c := range targets {
		c.steer = &s
		c.cancel()
	}
	if err := workflow.Await(ctx, func() bool {
		return !slices.ContainsFunc(targets, func(c *steerCall) bool { return !c.done })
	}); err != nil {
		return llm.SteerResult{}, err
	}
	var r llm.SteerResult
	for _, c := range targets {
		if c.result.Finished {
			r.Finished++
			continue
		}
		r.Interrupted++
		r.Usage = addUsage(r.Usage, c.result.Usage)
	}
	return r, nil
}

// generated is the outcome of a steerable draft or revision.
type generated struct {
	// doc is the answer: whole, or what the model had written when a
	// reviewer stopped it (doc.Stopped).
	doc Document
	// interrupted is the usage of the generations redirected before doc's.
	interrupted llm.Usage
	// stop is the steer that stopped doc, nil when it was not stopped.
	stop *llm.SteerRequest
}

// callFunc runs one draft or revise activity on ctx, the redirect
// messages so far added to its input, with summary as its UI summary.
type callFunc func(ctx workflow.Context, redirects []string, summary string) (Document, error)

// generate runs call until it is neither stopped nor redirected, or is
// stopped. A redirect cancels the call and runs it again with the
// reviewer's message added; a stop cancels it and returns what it had
// written. A call whose answer had come before the steer reached it keeps
// its whole answer (a redirect still asks again).
func (st *steering) generate(ctx workflow.Context, label string, call callFunc) (generated, error) {
	var (
		out       generated
		redirects []string
	)
	for n := 0; ; n++ {
		summary := "llm: " + label
		if n > 0 {
			summary = fmt.Sprintf("llm: %s (redirect %d)", label, n)
		}
		cctx, cancel := workflow.WithCancel(ctx)
		c := &steerCall{label: summary, cancel: cancel}
		st.calls = append(st.calls, c)
		doc, err := call(cctx, redirects, summary)
		cancel()
		st.calls = slices.DeleteFunc(st.calls, func(x *steerCall) bool { return x == c })
		if c.steer == nil { // an answer, a failure, or the workflow's own cancellation
			c.done = true
			out.doc = doc
			return out, err
		}
		finished := err == nil
		if !finished {
			// A cancelled activity whose worker died times out instead of
			// reporting; any other failure is the call's own, from before the
			// cancellation reached it.
			if !temporal.IsCanceledError(err) && !temporal.IsTimeoutError(err) {
				c.result, c.done = llm.Steered{SteerRequest: *c.steer}, true
				return out, err
			}
			doc, _ = partialOf(err) // none: cancelled before it ran, or lost with its worker
			doc.Stopped = true
		}
		c.result = llm.Steered{SteerRequest: *c.steer, Finished: finished, Usage: doc.Call}
		c.done = true
		if c.steer.Action == llm.SteerStop {
			out.doc = doc
			if !finished {
				out.stop = c.steer
			}
			return out, nil
		}
		out.interrupted = addUsage(out.interrupted, doc.Call)
		redirects = append(slices.Clip(redirects), c.steer.Message)
	}
}

// partialOf returns the [Document] a stopped activity reported with its
// cancellation (see [Activities.Draft]).
func partialOf(err error) (Document, bool) {
	var ce *temporal.CanceledError
	if !errors.As(err, &ce) || !ce.HasDetails() {
		return Document{}, false
	}
	var d Document
	if ce.Details(&d) != nil {
		return Document{}, false
	}
	return d, true
}

// stoppedError is the error of a revision a reviewer stopped.
func stoppedError(from int, g generated) error {
	why := ""
	if g.stop.Reason != "" {
		why = " (" + g.stop.Reason + ")"
	}
	u := addUsage(g.interrupted, g.doc.Call)
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"docapproval: %s stopped the revision of version %d%s after %d characters (%d tokens billed); the review stays on version %d: send an edit again",
		g.stop.By, from, why, g.doc.Size(), u.TotalTokens(), from), ErrTypeStopped, nil)
}
