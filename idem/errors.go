package idem

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Error types of the [temporal.ApplicationError]s that wrapped activities
// return. Match them with the IsX helpers, or list them in a retry policy's
// NonRetryableErrorTypes.
const (
	// ErrTypeKeyReused: the key was first used with a different input. It is
	// non-retryable: the same key for a different request is a caller bug
	// (use a new key) or an attempt to change a request already made.
	ErrTypeKeyReused = "idem.KeyReused"
	// ErrTypeInProgress: another attempt holds a live claim on the key, so
	// this attempt did not run the body. It is retryable with NextRetryDelay
	// set to the remaining lease, and benign (not logged as a failure).
	ErrTypeInProgress = "idem.InProgress"
	// ErrTypeStore: the store could not be reached or failed; the body did
	// not run. It is retryable.
	ErrTypeStore = "idem.Store"
	// ErrTypeInvalid: no key or fingerprint could be derived (the key
	// function failed or returned "", the input does not encode as JSON, or
	// Wrap runs outside an activity without WithKey). It is non-retryable.
	ErrTypeInvalid = "idem.Invalid"
	// ErrTypeUnreadable: the recorded result does not decode into the
	// activity's result type (it changed since the record was written). It is
	// non-retryable; delete the record or wait for its TTL.
	ErrTypeUnreadable = "idem.Unreadable"
	// ErrTypeLeaseLost: the body failed after its lease was lost (another
	// attempt took the key over, or the store could not renew the lease in
	// time) and its context was cancelled with [ErrLeaseLost]. It is
	// retryable; the next attempt finds the key held, taken over or done.
	ErrTypeLeaseLost = "idem.LeaseLost"
)

// ErrLeaseLost is the cause ([context.Cause]) of the body's context when
// [Wrap] cancels it because the call no longer holds its key for certain:
// the store refused a renewal ([ErrNotOwner]: another attempt took the key
// over) or failed to renew it before the lease could end. Stop the side
// effect; whatever the body returns afterwards is not recorded under the key
// unless the claim turns out to be still held.
var ErrLeaseLost = errors.New("idem: lease on the key lost: stop, another attempt may run the body")

// ErrNotWrapped is returned by [SetPending] when ctx is not the context of a
// [Wrap]ped body (or its reconcile hook), so there is no key to record under.
var ErrNotWrapped = errors.New("idem: not inside a wrapped function: there is no key to record pending data under")

// IsKeyReused reports whether err is, or wraps (for example in a
// [temporal.ActivityError] seen by the workflow), an [ErrTypeKeyReused] error.
func IsKeyReused(err error) bool { return isType(err, ErrTypeKeyReused) }

// IsInProgress reports whether err is, or wraps, an [ErrTypeInProgress] error.
func IsInProgress(err error) bool { return isType(err, ErrTypeInProgress) }

// IsStore reports whether err is, or wraps, an [ErrTypeStore] error.
func IsStore(err error) bool { return isType(err, ErrTypeStore) }

// IsLeaseLost reports whether err is, or wraps, an [ErrTypeLeaseLost] error.
func IsLeaseLost(err error) bool { return isType(err, ErrTypeLeaseLost) }

func isType(err error, typ string) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == typ
}

func keyReusedError(key, was, now string) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("idem: key %q was first used with another input (fingerprint %.12s, this one %.12s): use a new key for a new request", key, was, now),
		ErrTypeKeyReused, nil)
}

func inProgressError(key string, c Claim) error {
	wait := max(c.Remaining(), time.Millisecond)
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("idem: key %q is held by %s for another %s: this attempt did not run the body; it is retried when the lease ends", key, c.Record.Owner, wait.Round(time.Millisecond)),
		ErrTypeInProgress,
		temporal.ApplicationErrorOptions{NextRetryDelay: wait, Category: temporal.ApplicationErrorCategoryBenign})
}

func storeError(key string, err error) error {
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("idem: store failed for key %q, the body did not run: %v", key, err),
		ErrTypeStore, temporal.ApplicationErrorOptions{Cause: err})
}

func leaseLostError(key string, cause error) error {
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("idem: lost the lease on key %q while the body ran, so it was cancelled: %v: the next attempt finds the key held, taken over or done", key, cause),
		ErrTypeLeaseLost, temporal.ApplicationErrorOptions{Cause: cause})
}

func invalidError(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalid, nil)
}
