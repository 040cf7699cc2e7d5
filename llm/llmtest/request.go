package llmtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Request is one request the server received, as recorded by
// [Handler.Requests].
type Request struct {
	// Model is the requested model.
	Model string
	// Messages are the request messages. Content sent as an array of parts
	// is flattened to the concatenation of its text parts.
	Messages []Message
	// Stream reports whether a streamed answer was asked for.
	Stream bool
	// IncludeUsage reports stream_options.include_usage.
	IncludeUsage bool
	// ResponseFormat is the raw response_format object, nil when absent.
	ResponseFormat json.RawMessage
	// Header is a copy of the request headers (Authorization included).
	Header http.Header
	// Body is the raw request body.
	Body []byte
	// Time is when the request arrived.
	Time time.Time

	// Status is the HTTP status answered: 0 while the request is pending
	// or when it was never answered (server closed),
	// [StatusClientClosedRequest] when the client went away first.
	Status int
	// Billed reports whether a paid completion was produced: a 2xx answer
	// was started, including truncated, stalled and dropped streams.
	Billed bool
	// PromptTokens and CompletionTokens are the token counts reported to
	// the client when the request was billed.
	PromptTokens, CompletionTokens int
}

// Message is one chat message of a [Request].
type Message struct {
	// Role is "system", "developer", "user", "assistant" or "tool".
	Role string
	// Content is the message text.
	Content string
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

// wireRequest is the part of a chat.completions request body the server
// reads.
type wireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ResponseFormat json.RawMessage `json:"response_format"`
}

// parseRequest fills the body-derived fields of req. It returns an error
// when the body is not a chat.completions request.
func parseRequest(req *Request) error {
	var w wireRequest
	if err := json.Unmarshal(req.Body, &w); err != nil {
		return err
	}
	req.Model = w.Model
	req.Stream = w.Stream
	req.IncludeUsage = w.StreamOptions != nil && w.StreamOptions.IncludeUsage
	if len(w.ResponseFormat) > 0 && string(w.ResponseFormat) != "null" {
		req.ResponseFormat = w.ResponseFormat
	}
	for _, m := range w.Messages {
		req.Messages = append(req.Messages, Message{Role: m.Role, Content: contentText(m.Content)})
	}
	return nil
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
