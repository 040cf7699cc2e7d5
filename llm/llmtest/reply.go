package llmtest

import (
	"net/http"
	"time"
)

// Reply scripts how the server answers one chat-completion request. Queue it
// with [Handler.Enqueue]. The zero Reply answers 200 with the default echo
// content ("echo: <last user message>").
//
// Fields are applied in this order: Hang, then Delay, then Body (raw bytes
// win over everything else), then an error reply when Status >= 400, then a
// completion (streamed when the request asked for a stream).
type Reply struct {
	// Status is the HTTP status. 0 means 200. A status >= 400 answers with
	// the OpenAI error object built from Error.
	Status int
	// Headers are set on the response, whatever its status; for example
	// "retry-after": "2". An "x-request-id" header is always sent unless
	// set here.
	Headers map[string]string
	// Body, when not empty, is written as is with Status, overriding every
	// field below. The content type is application/json when Body is valid
	// JSON and text/plain otherwise, unless Headers sets "content-type".
	Body string
	// Error is the error object sent when Status >= 400. Nil means a
	// generic error built from the status text. The placeholder "{model}"
	// in Error.Message is replaced by the requested model.
	Error *APIError

	// Content is the assistant message. Empty means the default echo
	// content unless NoContent is set.
	Content string
	// NoContent sends an empty assistant message instead of the echo.
	NoContent bool
	// FinishReason is the finish_reason of the choice. Empty means "stop".
	// Use "length" or "content_filter" to script those endings.
	FinishReason string
	// Model is the model named in the answer. Empty means the requested
	// model.
	Model string
	// PromptTokens is the reported prompt token count. 0 means the number
	// of whitespace-separated words in all request messages.
	PromptTokens int
	// CompletionTokens is the reported completion token count. 0 means the
	// number of words in the content.
	CompletionTokens int

	// Delay waits before answering. A client that goes away during the
	// wait gets nothing, the request is not billed and its status is
	// recorded as [StatusClientClosedRequest].
	Delay time.Duration
	// Hang never answers: the handler waits until the client disconnects
	// (or the server closes). The request is not billed.
	Hang bool

	// Chunks splits the content into this many stream chunks. 0 means one
	// chunk per word (each word with its trailing space).
	Chunks int
	// ChunkDelay waits between stream chunks (a slow generation). A client
	// that goes away during the wait ends the stream.
	ChunkDelay time.Duration
	// Truncate ends the answer early but cleanly. Streaming: the role and
	// content chunks are sent, then the body ends without a finish_reason,
	// without a usage chunk and without "data: [DONE]"; openai-go's stream
	// then ends with a nil error. Non-streaming: half of the JSON body is
	// sent, so the client fails to decode it. Truncated answers are billed.
	Truncate bool
	// Stall, when streaming, sends the role and content chunks and then
	// keeps the connection open without sending anything else until the
	// client disconnects. Billed.
	Stall bool
	// Drop cuts the connection abruptly (no clean end of body) after the
	// content chunks (streaming) or after half of the JSON body
	// (non-streaming); the client sees a read error. Billed.
	Drop bool
	// StreamError, when streaming, sends the content chunks and then an
	// SSE event carrying {"error": StreamError}, then ends the body;
	// openai-go reports an *ssestream.StreamError. Billed. Ignored when not
	// streaming.
	StreamError *APIError
}

// APIError is the OpenAI error object, sent as {"error": {...}}. Empty Param
// and Code are sent as JSON null, as OpenAI does.
type APIError struct {
	// Message is the human-readable text.
	Message string
	// Type is the error type, for example "invalid_request_error".
	Type string
	// Param names the offending request parameter, if any.
	Param string
	// Code is the machine-readable code, for example
	// "rate_limit_exceeded".
	Code string
}

// StatusClientClosedRequest is the [Request.Status] recorded when the client
// went away before the server answered (the nginx convention).
const StatusClientClosedRequest = 499

// Text answers with the given assistant content, finish reason "stop".
func Text(content string) Reply {
	return Reply{Content: content}
}

