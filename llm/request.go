package llm

import (
	"encoding/json"
	"strings"
)

// Message roles.
const (
	// RoleSystem is the role of instructions to the model.
	RoleSystem = "system"
	// RoleUser is the role of the user's messages.
	RoleUser = "user"
	// RoleAssistant is the role of the model's earlier answers.
	RoleAssistant = "assistant"
)

// Message is one chat message.
type Message struct {
	// Role is [RoleSystem], [RoleUser], [RoleAssistant] or [RoleTool].
	Role string
	// Content is the message text (the tool's output for [RoleTool]).
	Content string
	// ToolCalls are the calls an assistant message asked for (copy them
	// from [Response.ToolCalls] when sending the conversation back).
	ToolCalls []ToolCall `json:",omitempty"`
	// ToolCallID is the call a [RoleTool] message answers (see [ToolResult]).
	ToolCallID string `json:",omitempty"`
	// Ref, when set, sends the message by reference: the activity loads it
	// from [Config.Messages] (see [RefOf] and [ByRef]).
	Ref string `json:",omitempty"`
}

// System returns a system message.
func System(content string) Message { return Message{Role: RoleSystem, Content: content} }

// User returns a user message.
func User(content string) Message { return Message{Role: RoleUser, Content: content} }

// Assistant returns an assistant message.
func Assistant(content string) Message { return Message{Role: RoleAssistant, Content: content} }

// Request is one chat completion, as the workflow asks for it. It is the
// activity's input and is recorded in the workflow history: it names models
// by their configured names and never carries keys or endpoints, which stay
// in the worker's [Config].
//
// The zero value is not usable: set at least Messages (or Prompt).
type Request struct {
	// Model is the configured model name (a key of [Config.Models]). Empty
	// means [Config.DefaultModel].
	Model string
	// Fallback lists further configured model names: after each retryable
	// failure of the provider the next attempt uses the next model of
	// Model, Fallback[0], Fallback[1], ... and stays on the last one. An
	// attempt lost with its worker (a crash, a heartbeat timeout) is not
	// the model's failure: its retry stays on the same model, and resumes
	// its background generation when there is one.
	Fallback []string `json:",omitempty"`
	// System, when set, is sent as a system message before Messages.
	System string `json:",omitempty"`
	// Messages is the conversation so far.
	Messages []Message `json:",omitempty"`
	// Prompt, when set, is sent as a final user message after Messages.
	Prompt string `json:",omitempty"`
	// MaxTokens caps the completion (max_completion_tokens). 0 means the
	// provider's default. A [Budget] uses it to estimate a call's cost.
	MaxTokens int64 `json:",omitempty"`
	// Temperature, when set, is sent as is.
	Temperature *float64 `json:",omitempty"`
	// Seed, when set, asks the provider for a reproducible sample (chat
	// completions only: the Responses API has no seed).
	Seed *int64 `json:",omitempty"`
	// Stream asks for a streamed answer: the activity heartbeats its
	// progress (see [Progress]) and treats a stream that ends without a
	// finish reason as a truncated, retryable attempt.
	Stream bool `json:",omitempty"`
	// StreamTopic, with Stream, publishes the answer's deltas as they
	// arrive to the workflow's stream under this topic (package stream:
	// the workflow must have called stream.New), with a reset marker
	// first on a retry or fallback and an end or failed marker last, on
	// every API (see "Streaming to readers" in the package docs). The
	// answer itself is still the activity's result. Empty publishes
	// nothing.
	StreamTopic string `json:",omitempty"`
	// Summary is the text the Temporal Web UI shows for the activity.
	// Empty means "llm: <model>". A "llm: " prefix is added when missing.
	Summary string `json:",omitempty"`

	// Schema, when set, is a JSON schema the answer must match: it is sent
	// as response_format json_schema and the worker validates the answer
	// against it (see [Response.SchemaError]). [CompleteJSON] sets it from
	// a Go type.
	Schema json.RawMessage `json:",omitempty"`
	// SchemaName names the schema for the provider (a-z, A-Z, 0-9, _ and -,
	// at most 64). Empty means "output".
	SchemaName string `json:",omitempty"`
	// Strict asks the provider for strict schema adherence. OpenAI accepts
	// it only when every property is required (no omitempty fields) and
	// objects forbid additional properties.
	Strict bool `json:",omitempty"`

	// Tools are the functions the model may call. A call ends the answer
	// with FinishReason "tool_calls" and [Response.ToolCalls]; run the tools
	// and send their [ToolResult] messages after the assistant message
	// carrying the calls.
	Tools []Tool `json:",omitempty"`
	// ToolChoice is [ToolChoiceAuto], [ToolChoiceNone], [ToolChoiceRequired]
	// or the name of one tool the model must call; empty means the
	// provider's default.
	ToolChoice string `json:",omitempty"`
	// ParallelToolCalls, when set, allows or forbids several calls in one
	// answer.
	ParallelToolCalls *bool `json:",omitempty"`
	// StoreMessages stores the Messages sent inline and the answer
	// ([AnswerMessage]) in [Config.Messages], so later requests can send
	// them by reference ([ByRef]).
	StoreMessages bool `json:",omitempty"`
}

