package llmtest

import (
	"net/http"
	"time"
)

// Reply scripts how the server answers one request. Queue it with
// [Handler.Enqueue] (any generation request: chat completions or
// Responses) or [Handler.EnqueueOn] (one endpoint). The zero Reply answers
// 200 with the default echo content ("echo: <last user message>").
//
// Fields are applied in this order: Hang, then Delay, then Body (raw bytes
// win over everything else), then an error reply when Status >= 400, then
// a generation: the answer is produced piece by piece on the server (see
// GenerationTime and ChunkDelay), independently of the connection, and is
// delivered whole or streamed as the request asked. Delivery faults
// (Truncate, Drop, Stall, CutAfter) affect only the connection that
// delivers the answer, never the generation or its billing.
//
// On [EndpointRetrieve] and [EndpointCancel] only the fields that do not
// shape a generation apply: Status, Headers, Body, Error, Delay, Hang,
// Truncate and Drop, and on a streamed retrieve Stall and CutAfter.
//
// Truncate or Drop on a non-streamed background create cut the create's
// answer: the client never learns the response id while the generation
// runs and is billed. That is the one window background mode leaves open.
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
	// content unless NoContent is set or ToolCalls are scripted.
	Content string
	// NoContent sends an empty assistant message instead of the echo.
	NoContent bool
	// ToolCalls are the function calls the model makes, in order. Chat
	// completions: message.tool_calls (content null unless Content is
	// set), finish_reason "tool_calls" unless FinishReason is set, and
	// streamed tool-call deltas. Responses: one output item of type
	// "function_call" each (after the message item, which is left out when
	// Content is empty), streamed as response.function_call_arguments.delta
	// and .done events. Empty IDs become "call_llmtest_<n>_<i>" (n: the
	// request's arrival number, i: the call's index from 1).
	ToolCalls []ToolCall
	// FinishReason is the chat finish_reason. Empty means "stop", or
	// "tool_calls" when ToolCalls are scripted. "length" and
	// "content_filter" script those endings; on the Responses API they end
	// the response "incomplete" with incomplete_details.reason
	// "max_output_tokens" or "content_filter".
	FinishReason string
	// Model is the model named in the answer. Empty means the requested
	// model.
	Model string
	// PromptTokens is the reported prompt token count. 0 means the number
	// of whitespace-separated words in the instructions and all request
	// messages.
	PromptTokens int
	// CompletionTokens is the reported completion token count. 0 means the
	// number of words in the content and tool-call arguments.
	CompletionTokens int

	// Delay waits before the generation starts. On a chat request or a
	// foreground Responses request the connection waits: a client that
	// goes away during the wait gets nothing, nothing is generated or
	// billed and the request's status is [StatusClientClosedRequest]. A
	// background response waits in status "queued" instead.
	Delay time.Duration
	// Hang never starts the generation: a foreground request waits until
	// the client disconnects (or the server closes) and is not billed; a
	// background response stays "queued" until it is cancelled.
	Hang bool

	// Chunks splits the content (and each tool call's arguments) into this
	// many pieces. 0 means one piece per word (each word with its trailing
	// space). Streams send one chunk or delta event per piece.
	Chunks int
	// GenerationTime is how long the generation takes: its pieces are
	// produced evenly over it, the last one at GenerationTime. The
	// generation runs on the server whether or not a client is connected,
	// so a worker killed during it still pays for it. It overrides
	// ChunkDelay.
	GenerationTime time.Duration
	// ChunkDelay waits between generated pieces (a slow generation), the
	// first piece being immediate. Like GenerationTime it paces the
	// generation itself, streamed or not.
	ChunkDelay time.Duration
	// Hold, when not nil, pauses the generation before its last piece
	// until Hold is closed (or the response is cancelled, or the handler
	// closes): a deterministic "mid-generation" for tests that disconnect
	// or kill a worker there. The pieces before it are produced and
	// streamed as usual.
	Hold <-chan struct{}
	// Truncate ends the answer early but cleanly. Streaming: every piece is
	// sent, then the body ends without the terminal chunk or event (no
	// finish_reason, usage chunk or "data: [DONE]"; no response.completed);
	// openai-go's stream then ends with a nil error. Non-streaming: half
	// of the JSON body is sent, so the client fails to decode it. The
	// generation completes and is billed.
	Truncate bool
	// Stall, when streaming, sends every piece and then keeps the
	// connection open without sending the terminal chunk or event until
	// the client disconnects. The generation completes and is billed.
	Stall bool
	// Drop cuts the connection abruptly (no clean end of body) after the
	// pieces (streaming) or after half of the JSON body (non-streaming);
	// the client sees a read error. The generation completes and is billed.
	Drop bool
	// CutAfter, when > 0 and streaming, cuts the stream after this many
	// chunks or events on this connection: cleanly, or abruptly with Drop,
	// or held open with Stall. Without it those faults cut just before the
	// terminal chunk or event. Use it to resume a Responses stream after a
	// known sequence number.
	CutAfter int
	// StreamError makes the generation fail after its pieces. Chat
	// completions, when streaming: an SSE event carrying
	// {"error": StreamError} ends the body and openai-go reports an
	// *ssestream.StreamError; ignored when not streaming. Responses: the
	// response ends "failed" with error {code, message} (code
	// "server_error" when StreamError.Code is empty), streamed as an
	// "error" event then response.failed. Billed for what was generated.
	StreamError *APIError
}

// ToolCall is one function call: scripted in [Reply.ToolCalls], or
// recorded in [Message.ToolCalls] when a request sends it back.
type ToolCall struct {
	// ID is the call id (chat tool_calls[].id, Responses call_id).
	ID string
	// Name is the function name.
	Name string
	// Arguments is the JSON text of the arguments.
	Arguments string
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

// ToolCalls answers with the given function calls and no text; see
// [Reply.ToolCalls]:
//
//	llmtest.ToolCalls(llmtest.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris"}`})
func ToolCalls(calls ...ToolCall) Reply {
	return Reply{ToolCalls: calls}
}