// RateLimited answers 429 with code "rate_limit_exceeded" and type
// "requests". When header is not empty it is set to value, for example
// RateLimited("retry-after", "2"), RateLimited("retry-after-ms", "1500"),
// RateLimited("x-ratelimit-reset-requests", "6m0s") or
// RateLimited("x-ratelimit-reset-tokens", "20ms").
func RateLimited(header, value string) Reply {
	r := Reply{
		Status: http.StatusTooManyRequests,
		Error: &APIError{
			Message: "Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again later.",
			Type:    "requests",
			Code:    "rate_limit_exceeded",
		},
	}
	if header != "" {
		r.Headers = map[string]string{header: value}
	}
	return r
}

// InsufficientQuota answers 429 with code and type "insufficient_quota": a
// 429 that waiting will not heal.
func InsufficientQuota() Reply {
	return Reply{
		Status: http.StatusTooManyRequests,
		Error: &APIError{
			Message: "You exceeded your current quota, please check your plan and billing details.",
			Type:    "insufficient_quota",
			Code:    "insufficient_quota",
		},
	}
}

// ContextLengthExceeded answers 400 with code "context_length_exceeded":
// retrying the same request will not help.
func ContextLengthExceeded() Reply {
	return Reply{
		Status: http.StatusBadRequest,
		Error: &APIError{
			Message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
			Type:    "invalid_request_error",
			Param:   "messages",
			Code:    "context_length_exceeded",
		},
	}
}

// ContentFilter answers 400 with code "content_filter" (the prompt was
// refused). For a completion cut by the filter instead, answer 200 with
// Reply{Content: "...", FinishReason: "content_filter"}.
func ContentFilter() Reply {
	return Reply{
		Status: http.StatusBadRequest,
		Error: &APIError{
			Message: "The response was filtered due to the prompt triggering the content management policy. Please modify your prompt and retry.",
			Type:    "invalid_request_error",
			Param:   "prompt",
			Code:    "content_filter",
		},
	}
}

// ServerError answers the given status (500, 502, 503, ...) with type
// "server_error" and no code.
func ServerError(status int) Reply {
	return Reply{
		Status: status,
		Error: &APIError{
			Message: "The server had an error while processing your request. Sorry about that!",
			Type:    "server_error",
		},
	}
}

// Unauthorized answers 401 with code "invalid_api_key".
func Unauthorized() Reply {
	return Reply{
		Status: http.StatusUnauthorized,
		Error: &APIError{
			Message: "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
			Type:    "invalid_request_error",
			Code:    "invalid_api_key",
		},
	}
}

// Forbidden answers 403 with code "unsupported_country_region_territory" and
// type "request_forbidden".
func Forbidden() Reply {
	return Reply{
		Status: http.StatusForbidden,
		Error: &APIError{
			Message: "Country, region, or territory not supported",
			Type:    "request_forbidden",
			Code:    "unsupported_country_region_territory",
		},
	}
}

// ModelNotFound answers 404 with code "model_not_found", naming the
// requested model in the message.
func ModelNotFound() Reply {
	return Reply{
		Status: http.StatusNotFound,
		Error: &APIError{
			Message: "The model `{model}` does not exist or you do not have access to it.",
			Type:    "invalid_request_error",
			Code:    "model_not_found",
		},
	}
}

// Undecodable answers status with a raw body that is not an OpenAI error
// object, as some OpenAI-compatible servers do: for example
// Undecodable(502, "Bad Gateway") or Undecodable(400, `{"error":"bad"}`).
// The body must not be empty. With openai-go v3, `{"error":"bad"}` yields a
// JSON decoding error and no *openai.Error (option.WithResponseInto still
// gives the status and headers), while a plain-text body yields an
// *openai.Error with the status and an empty Code and Message.
func Undecodable(status int, body string) Reply {
	return Reply{Status: status, Body: body}
}

// Slow answers with the default echo content after d.
func Slow(d time.Duration) Reply {
	return Reply{Delay: d}
}

// Hung never answers; see [Reply.Hang].
func Hung() Reply {
	return Reply{Hang: true}
}

// Truncated answers with content and ends the answer early; see
// [Reply.Truncate].
func Truncated(content string) Reply {
	return Reply{Content: content, Truncate: true}
}
