package durable

import (
	"go.temporal.io/sdk/workflow"
)

// Future is a typed [workflow.Future]: Get decodes the activity result into T.
//
// A Future is used only from workflow code. The zero value is not usable; get
// one from [Start] or [StartLocal].
type Future[T any] struct {
	f workflow.Future
}

// Get blocks the workflow until the activity completes and returns its typed result.
func (f Future[T]) Get(ctx workflow.Context) (T, error) {
	var out T
	err := f.f.Get(ctx, &out)
	return out, err
}

// IsReady reports whether Get would return without blocking.
func (f Future[T]) IsReady() bool { return f.f.IsReady() }

// Raw returns the underlying [workflow.Future], for use with [workflow.Selector].
func (f Future[T]) Raw() workflow.Future { return f.f }

// Execute schedules activity with opts, waits for it and returns its typed result.
// It runs in workflow code only.
//
//	out, err := durable.Execute[Draft](ctx, acts.Draft, in, durable.Standard("draft v1"))
//
// activity is a function or a registered activity name (string). When opts sets
// neither StartToCloseTimeout nor ScheduleToCloseTimeout, the options already on
// ctx (from [workflow.WithActivityOptions]) are used instead.
func Execute[Out any](ctx workflow.Context, activity any, in any, opts workflow.ActivityOptions) (Out, error) {
	return Start[Out](ctx, activity, in, opts).Get(ctx)
}

// Start schedules activity and returns a typed [Future] without waiting, so
// several activities can run in parallel. It runs in workflow code only.
func Start[Out any](ctx workflow.Context, activity any, in any, opts workflow.ActivityOptions) Future[Out] {
	if opts.StartToCloseTimeout != 0 || opts.ScheduleToCloseTimeout != 0 {
		ctx = workflow.WithActivityOptions(ctx, opts)
	}
	return Future[Out]{f: workflow.ExecuteActivity(ctx, activity, in)}
}

// ExecuteLocal runs activity as a local activity and returns its typed result.
// Use it only for short, cheap work that may safely repeat (a local activity is
// re-run when the workflow task fails). It runs in workflow code only.
//
// When opts sets neither timeout, the local activity options already on ctx are used.
func ExecuteLocal[Out any](ctx workflow.Context, activity any, in any, opts workflow.LocalActivityOptions) (Out, error) {
	return StartLocal[Out](ctx, activity, in, opts).Get(ctx)
}

// StartLocal schedules a local activity and returns a typed [Future].
func StartLocal[Out any](ctx workflow.Context, activity any, in any, opts workflow.LocalActivityOptions) Future[Out] {
	if opts.StartToCloseTimeout != 0 || opts.ScheduleToCloseTimeout != 0 {
		ctx = workflow.WithLocalActivityOptions(ctx, opts)
	}
	return Future[Out]{f: workflow.ExecuteLocalActivity(ctx, activity, in)}
}
