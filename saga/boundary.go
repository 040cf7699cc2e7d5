package saga

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// Error types of the [*temporal.ApplicationError] that [WorkflowError]
// returns, for clients of the workflow (Go error identity does not cross the
// workflow boundary; these names do).
const (
	// ErrTypeCompensated: the saga failed and every compensation succeeded.
	ErrTypeCompensated = "saga.Compensated"
	// ErrTypeIncomplete: a compensation failed or was skipped; the ledger
	// (query [LedgerQuery]) lists what to undo by hand.
	ErrTypeIncomplete = "saga.CompensationIncomplete"
	// ErrTypeAfterPivot: the saga failed after its pivot; nothing was undone.
	ErrTypeAfterPivot = "saga.FailedAfterPivot"
)

// Outcome is the detail attached to the error [WorkflowError] returns.
type Outcome struct {
	// Compensated is true when every compensation ran and succeeded.
	Compensated bool
	// Failed names the steps whose compensation failed.
	Failed []string
	// Skipped names the steps whose compensation did not run.
	Skipped []string
	// Pivoted is true when the saga had passed its pivot.
	Pivoted bool
}

// WorkflowError prepares the result of [Saga.Compensate] to be returned from a
// workflow function. A [*Error] becomes a non-retryable
// [*temporal.ApplicationError] of type [ErrTypeCompensated],
// [ErrTypeIncomplete] or [ErrTypeAfterPivot], with its cause kept as the
// failure's cause and an [Outcome] as details, so a client can tell the cases
// apart with [IsCompensated], [IsIncomplete] and [IsAfterPivot]. A saga that
// was cancelled keeps its error as is, so the workflow ends as canceled.
// Other errors, and nil, are returned unchanged. It runs in workflow code.
//
//	defer func() { err = saga.WorkflowError(err) }()
//	defer s.CompensateOnError(ctx, &err)
func WorkflowError(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	var canceled *temporal.CanceledError
	if errors.As(e.Cause, &canceled) {
		return err
	}
	out := Outcome{Compensated: e.Compensated(), Skipped: e.Skipped, Pivoted: e.Pivoted}
	for _, c := range e.Compensations {
		out.Failed = append(out.Failed, c.Step)
	}
	typ := ErrTypeIncomplete
	switch {
	case e.Pivoted:
		typ = ErrTypeAfterPivot
	case out.Compensated:
		typ = ErrTypeCompensated
	}
	// Error formats strings and errors only (no maps), so its text is the same
	// on every replay; workflowcheck cannot tell fmt's safe uses apart.
	msg := e.Error() //workflowcheck:ignore
	return temporal.NewApplicationErrorWithOptions(msg, typ, temporal.ApplicationErrorOptions{
		NonRetryable: true,
		Cause:        e.Cause,
		Details:      []any{out},
	})
}

// IsCompensated reports whether err (as seen by a workflow's client) says the
// saga failed and undid all its work.
func IsCompensated(err error) bool { return hasType(err, ErrTypeCompensated) }

// IsIncomplete reports whether err says some compensation failed or was skipped.
func IsIncomplete(err error) bool { return hasType(err, ErrTypeIncomplete) }

// IsAfterPivot reports whether err says the saga failed after its pivot.
func IsAfterPivot(err error) bool { return hasType(err, ErrTypeAfterPivot) }

// OutcomeOf returns the [Outcome] attached by [WorkflowError], if err has one.
func OutcomeOf(err error) (Outcome, bool) {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.HasDetails() {
		return Outcome{}, false
	}
	var out Outcome
	if ae.Details(&out) != nil {
		return Outcome{}, false
	}
	return out, true
}

func hasType(err error, typ string) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == typ
}
