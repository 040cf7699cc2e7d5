// Package llmtest is an OpenAI-compatible chat-completions server for tests
// and demos: it answers from a script of replies, injects the faults real
// providers produce, and counts every request it billed.
//
// # Overview
//
// [NewServer] starts an [httptest.Server] for one test; give its URL (ending
// in "/v1/") to option.WithBaseURL, or use [Server.ClientOptions]:
//
//	s := llmtest.NewServer(t)
//	s.Enqueue(llmtest.RateLimited("retry-after", "2"), llmtest.Text("done"))
//	client := openai.NewClient(s.ClientOptions()...)
//
// It serves POST {base}/chat/completions in the wire format of
// github.com/openai/openai-go/v3: a chat.completion object, or, when the
// request sets "stream": true, server-sent events of chat.completion.chunk
// objects (a role chunk, one chunk per word, a chunk with the finish reason,
// a usage chunk when stream_options.include_usage is set, then
// "data: [DONE]").
//
// Replies are taken from the script in FIFO order ([Handler.Enqueue]). When
// the script is empty the server answers with a deterministic echo:
// content "echo: <last user message>", tokens counted as whitespace-separated
// words (prompt: all request messages; completion: the content).
// [Handler.SetDefault] replaces that default, for example with a function
// that injects faults at random for a chaos demo.
//
// [Handler] is the same server without a test: run it on any listener,
// or on a real address with [Listen], for demos and chaos harnesses.
//
// # Faults
//
// Each [Reply] constructor scripts one behaviour seen from real providers:
//
//   - [RateLimited]: 429 rate_limit_exceeded with a Retry-After-style header.
//   - [InsufficientQuota]: 429 that waiting will not heal.
//   - [ContextLengthExceeded], [ContentFilter]: 400s that retrying will not heal.
//   - [ServerError], [Unauthorized], [Forbidden], [ModelNotFound]: other statuses.
//   - [Undecodable]: an error body that is not an OpenAI error object.
//   - [Slow], [Hung]: late or no answers, to exercise timeouts and cancellation.
//   - [Truncated]: a stream that ends without finish reason or "[DONE]";
//     openai-go then reports a nil error.
//
// [Reply] fields cover the rest: Stall (stream stops mid-way), Drop
// (connection cut), StreamError (error event mid-stream), ChunkDelay (slow
// generation), FinishReason "length" or "content_filter".
//
// # Determinism
//
// llmtest is worker-side and test-side code: it uses the wall clock, goroutines
// and the network, and must never be called from workflow code. Its answers
// are deterministic: ids are "chatcmpl-llmtest-<n>" and request ids
// "req_llmtest_<n>" by arrival order, and contents and token counts depend
// only on the script and the request.
//
// # Retries and errors
//
// Error replies carry the OpenAI error object {"error": {"message", "type",
// "param", "code"}} with the status and headers of the [Reply], so openai-go
// returns an *openai.Error whose StatusCode, Code, Type and Response.Header
// are those scripted. Build clients with option.WithMaxRetries(0), as
// [Server.ClientOptions] does: otherwise openai-go retries 429 and 5xx
// replies itself and consumes several scripted replies per call.
//
// Every request is recorded ([Handler.Requests]) with its parsed body,
// headers, answered status and whether it was billed. [Handler.Billed]
// counts paid completions: every answer with a 2xx status that was started,
// including truncated, stalled and dropped streams, because a provider bills
// a generation even when the client never receives all of it. Error replies
// and requests abandoned during Delay or Hang are not billed.
//
// # Testing
//
// Wait on events, never on sleeps: [Handler.WaitRequests] returns once n
// requests have arrived (for example before cancelling a hung call) and
// [Handler.WaitHandled] once n have been fully handled (for example to read
// [StatusClientClosedRequest] after a client timed out). Billed and Status
// are recorded before the first byte of a successful answer is written, so
// they are exact as soon as the client has its answer. All methods are safe
// for concurrent use.
package llmtest
