package saga

import (
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
)

// Step executes activity(in) with opts as the saga step called name, records
// its outcome in the ledger and registers undo: after the activity succeeds,
// or before it runs when undo is marked [Compensation.BeforeStep]. It returns
// the activity's typed result and error; it does not compensate by itself
// (return [Saga.Compensate] or defer [Saga.CompensateOnError]). It runs in
// workflow code.
//
//	_, err = saga.Step[string](ctx, s, "reserve", acts.Reserve, order, durable.Quick("reserve"),
//		saga.Activity(acts.Release, order.ID))
//
// Pass the zero Compensation for a step with nothing to undo, or to register
// an undo that needs the step's result with [Saga.Add] afterwards. opts follow
// [durable.Execute]: without timeouts, the options on ctx apply.
func Step[Out any](ctx workflow.Context, s *Saga, name string, activity any, in any, opts workflow.ActivityOptions, undo Compensation) (Out, error) {
	e := &entry{Entry: Entry{Name: name, Step: StatusRunning}}
	s.entries = append(s.entries, e)
	if undo.before {
		s.register(e, undo)
	}
	out, err := durable.Execute[Out](ctx, activity, in, opts)
	if err != nil {
		e.Step = StatusFailed
		e.StepError = err.Error()
		return out, err
	}
	e.Step = StatusSucceeded
	if !undo.before {
		s.register(e, undo)
	}
	return out, nil
}
