package llm

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Error types of the [*temporal.ApplicationError] values the completion
// activity and the workflow-side calls return. Match them with the IsX
// helpers or [ErrorType]; never match error text.
//
// Retryable types: Temporal retries them under the activity's retry policy,
// after the provider's own delay when it sent one (see [ErrorDetails.RetryAfter]).
const (
	// ErrTypeRateLimited is a 429 rate limit (not a quota problem). Retryable.
	ErrTypeRateLimited = "llm.RateLimited"
	// ErrTypeServerError is a 5xx answer from the provider. Retryable.
	ErrTypeServerError = "llm.ServerError"
	// ErrTypeTimeout is a 408 answer or a call that timed out. Retryable.
	ErrTypeTimeout = "llm.Timeout"
	// ErrTypeConflict is a 409 answer (a lock or a concurrent change on the
	// provider side). Retryable.
	ErrTypeConflict = "llm.Conflict"
	// ErrTypeNetwork is a connection failure before an answer arrived. Retryable.
	ErrTypeNetwork = "llm.Network"
	// ErrTypeTruncated is an answer that ended early: a stream without a
	// finish reason, or a body that could not be decoded. Retryable.
	ErrTypeTruncated = "llm.Truncated"
	// ErrTypeRetryAdvised is an error answer of any status that the
	// provider marked x-should-retry: true, which OpenAI's own SDKs retry
	// whatever the status says. [ErrorDetails] keeps the status and code.
	// Retryable.
	ErrTypeRetryAdvised = "llm.RetryAdvised"
	// ErrTypeNotRecorded is a background generation whose id
	// [Config.Store] failed to record: it was cancelled, since a crash
	// would have lost it, and the next attempt starts anew. Retryable.
	ErrTypeNotRecorded = "llm.NotRecorded"
)

// Non-retryable error types: waiting or repeating the same request will not
// help, and every attempt costs money. [RetryPolicy] lists them all.
const (
	// ErrTypeInsufficientQuota is insufficient_quota or a billing code
	// (billing_hard_limit_reached, billing_not_active, ...): add credit or
	// raise the limit on the provider account.
	ErrTypeInsufficientQuota = "llm.InsufficientQuota"
	// ErrTypeContextLengthExceeded is context_length_exceeded: shorten the
	// prompt or lower MaxTokens. [ErrorDetails] carries the limits when the
	// provider stated them.
	ErrTypeContextLengthExceeded = "llm.ContextLengthExceeded"
	// ErrTypeContentFilter is a prompt refused by the provider's content
	// filter, or an answer cut by it (finish reason content_filter).
	ErrTypeContentFilter = "llm.ContentFilter"
	// ErrTypeAuth is a 401 or 403 answer: fix the API key or the account's
	// access on the worker.
	ErrTypeAuth = "llm.Auth"
	// ErrTypeModelNotFound is a 404 answer: the model id does not exist, the
	// key has no access to it, or the base URL is wrong.
	ErrTypeModelNotFound = "llm.ModelNotFound"
	// ErrTypeBadRequest is any other 4xx answer (400, 413, 422, ...). An
	// answer whose x-should-retry header forbids a retry keeps its own type
	// (for example [ErrTypeServerError]) and is marked non-retryable.
	ErrTypeBadRequest = "llm.BadRequest"
	// ErrTypeUnknownModel is a [Request] naming a model that the worker's
	// [Config] does not define.
	ErrTypeUnknownModel = "llm.UnknownModel"
	// ErrTypeInvalidRequest is a [Request] the activity cannot send (no
	// messages, a schema that does not parse).
	ErrTypeInvalidRequest = "llm.InvalidRequest"
	// ErrTypeInvalidOutput is a structured answer that stayed invalid after
	// every repair attempt of [CompleteJSON].
	ErrTypeInvalidOutput = "llm.InvalidOutput"
	// ErrTypeBudgetExceeded is a call refused by a [Budget] before it was
	// made, because it could exceed the budget's limit.
	ErrTypeBudgetExceeded = "llm.BudgetExceeded"
)

// ErrBudgetExceeded is the cause of the error a [Budget] returns when it
// refuses a call; errors.Is(err, ErrBudgetExceeded) holds in the workflow that
// made the call. Across process boundaries use [IsBudgetExceeded].
var ErrBudgetExceeded = errors.New("llm: budget exceeded")

