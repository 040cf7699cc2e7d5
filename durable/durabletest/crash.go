package durabletest

import (
	"context"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// CrashPoint is a worker interceptor that holds an activity after its body has
// returned and before the worker reports the result: the moment a crash is
// most expensive (the side effect happened, Temporal does not know). Pair it
// with [Worker.Kill]:
//
//	cp := durabletest.NewCrashPoint("Charge")
//	w := durabletest.StartWorker(t, srv, reg, worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp}})
//	... start the workflow ...
//	<-cp.Reached()   // Charge's body ran and returned
//	w.Kill()         // its result is lost
//	cp.Disarm()      // let later attempts through
//	w.Restart()
//
// Only the first execution of the activity is held while armed. It is safe for
// concurrent use.
type CrashPoint struct {
	interceptor.WorkerInterceptorBase

	activityType string
	mu           sync.Mutex
	armed        bool
	reached      chan struct{}
	release      chan struct{}
	once         sync.Once
}

// NewCrashPoint returns an armed CrashPoint for the named activity type.
func NewCrashPoint(activityType string) *CrashPoint {
	return &CrashPoint{
		activityType: activityType,
		armed:        true,
		reached:      make(chan struct{}),
		release:      make(chan struct{}),
	}
}

// Reached is closed once an activity of the type has returned and is held.
func (c *CrashPoint) Reached() <-chan struct{} { return c.reached }

// Disarm lets later executions through and releases the held one (whose result
// goes nowhere once its worker was killed).
func (c *CrashPoint) Disarm() {
	c.mu.Lock()
	c.armed = false
	c.mu.Unlock()
	c.once.Do(func() { close(c.release) })
}

// InterceptActivity implements [interceptor.WorkerInterceptor].
func (c *CrashPoint) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &crashInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, cp: c}
}

type crashInbound struct {
	interceptor.ActivityInboundInterceptorBase
	cp *CrashPoint
}

func (a *crashInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	out, err := a.Next.ExecuteActivity(ctx, in)
	if activity.GetInfo(ctx).ActivityType.Name != a.cp.activityType {
		return out, err
	}
	a.cp.mu.Lock()
	hold := a.cp.armed
	a.cp.armed = false
	a.cp.mu.Unlock()
	if hold {
		close(a.cp.reached)
		<-a.cp.release
	}
	return out, err
}
