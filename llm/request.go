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
	// Role is [RoleSystem], [RoleUser] or [RoleAssistant].
	Role string
	// Content is the message text.
	Content string
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
	// Fallback lists further configured model names: after a retryable
	// failure on attempt N the next attempt uses the next model of
	// Model, Fallback[0], Fallback[1], ... and stays on the last one.
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
	// Seed, when set, asks the provider for a reproducible sample.
	Seed *int64 `json:",omitempty"`
	// Stream asks for a streamed answer: the activity heartbeats its
	// progress (see [Progress]) and treats a stream that ends without a
	// finish reason as a truncated, retryable attempt.
	Stream bool `json:",omitempty"`
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
}

// models returns the configured model names the attempts use, in order.
func (r Request) models(defaultModel string) []string {
	first := r.Model
	if first == "" {
		first = defaultModel
	}
	return append([]string{first}, r.Fallback...)
}

// modelForAttempt returns the model name for the 1-based attempt.
func (r Request) modelForAttempt(defaultModel string, attempt int32) (name string, index int) {
	ms := r.models(defaultModel)
	i := int(attempt) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(ms) {
		i = len(ms) - 1
	}
	return ms[i], i
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
	// meaningful only when CostKnown is true: a model missing from the
	// table has an unknown cost, not a zero one.
	CostUSD float64
	// CostKnown reports whether CostUSD is known.
	CostKnown bool
	// Attempt is the activity attempt that produced the answer.
	Attempt int32
	// Offline reports an answer from the offline model (see [Offline]).
	Offline bool `json:",omitempty"`
	// JSON is the JSON document found in Text when the request had a
	// Schema (code fences and surrounding prose removed); nil when none
	// was found.
	JSON json.RawMessage `json:",omitempty"`
	// SchemaError is why the answer does not match the request's Schema;
	// empty when it matches or when there was no schema.
	SchemaError string `json:",omitempty"`
}

// TotalTokens returns PromptTokens + CompletionTokens.
func (r Response) TotalTokens() int64 { return r.PromptTokens + r.CompletionTokens }
