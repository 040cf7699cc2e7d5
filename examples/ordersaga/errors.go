package ordersaga

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Types of the [temporal.ApplicationError]s the workflow and its activities
// return. Match them with the IsX helpers; never match on message text.
const (
	// ErrTypeInvalidOrder: the order failed [Order.Validate]; the workflow
	// fails before any activity runs. Non-retryable: fix the order.
	ErrTypeInvalidOrder = "ordersaga.InvalidOrder"
	// ErrTypeOutOfStock: a SKU lacks stock or is unknown. Non-retryable:
	// the saga compensates.
	ErrTypeOutOfStock = "ordersaga.OutOfStock"
	// ErrTypeOrderClosed: the order ID was already released or shipped.
	// Non-retryable: place the order again under a new ID.
	ErrTypeOrderClosed = "ordersaga.OrderClosed"
	// ErrTypeInjected: the failure asked for by [Order.FailAt].
	// Non-retryable: the saga compensates.
	ErrTypeInjected = "ordersaga.InjectedFailure"
	// ErrTypeStore: the store failed (disk, database). Retryable.
	ErrTypeStore = "ordersaga.Store"
	// ErrTypeCompensated: the workflow failed and every completed step was
	// undone. The error's details hold the final [Status]; its cause is the
	// step's failure.
	ErrTypeCompensated = "ordersaga.Compensated"
	// ErrTypeCompensationIncomplete: the workflow failed and some undo
	// failed too; the [Status] in the details (its ledger) says what to undo
	// by hand.
	ErrTypeCompensationIncomplete = "ordersaga.CompensationIncomplete"
)

// nonRetryableTypes are listed in the steps' retry policies as well, so even
// an error that lost its NonRetryable flag ends the retries.
var nonRetryableTypes = []string{ErrTypeInvalidOrder, ErrTypeOutOfStock, ErrTypeOrderClosed, ErrTypeInjected}

// IsInvalidOrder reports whether err is or wraps an [ErrTypeInvalidOrder] error.
func IsInvalidOrder(err error) bool { return hasType(err, ErrTypeInvalidOrder) }

// IsOutOfStock reports whether err is or wraps an [ErrTypeOutOfStock] error.
func IsOutOfStock(err error) bool { return hasType(err, ErrTypeOutOfStock) }

// IsOrderClosed reports whether err is or wraps an [ErrTypeOrderClosed] error.
func IsOrderClosed(err error) bool { return hasType(err, ErrTypeOrderClosed) }

// IsInjected reports whether err is or wraps an [ErrTypeInjected] error.
func IsInjected(err error) bool { return hasType(err, ErrTypeInjected) }

// IsCompensated reports whether err is or wraps an [ErrTypeCompensated] error.
func IsCompensated(err error) bool { return hasType(err, ErrTypeCompensated) }

// IsCompensationIncomplete reports whether err is or wraps an
// [ErrTypeCompensationIncomplete] error.
func IsCompensationIncomplete(err error) bool { return hasType(err, ErrTypeCompensationIncomplete) }

// hasType walks every [temporal.ApplicationError] in err's chain (a workflow
// error wraps the failed activity's error as its cause).
func hasType(err error, typ string) bool {
	for err != nil {
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) {
			return false
		}
		if ae.Type() == typ {
			return true
		}
		err = ae.Unwrap()
	}
	return false
}

// activityError converts a store error into the activity's
// [temporal.ApplicationError], returned unwrapped so the SDK keeps its
// NonRetryable flag.
func activityError(op string, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, "ordersaga: ") {
		msg = fmt.Sprintf("ordersaga: %s: %s", op, msg)
	}
	switch {
	case errors.Is(err, ErrOutOfStock), errors.Is(err, ErrUnknownSKU):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeOutOfStock, nil)
	case errors.Is(err, ErrOrderClosed), errors.Is(err, ErrNotFound):
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeOrderClosed, nil)
	default:
		return temporal.NewApplicationErrorWithOptions(msg+" (retried)", ErrTypeStore, temporal.ApplicationErrorOptions{Cause: err})
	}
}

func injected(step, orderID string) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("ordersaga: failure injected at %s for order %q (Order.FailAt); the saga compensates", step, orderID),
		ErrTypeInjected, nil)
}
