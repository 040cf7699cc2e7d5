package saga

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAborted is the [Error.Cause] when [Saga.Compensate] is called with a nil
// cause: the workflow decided to undo its work without a failure (an order
// cancelled by the customer).
var ErrAborted = errors.New("saga: aborted by the workflow")

// Error is the result of [Saga.Compensate]: the failure that made the saga
// undo its work and the compensations that did not succeed.
//
// It keeps every cause reachable: errors.Is and errors.As see Cause and each
// [*CompensationError] (and the error inside it) through Unwrap. When Cause is
// a cancellation, the SDK still sees a
// [go.temporal.io/sdk/temporal.CanceledError] in the tree, so a workflow
// returning the Error ends as canceled rather than failed.
type Error struct {
	// Cause is the error passed to Compensate (ErrAborted when it was nil).
	Cause error
	// Compensations lists the compensations that failed in this call, in the
	// order they ran.
	Compensations []CompensationError
	// Skipped names the steps whose compensation did not run because an
	// earlier one failed and [Options.StopOnError] was set.
	Skipped []string
	// Pivoted is true when the saga had passed its pivot ([Saga.Pivot]), so
	// nothing was compensated and the completed work was kept.
	Pivoted bool

	from *Saga
}

// Compensated reports whether every pending compensation ran and succeeded:
// the saga's effects are undone. It is false when the saga had passed its
// pivot or a compensation failed or was skipped.
func (e *Error) Compensated() bool {
	return !e.Pivoted && len(e.Compensations) == 0 && len(e.Skipped) == 0
}

// Error describes the cause and, when the undo is incomplete, what is left to
// do by hand.
func (e *Error) Error() string {
	cause := "<nil>"
	if e.Cause != nil {
		cause = e.Cause.Error()
	}
	switch {
	case e.Pivoted:
		return "saga: failed after its pivot, completed work was kept (finish it forward): " + cause
	case e.Compensated():
		return "saga: compensated: " + cause
	}
	var b strings.Builder
	b.WriteString("saga: compensation incomplete, undo by hand what the ledger lists as failed or skipped: ")
	b.WriteString(cause)
	for _, c := range e.Compensations {
		fmt.Fprintf(&b, "; undo %q failed: %v", c.Step, c.Err)
	}
	if len(e.Skipped) > 0 {
		fmt.Fprintf(&b, "; skipped: %s", strings.Join(e.Skipped, ", "))
	}
	return b.String()
}

// Unwrap returns Cause followed by a [*CompensationError] for each failed
// compensation, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.Compensations))
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	for i := range e.Compensations {
		errs = append(errs, &e.Compensations[i])
	}
	return errs
}

// CompensationError is one compensation that failed after its retries.
type CompensationError struct {
	// Step names the step whose compensation failed.
	Step string
	// Err is the compensation's error (for an activity, usually a
	// [go.temporal.io/sdk/temporal.ActivityError] wrapping the activity's
	// own error).
	Err error
}

// Error says which step's undo failed and why.
func (e *CompensationError) Error() string {
	return fmt.Sprintf("saga: undo %q failed: %v", e.Step, e.Err)
}

// Unwrap returns Err.
func (e *CompensationError) Unwrap() error { return e.Err }

// Errors of [Saga.Checkpoint] and [Resume], inside a [*CheckpointError];
// match them with errors.Is.
var (
	// ErrFuncNotCarried: a pending compensation is a [Func], Go code that
	// cannot cross continue-as-new. Register the undo with [Activity] (an
	// activity name and its arguments) to carry it into the next run.
	ErrFuncNotCarried = errors.New("saga: a Func compensation cannot be carried into the next run; register the undo with saga.Activity (an activity and its arguments)")
	// ErrArgsNotCarried: the data converter cannot encode a compensation's
	// arguments. Pass plain values (strings, numbers, structs with exported
	// fields), not channels, functions or pointers to live state.
	ErrArgsNotCarried = errors.New("saga: compensation arguments cannot be carried into the next run")
	// ErrCompensating: Checkpoint was called while compensations run. Take
	// the checkpoint before compensating or after Compensate returns.
	ErrCompensating = errors.New("saga: cannot checkpoint while compensations run; checkpoint before compensating or after Compensate returns")
	// ErrBadCheckpoint: the checkpoint given to Resume contradicts itself.
	// Pass the value Saga.Checkpoint returned, unchanged.
	ErrBadCheckpoint = errors.New("saga: inconsistent checkpoint; pass the value Saga.Checkpoint returned, unchanged")
)

// CheckpointError is why a saga cannot be carried into the next run
// ([Saga.Checkpoint]) or resumed from a checkpoint ([Resume]). Err is one of
// [ErrFuncNotCarried], [ErrArgsNotCarried], [ErrCompensating] or
// [ErrBadCheckpoint], possibly wrapped with details.
type CheckpointError struct {
	// Step names the step whose compensation is at fault; empty when the
	// error is about the saga as a whole.
	Step string
	// Err says what is wrong and what to do.
	Err error
}

// Error names the step and says what to do.
func (e *CheckpointError) Error() string {
	if e.Step == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("saga: step %q: %s", e.Step, strings.TrimPrefix(e.Err.Error(), "saga: "))
}

// Unwrap returns Err.
func (e *CheckpointError) Unwrap() error { return e.Err }

// joinCheckpointErrors returns the only error as is, or all of them joined.
func joinCheckpointErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
