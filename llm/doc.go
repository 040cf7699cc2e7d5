// Package llm runs LLM calls as durable Temporal activities: a worker-side
// registry of models whose keys never enter workflow history, error
// classification into Temporal retry semantics, retry-policy presets,
// structured output with bounded repairs, streaming with heartbeats, usage
// and cost per call, budgets, model fallback and at-most-once payment across
// worker crashes.
//
// # Worker side and workflow side
//
// As in Temporal's ADK integration, the package is split in two. On the
// worker, a [Config] names the models (model id, OpenAI-compatible base URL,
// key from the worker's environment, or a prebuilt openai.Client);
// [NewActivities] validates it (a [*ConfigError] says what to fix) and
// [Activities.Register] registers the completion activity under
// [ActivityComplete]:
//
//	acts, err := llm.NewActivities(llm.FromEnv()) // OPENAI_API_KEY / OPENAI_BASE_URL, else offline
//	acts.Register(w)
//
// Any OpenAI-compatible server works through the base URL: Ollama
// (http://localhost:11434/v1/), vLLM, LM Studio. Without OPENAI_API_KEY and
// OPENAI_BASE_URL, [FromEnv] picks the deterministic [Offline] model, whose
// answers are labelled [OfflineLabel]; [Config.Describe] says which.
//
// In the workflow, [Complete] and [CompleteJSON] schedule that activity with
// a [Request] naming models by their configured names:
//
//	resp, err := llm.Complete(ctx, llm.Request{Prompt: "Draft the memo", Summary: "draft v3"})
//	plan, resp, err := llm.CompleteJSON[Plan](ctx, llm.Request{Prompt: "Plan the report"})
//
// A [Response] carries the text, finish reason, tool calls, the model that
// answered (configured name and provider id), the provider's x-request-id,
// token counts and the cost in USD from a price table ([DefaultPrices],
// override with [Config.Prices]); a model missing from the table has an
// unknown cost (CostKnown false), not a zero one, and an answer that came
// without usage has estimated tokens and cost ([Response.UsageEstimated],
// CostKnown false), never a known $0. Every attempt also records an
// OpenTelemetry span (gen_ai.* attributes and [AttrCostUSD]) with the global
// tracer provider.
//
// # APIs, and what a crash costs
//
// Each model names its HTTP API in [Model.API]. Providers bill a generation
// that started even when nobody reads its answer, so what a worker crash in
// the middle of a call costs depends on it:
//
//   - [APIResponsesBackground] (the default on OpenAI's API): the activity
//     creates the response with background: true and records its id in
//     [Config.Store] (idem.SetPending) and in its heartbeat before it waits
//     for it. If the worker dies, the retry, on any worker, finds the id and
//     retrieves the response, or replays its stream from the first event
//     (replaying costs nothing): the generation is paid once. Only the milliseconds between the
//     create call returning and the id being recorded stay open (see
//     [AttrRecordWindow]); without a Store the id reaches Temporal with the
//     next heartbeat, within 0.8 × HeartbeatTimeout (or
//     [Activities.WorkerOptions]' interval). A cancelled activity
//     (its workflow was cancelled, or gave up on it) cancels the response.
//   - [APIResponses] and [APIChatCompletions] (the default on any other
//     server: Ollama, vLLM, LM Studio): a crash during the call loses the
//     generation, which the provider still bills; the retry asks, and pays,
//     again. A crash after the answer was recorded in [Config.Store] costs
//     nothing more: the recorded answer is returned (an answer that arrived
//     but was not yet recorded is bought again). The chaos harness measures
//     it: at N=200 with kills mid-generation, chat completions were billed
//     1048 answers for 609 needed, background Responses 610, the one extra
//     a generation killed in the milliseconds before its id was recorded
//     (docs/CHAOS.md; exactly 609 in the two runs before it).
//
// Either way the dead worker is noticed by its missing heartbeats: the
// retry starts within the activity's HeartbeatTimeout ([DefaultHeartbeatTimeout]
// in [ActivityOptions]) plus the retry backoff, and the claim the dead
// attempt held in the Store expires with its heartbeats.
//
// # Tools
//
// [Request.Tools] offers functions to the model ([ToolFor] derives their
// parameters from a Go type); an answer that calls them has FinishReason
// "tool_calls" and [Response.ToolCalls] on both APIs. Send the calls back in
// an assistant [Message] with the tools' [ToolResult] messages. Tool calls go
// through the same classification, budgets, costs and crash protection as
// any answer.
//
// # Streaming to readers
//
// A streamed request naming a [Request.StreamTopic] publishes the answer's
// deltas, as they arrive, to the stream of the workflow that made the call
// (package stream: the workflow calls stream.New; clients follow it with
// stream.Subscribe or stream.SSEHandler, and stream.Transcript rebuilds
// the text), on every API: chat completions, the Responses API, and
// background generations. Each attempt's events are tagged with it; an
// attempt after the first starts with a reset marker (reason "fallback"
// when it moved to another model) so readers drop the text of the attempt
// before, and an attempt ends with an end marker (a failed one when it
// failed). Whatever the attempt, the stream ends up showing the answer
// the workflow gets:
//
//   - an attempt that resumes the background generation of an earlier one
//     replays it from its first event, after its reset marker;
//   - an attempt answered from [Config.Store] (the earlier attempt's
//     result never reached Temporal) publishes the recorded text;
//   - a stopped call ends with an end marker after its partial text.
//
// Publishing never fails the call: the answer is the activity's result,
// and the stream shows progress (see package stream for its costs).
//
// # Steering
//
// People can stop or redirect a call while it generates. In the workflow,
// [NewSteering] registers the [UpdateSteer] update (and the
// [QuerySteering] query); calls made with [WithSteering] are steerable:
//
//	steering, err := llm.NewSteering(ctx)
//	resp, err := llm.Complete(ctx, req, llm.WithSteering(steering))
//	if resp.Stopped { ... } // resp.Text is what was written before the stop
//
// From any client, for example a review page, [Stop] and [Redirect] (or
// [Steer]) send the update to the workflow's latest run and return once
// the generation in flight has stopped:
//
//	err := llm.Stop(ctx, c, workflowID, "ana@example.com", "off topic")
//	err = llm.Redirect(ctx, c, workflowID, "ana@example.com", "Focus on the costs.")
//
// A steer cancels the call's activity. The activity learns it from the
// answer to its next heartbeat, within [Config.HeartbeatInterval] (plus a
// round trip to the server) on a worker built with
// [Activities.WorkerOptions]; without them the SDK may hold heartbeats for
// up to 0.8 × HeartbeatTimeout. It then stops reading and returns the
// partial text and the usage billed so far:
//
//   - on [APIResponsesBackground] it cancels the provider's response: the
//     provider stops generating, bills only the tokens generated before
//     the cancel, and says how many;
//   - on [APIChatCompletions] and [APIResponses] it closes the connection:
//     the provider finishes the generation and bills all of it, and the
//     usage recorded is an estimate of the part received
//     ([Response.UsageEstimated]).
//
// A stop returns that partial answer, marked [Response.Stopped] with
// [FinishReasonStopped], and a nil error. A redirect asks again with the
// partial text as an assistant message and the person's message as a user
// message appended to the conversation; the new call, labelled
// "(redirect N)" in the Web UI, can be steered in turn. [Response.Steers]
// records every stop and redirect (who, why, what was written), the
// usage of the interrupted generations is charged to the call's [Budget]
// and included in [Response.Total], and [Response.SteerMessages] gives the
// messages the redirects added, to continue the conversation.
// [CompleteJSON] has no whole answer to decode after a stop and fails with
// [ErrTypeStopped]. A steer is refused, with nothing written to the
// history, when it is invalid ([ErrTypeInvalidSteer]) or when no
// steerable call is generating ([ErrTypeNotSteerable]).
//
// Cancelling the workflow cancels its steerable calls the same way:
// [Complete] returns the partial answer with the cancellation error, and
// its usage is charged to the budget. A call made without [WithSteering]
// does not wait for its activity's cancellation, but the activity still
// cancels a background response when it learns it.
//
// A workflow's own activity (one that wraps [Activities.Complete] with a
// store, say) is steered the same way with [Steering.Run]: the steer
// cancels the context Run gives the call, the activity reports its partial
// answer with the cancellation, and the caller decides what a stop or a
// redirect means for it.
//
// # Determinism
//
// [Complete], [CompleteJSON], [NewSteering] and the [Budget] methods run in
// workflow code: they only schedule and cancel activities, read their
// results and set update handlers, queries and search attributes. The answer is validated against the schema on the
// worker, so the workflow only decodes recorded JSON. Everything in
// [Activities], [Config] and [FromEnv] runs on the worker and must not be
// called from workflow code; nor may [Stop], [Redirect] and [Steer], which
// are client code.
//
// # Retries and errors
//
// Temporal is the only retry owner: every openai-go client is built, and
// every call made, with option.WithMaxRetries(0). Failures come back as a
// [*temporal.ApplicationError], returned unwrapped so that its
// NonRetryable flag and NextRetryDelay survive:
//
//   - retryable: 429 rate limits ([ErrTypeRateLimited]), 5xx, 408, 409,
//     network errors, timeouts, truncated answers ([ErrTypeTruncated],
//     including a stream that ends without a finish reason). The next
//     attempt waits for the provider's retry-after-ms, retry-after (seconds
//     or HTTP date) or x-ratelimit-reset-requests|tokens, clamped to
//     [Config.MaxRetryDelay]. x-should-retry is honoured on any status, as
//     in OpenAI's SDKs: false stops the retries, true retries even a 4xx
//     ([ErrTypeRetryAdvised]). A streamed request answered with one
//     complete JSON document (a server that ignores "stream") is answered;
//   - non-retryable, each with its own type and IsX helper:
//     [ErrTypeInsufficientQuota] (also billing codes, even on a 429),
//     [ErrTypeContextLengthExceeded] (the limits are in [ErrorDetails]),
//     [ErrTypeContentFilter], [ErrTypeAuth], [ErrTypeModelNotFound],
//     [ErrTypeBadRequest], [ErrTypeInvalidOutput], [ErrTypeBudgetExceeded].
//
// Servers whose error body openai-go cannot decode are still classified by
// status and headers. [RetryPolicy] bounds all the attempts and lists every
// non-retryable type; [Config.MaxPaidAttempts] bounds, on the worker, those
// that may have been billed ([ErrorDetails.Billed]: answers cut or timed out
// after the provider accepted them), so a storm of unbilled 429s does not
// use up the paid attempts. Each classified failure of the provider moves
// the next attempt to the next model of [Request.Fallback]; an attempt lost
// with its worker does not, and its retry stays on the same model. The
// counts travel between attempts in the heartbeat ([Progress]).
//
// With [Config.Store] set, the activity is wrapped with idem.Wrap: an answer
// the provider delivered but whose activity result never reached Temporal
// (the worker crashed) is returned from the store on the next attempt,
// instead of being bought again, and on [APIResponsesBackground] the
// store holds the id of the generation in flight.
//
// # Budgets
//
// A [Budget] accumulates usage across calls ([WithBudget]), refuses a call
// that could exceed its token or USD limit before it is made, answers the
// [QueryBudget] query and can upsert the [SearchAttributeCostUSD] and
// [SearchAttributeTokens] search attributes (register them on the server).
//
// # Testing
//
// Package llmtest scripts an OpenAI-compatible HTTP server (chat
// completions and the Responses API with background mode; rate limits,
// quotas, truncated streams, hangs, tool calls) that bills like a provider,
// for tests through the real openai-go client. Workflow code is tested with
// go.temporal.io/sdk/testsuite; the integration tests of this package run on
// a real dev server (package durable/durabletest), including a worker
// process killed with SIGKILL in the middle of a background generation,
// and generations stopped, redirected and cancelled in flight.
package llm