// models returns the configured model names the attempts use, in order.
func (r Request) models(defaultModel string) []string {
	first := r.Model
	if first == "" {
		first = defaultModel
	}
	return append([]string{first}, r.Fallback...)
}

// allMessages returns System, Messages and Prompt as one list.
func (r Request) allMessages() []Message {
	out := make([]Message, 0, len(r.Messages)+2)
	if r.System != "" {
		out = append(out, System(r.System))
	}
	out = append(out, r.Messages...)
	if r.Prompt != "" {
		out = append(out, User(r.Prompt))
	}
	return out
}

// promptChars is the total length of the messages, for estimates.
func (r Request) promptChars() int {
	n := 0
	for _, m := range r.allMessages() {
		n += len(m.Content)
	}
	return n
}

// label is the UI summary of the request.
func (r Request) label() string {
	s := r.Summary
	if s == "" {
		s = r.Model
		if s == "" {
			s = "completion"
		}
	}
	if !strings.HasPrefix(s, "llm: ") {
		s = "llm: " + s
	}
	return s
}

// Response is the answer to a [Request], as recorded in the workflow history.
type Response struct {
	// Text is the assistant message.
	Text string
	// FinishReason is the provider's finish reason: "stop", "length",
	// "tool_calls", ... ("stop" for the offline model). An answer cut by
	// the content filter is returned as an [ErrTypeContentFilter] error.
	FinishReason string
	// ModelName is the configured name of the model that answered, which
	// differs from [Request.Model] after a fallback.
	ModelName string
	// Model is the provider's id of the model that answered, as it
	// reported it (for example a dated snapshot).
	Model string
	// RequestID is the provider's x-request-id.
	RequestID string `json:",omitempty"`
	// PromptTokens and CompletionTokens are the usage the provider reported.
	PromptTokens, CompletionTokens int64
	// CostUSD is the price of the call from the worker's price table. It is
	// exact only when CostKnown is true: a model missing from the table has
	// an unknown cost (0 here), not a zero one, and an answer without usage
	// has an estimated cost (see UsageEstimated).
	CostUSD float64
	// CostKnown reports whether CostUSD is known.
	CostKnown bool
	// UsageEstimated reports an answer that came without usage:
	// PromptTokens and CompletionTokens are estimates (4 characters a
	// token), CostUSD is their price when the model is priced, and
	// CostKnown is false. A [Budget] counts the estimate.
	UsageEstimated bool `json:",omitempty"`
	// Attempt is the activity attempt that produced the answer.
	Attempt int32
	// Offline reports an answer from the offline model (see [Offline]).
	Offline bool `json:",omitempty"`
	// ToolCalls are the calls the model asked for; FinishReason is then
	// "tool_calls" on both APIs.
	ToolCalls []ToolCall `json:",omitempty"`
	// Total is, for an answer of [CompleteJSON], the usage and cost of
	// every answer it paid for: this one and the invalid ones before it;
	// for a steered call ([WithSteering]) that was stopped or redirected,
	// the usage of every generation it paid for, the interrupted ones
	// included. It is zero otherwise.
	Total Usage `json:",omitzero"`
	// JSON is the JSON document found in Text when the request had a
	// Schema (code fences and surrounding prose removed); nil when none
	// was found.
	JSON json.RawMessage `json:",omitempty"`
	// SchemaError is why the answer does not match the request's Schema;
	// empty when it matches or when there was no schema.
	SchemaError string `json:",omitempty"`
	// Stopped reports an answer a person stopped ([Stop], [WithSteering]),
	// or whose workflow was cancelled, before its end: Text is what the
	// model had written by then, FinishReason is [FinishReasonStopped],
	// and the token counts and cost are what the provider billed for it
	// (estimated, UsageEstimated, when it did not say).
	Stopped bool `json:",omitempty"`
	// Steers are the stops and redirects of a call made [WithSteering],
	// oldest first, each with what the generation it interrupted had
	// produced. After a redirect, this answer is the one to the
	// conversation with the interrupted text and the person's message
	// appended (see [Response.SteerMessages]).
	Steers []Steered `json:",omitempty"`
}

// TotalTokens returns PromptTokens + CompletionTokens.
func (r Response) TotalTokens() int64 { return r.PromptTokens + r.CompletionTokens }
