package hitltest

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/hitl"
)

// Sent is a decision sent with [Decide]. Read it after env.ExecuteWorkflow
// has returned.
type Sent struct {
	d        hitl.Decision
	sent     bool
	accepted bool
	done     bool
	rc       hitl.Receipt
	err      error
}

// Decide sends d as the [hitl.UpdateDecide] update after delay (workflow
// time) in the SDK's test environment, with d.ID as the update ID. Call it
// before env.ExecuteWorkflow; [Sent.Result] then answers like
// [hitl.Decide] on a real server.
func Decide(env *testsuite.TestWorkflowEnvironment, delay time.Duration, d hitl.Decision) *Sent {
	s := &Sent{d: d}
	env.RegisterDelayedCallback(func() {
		s.sent = true
		env.UpdateWorkflow(hitl.UpdateDecide, d.ID, &testsuite.TestUpdateCallback{
			OnAccept: func() { s.accepted = true },
			OnReject: func(err error) { s.done, s.err = true, err },
			OnComplete: func(v any, err error) {
				s.done, s.err = true, err
				if rc, ok := v.(hitl.Receipt); ok {
					s.rc = rc
				}
			},
		}, d)
	}, delay)
	return s
}

// Result returns the receipt, or the error [hitl.Decide] would return: a
// refusal is a [*hitl.DecisionError] matching the hitl sentinels with
// errors.Is ([hitl.ErrStaleVersion], [hitl.ErrClosed], ...). A decision
// due after the workflow had ended, or still waiting when it ended, was
// refused as [hitl.ErrClosed], as a real server does.
func (s *Sent) Result() (hitl.Receipt, error) {
	if !s.sent || !s.done {
		when := "before the decision was sent"
		if s.sent {
			when = "before the decision was applied"
		}
		return hitl.Receipt{}, &hitl.DecisionError{
			Type:    hitl.ErrTypeClosed,
			Message: fmt.Sprintf("hitl: the review's workflow ended %s; it takes no more decisions", when),
		}
	}
	if s.err != nil {
		if de := hitl.AsDecisionError(s.err); de != nil {
			return hitl.Receipt{}, de
		}
		return hitl.Receipt{}, s.err
	}
	return s.rc, nil
}

// Accepted reports whether the update's validator accepted the decision:
// only then did it reach the workflow's history. A refused one was never
// accepted.
func (s *Sent) Accepted() bool { return s.accepted }

// Decision returns the decision as sent.
func (s *Sent) Decision() hitl.Decision { return s.d }
