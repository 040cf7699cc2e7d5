package llmtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Endpoint names what a request asked for. [Request.Endpoint] and
// [Call.Endpoint] carry it, and [Handler.EnqueueOn] scripts one endpoint.
type Endpoint string

// The endpoints the server answers; any path prefix works, so a base URL
// ending in "/v1/" does.
const (
	// EndpointChat is POST .../chat/completions.
	EndpointChat Endpoint = "chat.completions"
	// EndpointResponses is POST .../responses (create a response).
	EndpointResponses Endpoint = "responses"
	// EndpointRetrieve is GET .../responses/{id}, streamed with
	// ?stream=true (or "stream": true in a JSON body, as openai-go sends it).
	EndpointRetrieve Endpoint = "responses.retrieve"
	// EndpointCancel is POST .../responses/{id}/cancel.
	EndpointCancel Endpoint = "responses.cancel"
)

// generates reports whether requests to e start a generation.
func (e Endpoint) generates() bool { return e == EndpointChat || e == EndpointResponses }

// Request is one HTTP request the server received, as recorded by
// [Handler.Requests]. Fields that a request's endpoint does not have stay
// zero.
type Request struct {
	// Endpoint is what the request asked for; "" for an unknown path.
	Endpoint Endpoint
	// Method and Path are the HTTP method and URL path.
	Method, Path string
	// Model is the requested model.
	Model string
	// Messages are the conversation sent: chat messages, or the Responses
	// input (a string input is one "user" message). Content sent as an
	// array of parts is flattened to the concatenation of its text parts.
	// Tool calls and tool results are messages too: see [Message].
	Messages []Message
	// Instructions is the Responses "instructions" field.
	Instructions string
	// Tools are the tools offered, from either API's format.
	Tools []Tool
	// ToolChoice is the raw tool_choice value ("auto", or an object), nil
	// when absent.
	ToolChoice json.RawMessage
	// ParallelToolCalls is parallel_tool_calls, nil when absent.
	ParallelToolCalls *bool
	// Stream reports whether a streamed answer was asked for (on
	// [EndpointRetrieve]: by the query or by the body).
	Stream bool
	// IncludeUsage reports stream_options.include_usage (chat).
	IncludeUsage bool
	// Background reports "background": true (Responses).
	Background bool
	// Store is the "store" field, nil when absent.
	Store *bool
	// ResponseFormat is the raw response_format object (chat) or
	// text.format object (Responses), nil when absent.
	ResponseFormat json.RawMessage
	// Metadata is the "metadata" object, nil when absent.
	Metadata map[string]string
	// PreviousResponseID is the Responses previous_response_id, "" when
	// absent.
	PreviousResponseID string
	// IdempotencyKey is the Idempotency-Key header, "" when absent.
	IdempotencyKey string
	// ResponseID is the response addressed by [EndpointRetrieve] and
	// [EndpointCancel].
	ResponseID string
	// StartingAfter is the starting_after sequence number of a streamed
	// retrieve, nil when absent.
	StartingAfter *int
	// Header is a copy of the request headers (Authorization included).
	Header http.Header
	// Body is the raw request body.
	Body []byte
	// Time is when the request arrived.
	Time time.Time

	// CallID is the id of the generation the request started or
	// addressed ("chatcmpl-llmtest-<n>" or "resp_llmtest_<n>"), "" when
	// none; see [Handler.Calls].
	CallID string
	// Status is the HTTP status answered: 0 while the request is pending
	// or when it was never answered (server closed),
	// [StatusClientClosedRequest] when the client went away before the
	// status was sent.
	Status int
	// Billed reports whether the generation this request started was
	// billed (see [Call.Billed]); it becomes true when the generation
	// finishes, even after the client went away.
	Billed bool
	// PromptTokens and CompletionTokens are the token counts billed for the
	// generation this request started.
	PromptTokens, CompletionTokens int
}

