package hitl

import (
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
)

// Application error types. The validator of [UpdateDecide] refuses a bad
// decision with a [temporal.ApplicationError] of one of these types and
// nothing is written to history. A decision received together with others
// is checked once they have been applied (see the package doc, "Order and
// conflicts"): then the update is accepted and fails with the same types,
// and the audit trail records it as ignored. The client helpers turn them
// into a [*DecisionError] that matches the sentinel of the same name with
// errors.Is.
const (
	// ErrTypeUnknownReviewer: the decision names no reviewer, or one that no
	// stage lists.
	ErrTypeUnknownReviewer = "HITLUnknownReviewer"
	// ErrTypeUnauthorized: the reviewer may not decide in the current stage.
	ErrTypeUnauthorized = "HITLUnauthorized"
	// ErrTypeStaleVersion: the decision is about another version than the
	// current one (or the current one is being revised).
	ErrTypeStaleVersion = "HITLStaleVersion"
	// ErrTypeEmptyEdit: an edit with neither instructions nor text.
	ErrTypeEmptyEdit = "HITLEmptyEdit"
	// ErrTypeClosed: the review is already approved, rejected, timed out,
	// canceled or failed.
	ErrTypeClosed = "HITLClosed"
	// ErrTypeDuplicate: the reviewer already approved this version in this stage.
	ErrTypeDuplicate = "HITLDuplicate"
	// ErrTypeInvalidDecision: unknown action, missing version, a rejection
	// without a reason, or a decision ID reused for another decision.
	ErrTypeInvalidDecision = "HITLInvalidDecision"
	// ErrTypeEditsNotAccepted: an edit sent to a review without
	// [Config.Revise]; approve, reject or request changes instead.
	ErrTypeEditsNotAccepted = "HITLEditsNotAccepted"
	// ErrTypeConflict: an approval received together with a rejection, a
	// request for changes or an edit, in an order the workflow cannot know;
	// the other decision won.
	ErrTypeConflict = "HITLConflict"
	// ErrTypeReviseFailed: the edit was accepted but the caller's Revise
	// function failed; the review stays open on the same version.
	ErrTypeReviseFailed = "HITLReviseFailed"
	// ErrTypeDeadline: a stage's last deadline passed under [TimeoutFail];
	// [Run] returns it and the workflow fails.
	ErrTypeDeadline = "HITLDeadline"
)

// Sentinel errors matched with errors.Is on the errors the client helpers
// return.
var (
	// ErrUnknownReviewer matches [ErrTypeUnknownReviewer].
	ErrUnknownReviewer = errors.New("hitl: unknown reviewer")
	// ErrUnauthorized matches [ErrTypeUnauthorized].
	ErrUnauthorized = errors.New("hitl: reviewer not allowed in this stage")
	// ErrStaleVersion matches [ErrTypeStaleVersion].
	ErrStaleVersion = errors.New("hitl: decision about a stale version")
	// ErrEmptyEdit matches [ErrTypeEmptyEdit].
	ErrEmptyEdit = errors.New("hitl: empty edit")
	// ErrClosed matches [ErrTypeClosed], also for a workflow that has ended.
	ErrClosed = errors.New("hitl: review closed")
	// ErrDuplicate matches [ErrTypeDuplicate].
	ErrDuplicate = errors.New("hitl: duplicate approval")
	// ErrInvalidDecision matches [ErrTypeInvalidDecision].
	ErrInvalidDecision = errors.New("hitl: invalid decision")
	// ErrEditsNotAccepted matches [ErrTypeEditsNotAccepted].
	ErrEditsNotAccepted = errors.New("hitl: edits not accepted in this review")
	// ErrConflict matches [ErrTypeConflict].
	ErrConflict = errors.New("hitl: decision lost a conflict")
	// ErrReviseFailed matches [ErrTypeReviseFailed].
	ErrReviseFailed = errors.New("hitl: revision failed")
	// ErrDeadline matches [ErrTypeDeadline].
	ErrDeadline = errors.New("hitl: stage deadline passed")
	// ErrNotFound: no workflow with that ID (or it runs no review).
	ErrNotFound = errors.New("hitl: review not found")
	// ErrInvalidConfig is wrapped by the error [Run] returns for a bad [Config].
	ErrInvalidConfig = errors.New("hitl: invalid config")
)

var sentinels = map[string]error{
	ErrTypeUnknownReviewer:  ErrUnknownReviewer,
	ErrTypeUnauthorized:     ErrUnauthorized,
	ErrTypeStaleVersion:     ErrStaleVersion,
	ErrTypeEmptyEdit:        ErrEmptyEdit,
	ErrTypeClosed:           ErrClosed,
	ErrTypeDuplicate:        ErrDuplicate,
	ErrTypeInvalidDecision:  ErrInvalidDecision,
	ErrTypeEditsNotAccepted: ErrEditsNotAccepted,
	ErrTypeConflict:         ErrConflict,
	ErrTypeReviseFailed:     ErrReviseFailed,
	ErrTypeDeadline:         ErrDeadline,
}

// DecisionError is a decision the workflow refused or could not apply. The
// client helpers return it; errors.Is matches the sentinel for Type (for
// example [ErrStaleVersion]) and errors.As still reaches the SDK's error.
type DecisionError struct {
	// Type is one of the ErrType constants.
	Type string
	// Message is the workflow's explanation, with what to do.
	Message string
	// Err is the error the SDK returned.
	Err error
}

// Error implements error.
func (e *DecisionError) Error() string { return e.Message }

// Is reports whether target is the sentinel for e.Type.
func (e *DecisionError) Is(target error) bool {
	s, ok := sentinels[e.Type]
	return ok && s == target
}

// Unwrap returns the SDK's error.
func (e *DecisionError) Unwrap() error { return e.Err }

// AsDecisionError converts an error from a decision update into a
// [*DecisionError] when it carries one of the ErrType types; otherwise it
// returns nil. The client helpers call it already.
func AsDecisionError(err error) *DecisionError {
	var de *DecisionError
	if errors.As(err, &de) {
		return de
	}
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		return nil
	}
	if _, ok := sentinels[ae.Type()]; !ok {
		return nil
	}
	return &DecisionError{Type: ae.Type(), Message: ae.Message(), Err: err}
}

// IsRefusal reports whether err is a decision the validator refused (as
// opposed to a revision that failed or a transport error).
func IsRefusal(err error) bool {
	de := AsDecisionError(err)
	return de != nil && de.Type != ErrTypeReviseFailed && de.Type != ErrTypeDeadline
}

// refuse builds the validator's error: non-retryable, unwrapped, typed.
func refuse(errType, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError("hitl: "+fmt.Sprintf(format, args...), errType, nil)
}

// clientError maps an SDK error from a client call to the package's errors.
func clientError(workflowID string, err error) error {
	if err == nil {
		return nil
	}
	if de := AsDecisionError(err); de != nil {
		return de
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("%w: workflow %q (check the workflow ID): %w", ErrNotFound, workflowID, err)
	}
	return fmt.Errorf("hitl: workflow %q: %w", workflowID, err)
}
