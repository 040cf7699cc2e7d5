package saga_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/saga"
)

// Activity names of the order flow. The workflow refers to activities by name
// so tests can register wrapped implementations (idem, counters) under them.
const (
	actReserve        = "Reserve"
	actCharge         = "Charge"
	actShip           = "Ship"
	actNotify         = "Notify"
	actRelease        = "Release"
	actRefund         = "Refund"
	actCancelShipment = "CancelShipment"
	actAudit          = "Audit"
)

// order is the input of orderWorkflow; its fields steer the test activities.
type order struct {
	ID string
	// FailAt names the step whose activity fails: reserve, charge, ship or notify.
	FailAt string
	// FailUndo lists compensation activities that fail (for example "Refund").
	FailUndo []string
	// BlockShip makes Ship wait until it is cancelled.
	BlockShip   bool
	Parallel    bool
	StopOnError bool
	// UndoTimeout, when set, is the start-to-close timeout of compensations
	// (short in crash tests so the server retries them fast).
	UndoTimeout time.Duration
}

// orderWorkflow is the seeds' order flow: reserve, charge, ship, then the
// pivot, then a notification that may fail without undoing anything.
func orderWorkflow(ctx workflow.Context, o order) (tracking string, err error) {
	opts := saga.Options{Parallel: o.Parallel, StopOnError: o.StopOnError}
	if o.UndoTimeout > 0 {
		opts.ActivityOptions = workflow.ActivityOptions{
			StartToCloseTimeout:    o.UndoTimeout,
			ScheduleToCloseTimeout: 2 * time.Minute,
			RetryPolicy:            durable.RetryPolicy(100*time.Millisecond, time.Second, 50),
		}
	}
	s := saga.New(ctx, opts)
	defer s.CompensateOnError(ctx, &err)

	// A workflow-side compensation; its activity uses the saga's options.
	s.AddFunc("open", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(ctx, actAudit, "reopen "+o.ID).Get(ctx, nil)
	})
	step := durable.Quick("order " + o.ID)
	if _, err = saga.Step[string](ctx, s, "reserve", actReserve, o, step, saga.Activity(actRelease, o)); err != nil {
		return "", err
	}
	// A charge that times out may still have happened: undo registered first.
	if _, err = saga.Step[string](ctx, s, "charge", actCharge, o, step, saga.Activity(actRefund, o).BeforeStep()); err != nil {
		return "", err
	}
	if tracking, err = saga.Step[string](ctx, s, "ship", actShip, o, step, saga.Activity(actCancelShipment, o)); err != nil {
		return "", err
	}
	s.Pivot()
	if _, err = saga.Step[string](ctx, s, "notify", actNotify, o, step, saga.Compensation{}); err != nil {
		return "", err
	}
	return tracking, nil
}

// shop implements the activities and records what ran, in order.
type shop struct {
	mu      sync.Mutex
	calls   []string
	shipped chan struct{} // closed when a blocking Ship starts
	once    sync.Once
}

func newShop() *shop { return &shop{shipped: make(chan struct{})} }

func (s *shop) record(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, name)
}

// Calls returns the activity names in the order they ran.
func (s *shop) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *shop) step(name, step string, o order) (string, error) {
	s.record(name)
	if o.FailAt == step {
		return "", temporal.NewNonRetryableApplicationError(step+" refused", name+"Refused", nil)
	}
	return name + " " + o.ID, nil
}

func (s *shop) undo(name string, o order) (string, error) {
	s.record(name)
	if slices.Contains(o.FailUndo, name) {
		return "", temporal.NewNonRetryableApplicationError(name+" failed", name+"Failed", nil)
	}
	return name + " " + o.ID, nil
}

func (s *shop) Reserve(_ context.Context, o order) (string, error) {
	return s.step(actReserve, "reserve", o)
}

func (s *shop) Charge(_ context.Context, o order) (string, error) {
	return s.step(actCharge, "charge", o)
}

func (s *shop) Ship(ctx context.Context, o order) (string, error) {
	if o.BlockShip {
		s.record(actShip)
		s.once.Do(func() { close(s.shipped) })
		for {
			activity.RecordHeartbeat(ctx)
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return s.step(actShip, "ship", o)
}

func (s *shop) Notify(_ context.Context, o order) (string, error) {
	return s.step(actNotify, "notify", o)
}

func (s *shop) Release(_ context.Context, o order) (string, error) { return s.undo(actRelease, o) }

func (s *shop) Refund(_ context.Context, o order) (string, error) { return s.undo(actRefund, o) }

func (s *shop) CancelShipment(_ context.Context, o order) (string, error) {
	return s.undo(actCancelShipment, o)
}

func (s *shop) Audit(_ context.Context, msg string) (string, error) {
	s.record(actAudit)
	return msg, nil
}

// register registers the workflow and every activity of s under its name.
func (s *shop) register(r worker.Registry) {
	r.RegisterWorkflow(orderWorkflow)
	s.registerActivities(r)
}

func (s *shop) registerActivities(r worker.ActivityRegistry) {
	s.registerSteps(r)
	r.RegisterActivityWithOptions(s.Release, activity.RegisterOptions{Name: actRelease})
	r.RegisterActivityWithOptions(s.Refund, activity.RegisterOptions{Name: actRefund})
	r.RegisterActivityWithOptions(s.CancelShipment, activity.RegisterOptions{Name: actCancelShipment})
	r.RegisterActivityWithOptions(s.Audit, activity.RegisterOptions{Name: actAudit})
}

// registerSteps registers the step activities only.
func (s *shop) registerSteps(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(s.Reserve, activity.RegisterOptions{Name: actReserve})
	r.RegisterActivityWithOptions(s.Charge, activity.RegisterOptions{Name: actCharge})
	r.RegisterActivityWithOptions(s.Ship, activity.RegisterOptions{Name: actShip})
	r.RegisterActivityWithOptions(s.Notify, activity.RegisterOptions{Name: actNotify})
}
