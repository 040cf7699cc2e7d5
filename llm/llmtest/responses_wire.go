package llmtest

import "encoding/json"

// The wire types below follow OpenAI's openapi.yaml (Response, OutputItem,
// ResponseUsage) as openai-go v3 decodes them into responses.Response.

type wireResponse struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"`
	CreatedAt          int64              `json:"created_at"`
	Status             string             `json:"status"`
	Background         bool               `json:"background"`
	CompletedAt        *int64             `json:"completed_at"`
	Error              *wireResponseError `json:"error"`
	IncompleteDetails  *wireIncomplete    `json:"incomplete_details"`
	Instructions       *string            `json:"instructions"`
	MaxOutputTokens    *int               `json:"max_output_tokens"`
	Metadata           map[string]string  `json:"metadata"`
	Model              string             `json:"model"`
	Output             []any              `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id"`
	Store              bool               `json:"store"`
	Temperature        float64            `json:"temperature"`
	Text               json.RawMessage    `json:"text"`
	ToolChoice         json.RawMessage    `json:"tool_choice"`
	Tools              json.RawMessage    `json:"tools"`
	TopP               float64            `json:"top_p"`
	Truncation         string             `json:"truncation"`
	Usage              *wireResponseUsage `json:"usage"`
}

type wireResponseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type wireIncomplete struct {
	Reason string `json:"reason"`
}

type wireResponseUsage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

type wireOutputMessage struct {
	Type    string           `json:"type"`
	ID      string           `json:"id"`
	Status  string           `json:"status"`
	Role    string           `json:"role"`
	Content []wireOutputText `json:"content"`
}

type wireOutputText struct {
	Type        string     `json:"type"`
	Text        string     `json:"text"`
	Annotations []struct{} `json:"annotations"`
	Logprobs    []struct{} `json:"logprobs"`
}

type wireFunctionCall struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	Status    string `json:"status"`
}

// echoFields are the request fields a response object repeats.
type echoFields struct {
	tools, toolChoice, text json.RawMessage
	parallel, store         bool
	instructions, previous  *string
	maxOutput               *int
	metadata                map[string]string
}

// parseEcho reads the echoed fields of a create body (already validated).
func parseEcho(body []byte) echoFields {
	var w struct {
		Tools              json.RawMessage   `json:"tools"`
		ToolChoice         json.RawMessage   `json:"tool_choice"`
		Text               json.RawMessage   `json:"text"`
		ParallelToolCalls  *bool             `json:"parallel_tool_calls"`
		Store              *bool             `json:"store"`
		Instructions       *string           `json:"instructions"`
		PreviousResponseID *string           `json:"previous_response_id"`
		MaxOutputTokens    *int              `json:"max_output_tokens"`
		Metadata           map[string]string `json:"metadata"`
	}
	_ = json.Unmarshal(body, &w)
	e := echoFields{
		tools: present(w.Tools), toolChoice: present(w.ToolChoice), text: present(w.Text),
		parallel: w.ParallelToolCalls == nil || *w.ParallelToolCalls, store: w.Store == nil || *w.Store,
		instructions: w.Instructions, previous: w.PreviousResponseID, maxOutput: w.MaxOutputTokens,
		metadata: w.Metadata,
	}
	if e.tools == nil {
		e.tools = json.RawMessage(`[]`)
	}
	if e.toolChoice == nil {
		e.toolChoice = json.RawMessage(`"auto"`)
	}
	if e.text == nil {
		e.text = json.RawMessage(`{"format":{"type":"text"}}`)
	}
	if e.metadata == nil {
		e.metadata = map[string]string{}
	}
	return e
}
