package agent

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Error types of the [*temporal.ApplicationError] values the tool activities
// and [Run] return. Match them with the IsX helpers or [ErrorType]; never
// match error text. All are non-retryable except [ErrTypeToolFailed].
const (
	// ErrTypeInvalidConfig is a [Config] or [ToolsConfig] that cannot work;
	// the message says which field and what to do.
	ErrTypeInvalidConfig = "agent.InvalidConfig"
	// ErrTypeUnknownTool is a call of a tool the worker does not have (or
	// the agent does not offer). [Run] tells the model and goes on.
	ErrTypeUnknownTool = "agent.UnknownTool"
	// ErrTypeInvalidArguments is a call whose arguments are not JSON or do
	// not match the tool's schema. [Run] tells the model and goes on.
	ErrTypeInvalidArguments = "agent.InvalidArguments"
	// ErrTypeToolError is a tool's own refusal ([ToolError]): the message
	// goes back to the model, the call is not retried.
	ErrTypeToolError = "agent.ToolError"
	// ErrTypeToolFailed is a tool that returned a plain Go error. It is
	// retryable under the tool's retry policy; after the last attempt the
	// message goes back to the model (or fails the run with
	// [Config.FailOnToolError]).
	ErrTypeToolFailed = "agent.ToolFailed"
	// ErrTypeNotApproved is a call of a tool that needs approval made
	// without one. The worker refuses it whatever the workflow asked.
	ErrTypeNotApproved = "agent.NotApproved"
	// ErrTypeApprovalMismatch is a call whose tool and arguments do not hash
	// to what the approval binds: an approval for other arguments never
	// runs these.
	ErrTypeApprovalMismatch = "agent.ApprovalMismatch"
	// ErrTypeApprovalExpired is an approved call that did not start before
	// the approval expired ([Review.ValidFor]).
	ErrTypeApprovalExpired = "agent.ApprovalExpired"
	// ErrTypeContextTooLong is a conversation still too long for the model
	// after compaction (nothing older is left to summarise).
	ErrTypeContextTooLong = "agent.ContextTooLong"
)

// NonRetryableErrorTypes lists the types that end a tool activity's
// retries at once; the tool presets list them.
func NonRetryableErrorTypes() []string {
	return []string{ErrTypeInvalidConfig, ErrTypeUnknownTool, ErrTypeInvalidArguments, ErrTypeToolError,
		ErrTypeNotApproved, ErrTypeApprovalMismatch, ErrTypeApprovalExpired, ErrTypeContextTooLong}
}

// ErrorType returns the type of the [*temporal.ApplicationError] in err's
// chain, or "".
func ErrorType(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type()
	}
	return ""
}

// IsUnknownTool reports whether err is an [ErrTypeUnknownTool] error.
func IsUnknownTool(err error) bool { return ErrorType(err) == ErrTypeUnknownTool }

// IsInvalidArguments reports whether err is an [ErrTypeInvalidArguments] error.
func IsInvalidArguments(err error) bool { return ErrorType(err) == ErrTypeInvalidArguments }

// IsToolError reports whether err is a tool's refusal ([ErrTypeToolError]).
func IsToolError(err error) bool { return ErrorType(err) == ErrTypeToolError }

// IsToolFailed reports whether err is a tool's plain failure ([ErrTypeToolFailed]).
func IsToolFailed(err error) bool { return ErrorType(err) == ErrTypeToolFailed }

// IsNotApproved reports whether err is an [ErrTypeNotApproved] error.
func IsNotApproved(err error) bool { return ErrorType(err) == ErrTypeNotApproved }

// IsApprovalMismatch reports whether err is an [ErrTypeApprovalMismatch] error.
func IsApprovalMismatch(err error) bool { return ErrorType(err) == ErrTypeApprovalMismatch }

// IsApprovalExpired reports whether err is an [ErrTypeApprovalExpired] error.
func IsApprovalExpired(err error) bool { return ErrorType(err) == ErrTypeApprovalExpired }

// IsInvalidConfig reports whether err is an [ErrTypeInvalidConfig] error.
func IsInvalidConfig(err error) bool { return ErrorType(err) == ErrTypeInvalidConfig }

// IsContextTooLong reports whether err is an [ErrTypeContextTooLong] error.
func IsContextTooLong(err error) bool { return ErrorType(err) == ErrTypeContextTooLong }

// ToolError returns the error a tool returns to refuse a call for a reason
// the model should read ("order A-1 not found", "amount exceeds the order
// total"): non-retryable, its message goes back to the model as the call's
// result.
func ToolError(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeToolError, nil)
}

func nonRetryable(typ, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), typ, nil)
}

func configError(format string, args ...any) error {
	return nonRetryable(ErrTypeInvalidConfig, "agent: "+format, args...)
}
