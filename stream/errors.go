package stream

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// ErrNotActivity is returned by [NewPublisher] outside an activity: use
// [NewClientPublisher] there.
var ErrNotActivity = errors.New("stream: NewPublisher needs the context of an activity scheduled by a workflow; outside activities use NewClientPublisher")

// ErrTestEnvironment is returned by [NewPublisher] in the SDK's test
// environment (testsuite.TestWorkflowEnvironment): its activities' client is
// a mock of the Temporal service that cannot deliver the publish signal.
// Callers publish nothing there (package llm does so); prove streams on a
// dev server (durable/durabletest).
var ErrTestEnvironment = errors.New("stream: NewPublisher cannot signal from the SDK's test environment (its client is a mock): run stream tests on a dev server")

// ErrNoKind is returned by [Stream.Publish] and [Publisher.Publish] for an
// event without a Kind: readers could not tell what it means.
var ErrNoKind = errors.New("stream: the event has no Kind; set one (KindDelta, KindEnd, or a kind of your own)")

// ErrClosed is returned by [Publisher.Flush] and [Publisher.Close] when the
// workflow run the publisher writes to has closed (completed, failed or
// continued as new): what was not yet sent is dropped.
var ErrClosed = errors.New("stream: the workflow run is closed; the unsent events were dropped")

// TruncatedError is yielded by [Subscribe] when the events from Requested
// on are no longer held by the stream (dropped by [Stream.Truncate] or not
// carried across continue-as-new, see [Options.CarryBytes]). The events
// between Requested and Base are lost to this subscriber; the iteration
// continues from Base unless the loop breaks.
type TruncatedError struct {
	// Requested is the offset the subscriber asked for.
	Requested int64
	// Base is the oldest offset the stream still holds.
	Base int64
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("stream: events %d to %d are no longer held by the stream; continuing from %d (the final answer is in the workflow's result)",
		e.Requested, e.Base-1, e.Base)
}

// IsTruncated reports whether err is a [*TruncatedError] or a handler's
// [ErrTypeTruncatedOffset] error.
func IsTruncated(err error) bool {
	var t *TruncatedError
	return errors.As(err, &t) || hasType(err, ErrTypeTruncatedOffset)
}

// IsDraining reports whether err is a poll rejected with
// [ErrTypeStreamDraining].
func IsDraining(err error) bool { return hasType(err, ErrTypeStreamDraining) }

// IsFutureOffset reports whether err is a poll rejected with
// [ErrTypeFutureOffset].
func IsFutureOffset(err error) bool { return hasType(err, ErrTypeFutureOffset) }

func hasType(err error, typ string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == typ
}

// offsetDetail returns the offset an [ErrTypeTruncatedOffset] or
// [ErrTypeFutureOffset] error carries in its details.
func offsetDetail(err error) (int64, bool) {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.HasDetails() {
		return 0, false
	}
	var off int64
	if app.Details(&off) != nil {
		return 0, false
	}
	return off, true
}
