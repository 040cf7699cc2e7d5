package saga_test

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/saga"
)

// Activity names of the trip that spans runs.
const (
	actBook   = "BookLeg"
	actCancel = "CancelLeg"
)

// legs is the input of legsWorkflow: a trip booked one leg per run, the
// workflow continuing as new between legs.
type legs struct {
	ID string
	// Run is this run's number, from 1; Runs is how many runs (legs) there are.
	Run, Runs int
	// FailAt names the leg ("leg2") whose booking fails.
	FailAt string
	// Carry carries the saga's checkpoint into the next run. Without it the
	// workflow continues as new the way it had to before checkpoints.
	Carry bool
	// UndoFirst compensates leg1 in run 1 (the traveller dropped it) before
	// continuing.
	UndoFirst bool
	// Saga is the checkpoint carried from the previous run.
	Saga *saga.Checkpoint
}

// booking is the input of actBook.
type booking struct {
	Leg  string
	Fail bool
}

// legsWorkflow books leg<Run>, whose cancellation is registered before the
// booking runs (a timed-out booking may have happened), then continues as new
// until the last leg. A failed booking undoes every leg of every run.
func legsWorkflow(ctx workflow.Context, in legs) (err error) {
	defer func() { err = saga.WorkflowError(err) }()
	s, err := saga.Resume(ctx, saga.Options{}, in.Saga)
	if err != nil {
		return err
	}
	defer s.CompensateOnError(ctx, &err)

	leg := fmt.Sprintf("leg%d", in.Run)
	if _, err = saga.Step[string](ctx, s, leg, actBook, booking{Leg: leg, Fail: in.FailAt == leg},
		durable.Quick("book "+leg), saga.Activity(actCancel, leg).BeforeStep()); err != nil {
		return err
	}
	if in.UndoFirst && in.Run == 1 {
		_ = s.Compensate(ctx, nil)
	}
	if in.Run == in.Runs {
		return nil
	}
	next := in
	next.Run++
	next.Saga = nil
	if in.Carry {
		if next.Saga, err = s.Checkpoint(); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, legsWorkflow, next)
}

// agency implements the trip's activities and records what ran, in order,
// across runs and workers.
type agency struct {
	mu    sync.Mutex
	calls []string
}

func (a *agency) record(call string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, call)
}

// Calls returns "book legN" and "cancel legN" in the order they ran.
func (a *agency) Calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

func (a *agency) Book(_ context.Context, b booking) (string, error) {
	a.record("book " + b.Leg)
	if b.Fail {
		return "", temporal.NewNonRetryableApplicationError(b.Leg+" sold out", "SoldOut", nil)
	}
	return "booked " + b.Leg, nil
}

func (a *agency) Cancel(_ context.Context, leg string) (string, error) {
	a.record("cancel " + leg)
	return "cancelled " + leg, nil
}

func (a *agency) register(r worker.Registry) {
	r.RegisterWorkflow(legsWorkflow)
	r.RegisterActivityWithOptions(a.Book, activity.RegisterOptions{Name: actBook})
	r.RegisterActivityWithOptions(a.Cancel, activity.RegisterOptions{Name: actCancel})
}