// ErrorDetails is the first detail value of every error this package returns
// across the activity boundary. Read it with [Details].
type ErrorDetails struct {
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Code and Type are the provider's error code and type, when it sent them.
	Code, Type string
	// Message is the provider's message, with anything looking like an API
	// key masked.
	Message string
	// RequestID is the provider's x-request-id, for support tickets.
	RequestID string
	// ModelName is the configured model name and Model the provider model id
	// the failed attempt used.
	ModelName, Model string
	// RetryAfter is the delay the provider asked for (already clamped), 0
	// when it asked for none.
	RetryAfter time.Duration
	// ContextLimit and PromptTokens are the model's maximum context length
	// and the size of the refused request, for context_length_exceeded
	// errors whose message states them; 0 otherwise.
	ContextLimit, PromptTokens int
	// Response is the paid answer, for errors raised after one arrived (an
	// answer cut by the content filter, an invalid structured answer).
	Response *Response `json:",omitempty"`
	// Billed reports that the failed attempt may have been billed: the
	// provider accepted the request and the answer was cut, timed out or
	// could not be read. Error statuses (a 429, a 500) are not billed.
	// [Config.MaxPaidAttempts] bounds the billed failures of one activity.
	Billed bool `json:",omitempty"`
	// ResponseID is the id of the background generation the attempt
	// followed ([APIResponsesBackground]); the next attempt resumes it.
	ResponseID string `json:",omitempty"`
}

// ErrorType returns the type of the [*temporal.ApplicationError] in err's
// chain, or "" when there is none.
func ErrorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

// Details returns the [ErrorDetails] of an error returned by this package,
// also after it crossed the activity boundary.
func Details(err error) (ErrorDetails, bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.HasDetails() {
		return ErrorDetails{}, false
	}
	var d ErrorDetails
	if appErr.Details(&d) != nil {
		return ErrorDetails{}, false
	}
	return d, true
}

// IsRetryable reports whether err is an application error that Temporal may
// retry. Errors of other kinds (timeouts, cancellations) report false.
func IsRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && !appErr.NonRetryable() && !isNonRetryableType(appErr.Type())
}

// IsRateLimited reports whether err is a 429 rate limit ([ErrTypeRateLimited]).
func IsRateLimited(err error) bool { return ErrorType(err) == ErrTypeRateLimited }

// IsTruncated reports whether err is an answer that ended early ([ErrTypeTruncated]).
func IsTruncated(err error) bool { return ErrorType(err) == ErrTypeTruncated }

// IsInsufficientQuota reports whether err is a quota or billing failure
// ([ErrTypeInsufficientQuota]).
func IsInsufficientQuota(err error) bool { return ErrorType(err) == ErrTypeInsufficientQuota }

// IsContextLengthExceeded reports whether err is a prompt too long for the
// model ([ErrTypeContextLengthExceeded]).
func IsContextLengthExceeded(err error) bool {
	return ErrorType(err) == ErrTypeContextLengthExceeded
}

// IsContentFilter reports whether err is a content-filter refusal ([ErrTypeContentFilter]).
func IsContentFilter(err error) bool { return ErrorType(err) == ErrTypeContentFilter }

// IsAuth reports whether err is a 401 or 403 answer ([ErrTypeAuth]).
func IsAuth(err error) bool { return ErrorType(err) == ErrTypeAuth }

// IsModelNotFound reports whether err is a 404 answer ([ErrTypeModelNotFound]).
func IsModelNotFound(err error) bool { return ErrorType(err) == ErrTypeModelNotFound }

// IsBadRequest reports whether err is another refused request ([ErrTypeBadRequest]).
func IsBadRequest(err error) bool { return ErrorType(err) == ErrTypeBadRequest }

// IsUnknownModel reports whether err names a model the worker does not
// define ([ErrTypeUnknownModel]).
func IsUnknownModel(err error) bool { return ErrorType(err) == ErrTypeUnknownModel }

// IsInvalidOutput reports whether err is a structured answer that stayed
// invalid after its repairs ([ErrTypeInvalidOutput]).
func IsInvalidOutput(err error) bool { return ErrorType(err) == ErrTypeInvalidOutput }

// IsBudgetExceeded reports whether err is a call refused by a [Budget]
// ([ErrTypeBudgetExceeded]).
func IsBudgetExceeded(err error) bool {
	return errors.Is(err, ErrBudgetExceeded) || ErrorType(err) == ErrTypeBudgetExceeded
}

// NonRetryableErrorTypes returns the error types that must end an LLM
// activity's retries at once; [RetryPolicy] lists them.
func NonRetryableErrorTypes() []string {
	return []string{
		ErrTypeInsufficientQuota,
		ErrTypeContextLengthExceeded,
		ErrTypeContentFilter,
		ErrTypeAuth,
		ErrTypeModelNotFound,
		ErrTypeBadRequest,
		ErrTypeUnknownModel,
		ErrTypeInvalidRequest,
		ErrTypeInvalidOutput,
		ErrTypeBudgetExceeded,
	}
}

func isNonRetryableType(t string) bool {
	for _, n := range NonRetryableErrorTypes() {
		if n == t {
			return true
		}
	}
	return false
}