// Message is one message of a [Request]'s conversation. A tool call the
// model made earlier (a chat assistant message with tool_calls, or a
// Responses "function_call" input item) is a message with role
// "assistant" and ToolCalls; a tool result (a chat message with role
// "tool", or a Responses "function_call_output" item) is a message with
// role "tool", ToolCallID and the output as Content. Other Responses item
// types are not listed (read [Request.Body]).
type Message struct {
	// Role is "system", "developer", "user", "assistant" or "tool".
	Role string
	// Content is the message text.
	Content string
	// ToolCalls are the tool calls of an assistant message.
	ToolCalls []ToolCall
	// ToolCallID is the call a tool result answers.
	ToolCallID string
}

// Tool is one tool offered by a request. Chat tools
// ({"type": "function", "function": {...}}) and Responses tools
// ({"type": "function", "name": ...}) both land here.
type Tool struct {
	// Type is "function", or a built-in tool type such as "web_search".
	Type string
	// Name, Description, Parameters and Strict describe a function tool.
	Name, Description string
	// Parameters is the raw JSON schema of the arguments, nil when absent.
	Parameters json.RawMessage
	// Strict reports "strict": true.
	Strict bool
}

// LastUser returns the content of the last message with role "user", or ""
// when there is none.
func (r Request) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// ToolResult returns the output sent for the tool call callID (the
// content of a "tool" message with that ToolCallID) and whether there is
// one.
func (r Request) ToolResult(callID string) (string, bool) {
	for _, m := range r.Messages {
		if m.Role == "tool" && m.ToolCallID == callID {
			return m.Content, true
		}
	}
	return "", false
}

// promptTokens is the default prompt token count: words of the
// instructions and of every message, tool calls' arguments included.
func (r Request) promptTokens() int {
	n := countWords(r.Instructions)
	for _, m := range r.Messages {
		n += countWords(m.Content)
		for _, tc := range m.ToolCalls {
			n += countWords(tc.Arguments)
		}
	}
	return n
}

// wireRequest is the part of a chat.completions request body the server
// reads.
type wireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ResponseFormat    json.RawMessage   `json:"response_format"`
	Tools             []json.RawMessage `json:"tools"`
	ToolChoice        json.RawMessage   `json:"tool_choice"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls"`
	Store             *bool             `json:"store"`
	Metadata          map[string]string `json:"metadata"`
}

// parseRequest fills the body-derived fields of a chat request. It
// returns an error when the body is not a chat.completions request.
func parseRequest(req *Request) error {
	var w wireRequest
	if err := json.Unmarshal(req.Body, &w); err != nil {
		return err
	}
	req.Model = w.Model
	req.Stream = w.Stream
	req.IncludeUsage = w.StreamOptions != nil && w.StreamOptions.IncludeUsage
	req.ResponseFormat = present(w.ResponseFormat)
	req.ToolChoice = present(w.ToolChoice)
	req.ParallelToolCalls, req.Store, req.Metadata = w.ParallelToolCalls, w.Store, w.Metadata
	for _, m := range w.Messages {
		msg := Message{Role: m.Role, Content: contentText(m.Content), ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		req.Messages = append(req.Messages, msg)
	}
	req.Tools = parseTools(w.Tools)
	return nil
}

// parseTools reads tools in the chat format (fields under "function") or
// the Responses format (fields at the top level).
func parseTools(raw []json.RawMessage) []Tool {
	type fields struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      bool            `json:"strict"`
		Function    *fields         `json:"function"`
	}
	var out []Tool
	for _, r := range raw {
		var f fields
		if json.Unmarshal(r, &f) != nil {
			continue
		}
		t := Tool{Type: f.Type}
		if f.Function != nil {
			f.Name, f.Description, f.Parameters, f.Strict = f.Function.Name, f.Function.Description, f.Function.Parameters, f.Function.Strict
		}
		t.Name, t.Description, t.Parameters, t.Strict = f.Name, f.Description, present(f.Parameters), f.Strict
		out = append(out, t)
	}
	return out
}

// present returns raw, or nil when it is absent or JSON null.
func present(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

// contentText flattens a message content: a JSON string, or an array of
// parts whose "text" fields are concatenated.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// countWords is the default token count: whitespace-separated words.
func countWords(s string) int {
	return len(strings.Fields(s))
}
