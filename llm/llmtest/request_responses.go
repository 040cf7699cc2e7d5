package llmtest

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
)

// wireResponsesRequest is the part of a POST /responses body the server
// reads.
type wireResponsesRequest struct {
	Model              string            `json:"model"`
	Input              json.RawMessage   `json:"input"`
	Instructions       *string           `json:"instructions"`
	Tools              []json.RawMessage `json:"tools"`
	ToolChoice         json.RawMessage   `json:"tool_choice"`
	ParallelToolCalls  *bool             `json:"parallel_tool_calls"`
	Background         *bool             `json:"background"`
	Stream             *bool             `json:"stream"`
	Store              *bool             `json:"store"`
	Metadata           map[string]string `json:"metadata"`
	PreviousResponseID *string           `json:"previous_response_id"`
	Text               *struct {
		Format json.RawMessage `json:"format"`
	} `json:"text"`
}

// wireInputItem is one item of a Responses input array.
type wireInputItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// errBadRequest is a request the server refuses with 400; its text is the
// error message and param names the field.
type errBadRequest struct{ msg, param, code string }

func (e errBadRequest) Error() string { return e.msg }

// parseResponsesRequest fills the body-derived fields of a create request.
func parseResponsesRequest(req *Request) error {
	var w wireResponsesRequest
	if err := json.Unmarshal(req.Body, &w); err != nil {
		return err
	}
	if w.Model == "" {
		return errBadRequest{"Missing required parameter: 'model'.", "model", "missing_required_parameter"}
	}
	req.Model = w.Model
	req.Stream = w.Stream != nil && *w.Stream
	req.Background = w.Background != nil && *w.Background
	req.Store, req.Metadata, req.ParallelToolCalls = w.Store, w.Metadata, w.ParallelToolCalls
	if req.Background && w.Store != nil && !*w.Store {
		return errBadRequest{"Background mode requires store=true: a background response must be stored to be retrieved.", "store", ""}
	}
	if w.PreviousResponseID != nil {
		req.PreviousResponseID = *w.PreviousResponseID
	}
	if w.Instructions != nil {
		req.Instructions = *w.Instructions
	}
	if w.Text != nil {
		req.ResponseFormat = present(w.Text.Format)
	}
	req.ToolChoice = present(w.ToolChoice)
	req.Tools = parseTools(w.Tools)
	msgs, err := parseInput(w.Input)
	if err != nil {
		return err
	}
	req.Messages = msgs
	return nil
}

// parseInput reads the Responses input: a string (one user message) or an
// array of items.
func parseInput(raw json.RawMessage) ([]Message, error) {
	if present(raw) == nil {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []Message{{Role: "user", Content: s}}, nil
	}
	var items []wireInputItem
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("input must be a string or an array of input items: " + err.Error())
	}
	var out []Message
	for _, it := range items {
		switch {
		case it.Type == "function_call":
			out = append(out, Message{Role: "assistant", ToolCalls: []ToolCall{{ID: it.CallID, Name: it.Name, Arguments: it.Arguments}}})
		case it.Type == "function_call_output":
			out = append(out, Message{Role: "tool", ToolCallID: it.CallID, Content: contentText(it.Output)})
		case it.Type == "message" || (it.Type == "" && it.Role != ""):
			out = append(out, Message{Role: it.Role, Content: contentText(it.Content)})
		}
	}
	return out, nil
}

// parseRetrieve fills Stream and StartingAfter of a retrieve request from
// its query (the spec's form) or its JSON body (openai-go v3 sends
// "stream" in the body of the GET).
func parseRetrieve(req *Request, q url.Values) error {
	var body struct {
		Stream        *bool `json:"stream"`
		StartingAfter *int  `json:"starting_after"`
	}
	if present(req.Body) != nil {
		if err := json.Unmarshal(req.Body, &body); err != nil {
			return err
		}
	}
	req.Stream = body.Stream != nil && *body.Stream
	if v := q.Get("stream"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errBadRequest{"Invalid value for 'stream': expected a boolean.", "stream", "invalid_value"}
		}
		req.Stream = b
	}
	req.StartingAfter = body.StartingAfter
	if v := q.Get("starting_after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errBadRequest{"Invalid value for 'starting_after': expected an integer.", "starting_after", "invalid_value"}
		}
		req.StartingAfter = &n
	}
	return nil
}
