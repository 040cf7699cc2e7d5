package research

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// Error types of the [*temporal.ApplicationError] values the workflow and
// its activities return. Match them with the IsX helpers.
const (
	// ErrTypeInvalidTopic is a topic that is empty or longer than
	// [MaxTopicRunes]. Non-retryable; the workflow fails before any activity.
	ErrTypeInvalidTopic = "research.InvalidTopic"
	// ErrTypeRenderFailed is a report the renderer could not draw. Not
	// retried: the same input fails the same way.
	ErrTypeRenderFailed = "research.RenderFailed"
	// ErrTypeWriteFailed is a PDF that could not be written to the output
	// directory (permissions, full disk). Retryable.
	ErrTypeWriteFailed = "research.WriteFailed"
	// ErrTypeNotifyUnavailable is a notification that could not be
	// delivered now: the log could not be written, the webhook did not
	// answer or answered 408, 429 or 5xx, or the worker runs with
	// [Activities.FailNotify]. Retryable.
	ErrTypeNotifyUnavailable = "research.NotifyUnavailable"
	// ErrTypeWebhookRejected is a webhook that refused the notification
	// with another 4xx status. Non-retryable: fix the URL or the receiver.
	ErrTypeWebhookRejected = "research.WebhookRejected"
)

// IsInvalidTopic reports whether err is an [ErrTypeInvalidTopic] error, also
// after it crossed the workflow boundary.
func IsInvalidTopic(err error) bool { return errorType(err) == ErrTypeInvalidTopic }

// IsRenderFailed reports whether err is an [ErrTypeRenderFailed] error.
func IsRenderFailed(err error) bool { return errorType(err) == ErrTypeRenderFailed }

// IsNotifyUnavailable reports whether err is an [ErrTypeNotifyUnavailable] error.
func IsNotifyUnavailable(err error) bool { return errorType(err) == ErrTypeNotifyUnavailable }

// IsWebhookRejected reports whether err is an [ErrTypeWebhookRejected] error.
func IsWebhookRejected(err error) bool { return errorType(err) == ErrTypeWebhookRejected }

func errorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}
