// Package llmtest is an OpenAI-compatible server for tests, demos and
// chaos harnesses: chat completions and the Responses API (background mode
// included), answered from a script of replies, with the faults real
// providers produce, tool calls, and billing that works like a provider's.
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
// It serves, in the wire format of github.com/openai/openai-go/v3 and
// OpenAI's openapi.yaml:
//
//   - POST {base}/chat/completions: a chat.completion object, or, when the
//     request sets "stream": true, server-sent events of
//     chat.completion.chunk objects (a role chunk, one chunk per piece, a
//     chunk with the finish reason, a usage chunk when
//     stream_options.include_usage is set, then "data: [DONE]").
//   - POST {base}/responses: a response object, or, with "stream": true,
//     "event:"/"data:" server-sent events with sequence numbers from 0:
//     response.created, (background: response.queued,) response.in_progress,
//     response.output_item.added, response.content_part.added,
//     response.output_text.delta..., response.output_text.done,
//     response.content_part.done, response.output_item.done (and for tool
//     calls response.function_call_arguments.delta/.done), then
//     response.completed, response.incomplete, or "error" followed by
//     response.failed. With "background": true the create answers at once
//     with status "queued" (or streams), and the generation runs on the
//     server.
//   - GET {base}/responses/{id}: the stored response as it stands (status
//     queued, in_progress, completed, incomplete, failed or cancelled).
//     With ?stream=true (or "stream": true in a JSON body, which is what
//     openai-go v3.96.0's GetStreaming sends) and starting_after=N it
//     streams a background response's events after sequence number N,
//     then follows the generation live.
//   - POST {base}/responses/{id}/cancel: cancels a background response;
//     cancelling a finished one returns it unchanged.
//
// Replies come from the scripts in FIFO order: [Handler.EnqueueOn] for one
// endpoint first, then [Handler.Enqueue] shared by chat completions and
// Responses creates, so one script drives either API. When both are empty
// the server answers with a deterministic echo: content
// "echo: <last user message>", tokens counted as whitespace-separated
// words (prompt: instructions and all request messages; completion: the
// content and tool-call arguments). [Handler.SetDefault] replaces that
// default, for example with a function that answers by the request's
// content, or that injects faults at random for a chaos demo.
//
// [Handler] is the same server without a test: run it on any listener,
// or on a real address with [Listen], for demos and chaos harnesses.
//
// # Billing like a provider
//
// A successful reply starts a generation: a [Call] that produces the answer
// piece by piece on the server (one piece per word, or [Reply.Chunks]),
// paced by [Reply.GenerationTime] or [Reply.ChunkDelay], whether or not a
// client is connected. A generation that started is finished and billed
// even when its client went away, as providers do; [Call.Abandoned] then
// says that the client left before receiving the whole answer, and a
// retry that buys the answer again shows as a second billed call. A
// cancelled background response bills the tokens generated before the
// cancel when it had left the queue, and nothing when it was still queued.
// Errors, and requests whose client left during [Reply.Delay] or
// [Reply.Hang] (before a generation started), are not billed. Delivery
// faults (Truncate, Drop, Stall, CutAfter) cut a connection, never the
// generation: truncated, stalled and dropped answers are billed.
//
// [Handler.Calls], [Handler.Call] and [Handler.Stats] report each
// generation (id, endpoint, model, status, tokens billed, billed,
// abandoned, delivered, cancelled, idempotency key, metadata) and the
// totals; [Handler.Billed] counts billed generations.
//
// # Tool calls
//
// [Reply.ToolCalls] (or [ToolCalls]) scripts deterministic function calls:
// message.tool_calls with finish_reason "tool_calls" and streamed tool-call
// deltas on chat completions; "function_call" output items with call_id,
// name and arguments, streamed as response.function_call_arguments events,
// on Responses. Requests are recorded with their tools, tool_choice,
// parallel_tool_calls, and the tool calls and tool results they send back
// (see [Message] and [Request.ToolResult]), so a SetDefault function can
// script a whole agent loop and a test can assert on every turn.
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
//   - [Slow], [Hung]: late or no answers, to exercise timeouts and
//     cancellation (on a background response: held "queued").
//   - [Truncated]: an answer cut before its end; openai-go then reports a
//     nil error on a stream.
//
// [Reply] fields cover the rest: Stall (stream held open), Drop
// (connection cut), CutAfter (stream cut after N events, to resume from
// there), StreamError (error event mid-stream; a failed response),
// GenerationTime, ChunkDelay and Hold (slow or paused generation),
// FinishReason "length" or "content_filter" (an incomplete response).
// [Handler.EnqueueOn] scripts the same faults on retrieve and cancel.
//
// # Determinism
//
// llmtest is worker-side and test-side code: it uses the wall clock,
// goroutines and the network, and must never be called from workflow
// code. Its answers are deterministic: ids are "chatcmpl-llmtest-<n>",
// "resp_llmtest_<n>", "msg_llmtest_<n>", "fc_llmtest_<n>_<i>" and
// "call_llmtest_<n>_<i>", request ids "req_llmtest_<n>", n being the
// request's arrival number; contents, events and token counts depend only
// on the script and the request.
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
// Every HTTP request is recorded ([Handler.Requests]) with its endpoint,
// parsed body, headers, answered status and the generation it started or
// addressed.
//
// # Testing
//
// Wait on events, never on sleeps: [Handler.WaitRequests] returns once n
// requests have arrived (for example before cancelling a hung call),
// [Handler.WaitHandled] once n have been fully handled (for example to
// read [StatusClientClosedRequest] after a client timed out),
// [Handler.WaitSettled] once no generation is in flight (every one billed)
// and [Handler.WaitBilled] once n were billed. A generation bills itself
// before a client can see the end of its answer, so Billed is exact as
// soon as the client has a whole answer; after a client went away, wait
// with WaitSettled. [Reply.Hold] pauses a generation before its last piece
// until a channel is closed, and [Call.Held] reports it got there: a
// deterministic point to disconnect, kill a worker or stop a call
// mid-generation. All methods are safe for concurrent use.
package llmtest
