package llm

import (
	"encoding/json"
	"regexp"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

var reSchemaName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// buildParams turns a Request into chat.completions parameters for ep.
func buildParams(req Request, ep *endpoint) (openai.ChatCompletionNewParams, error) {
	msgs := req.allMessages()
	p := openai.ChatCompletionNewParams{Model: ep.id, Messages: make([]openai.ChatCompletionMessageParamUnion, 0, len(msgs))}
	for i, m := range msgs {
		switch m.Role {
		case RoleSystem:
			p.Messages = append(p.Messages, openai.SystemMessage(m.Content))
		case RoleUser:
			p.Messages = append(p.Messages, openai.UserMessage(m.Content))
		case RoleAssistant:
			p.Messages = append(p.Messages, assistantParam(m))
		case RoleTool:
			if m.ToolCallID == "" {
				return p, invalidRequest("llm: message %d has role tool but no ToolCallID: build it with llm.ToolResult(call.ID, output)", i)
			}
			p.Messages = append(p.Messages, openai.ToolMessage(m.Content, m.ToolCallID))
		case "developer":
			p.Messages = append(p.Messages, openai.DeveloperMessage(m.Content))
		default:
			return p, invalidRequest("llm: message %d has role %q: use llm.RoleSystem, llm.RoleUser, llm.RoleAssistant or llm.RoleTool", i, m.Role)
		}
	}
	if req.MaxTokens > 0 {
		if ep.legacyMaxTokens {
			p.MaxTokens = openai.Int(req.MaxTokens)
		} else {
			p.MaxCompletionTokens = openai.Int(req.MaxTokens)
		}
	}
	if req.Temperature != nil {
		p.Temperature = openai.Float(*req.Temperature)
	}
	if req.Seed != nil {
		p.Seed = openai.Int(*req.Seed)
	}
	if len(req.Schema) > 0 {
		name, err := schemaName(req)
		if err != nil {
			return p, err
		}
		js := shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: name, Schema: json.RawMessage(req.Schema)}
		if req.Strict {
			js.Strict = openai.Bool(true)
		}
		p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: js},
		}
	}
	if err := chatTools(req, &p); err != nil {
		return p, err
	}
	if req.Stream {
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	}
	return p, nil
}

// schemaName is req's schema name, checked.
func schemaName(req Request) (string, error) {
	name := req.SchemaName
	if name == "" {
		name = "output"
	}
	if !reSchemaName.MatchString(name) {
		return "", invalidRequest("llm: SchemaName %q: use 1 to 64 of a-z, A-Z, 0-9, _ and -", name)
	}
	return name, nil
}

// assistantParam is an assistant message with its tool calls.
func assistantParam(m Message) openai.ChatCompletionMessageParamUnion {
	if len(m.ToolCalls) == 0 {
		return openai.AssistantMessage(m.Content)
	}
	var a openai.ChatCompletionAssistantMessageParam
	if m.Content != "" {
		a.Content.OfString = openai.String(m.Content)
	}
	for _, c := range m.ToolCalls {
		a.ToolCalls = append(a.ToolCalls, openai.ChatCompletionMessageToolCallUnionParam{
			OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{
				ID:       c.ID,
				Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: c.Arguments},
			},
		})
	}
	return openai.ChatCompletionMessageParamUnion{OfAssistant: &a}
}

// chatTools sets the tools, tool choice and parallel_tool_calls of p.
func chatTools(req Request, p *openai.ChatCompletionNewParams) error {
	if err := checkTools(req); err != nil {
		return err
	}
	for _, t := range req.Tools {
		fd := shared.FunctionDefinitionParam{Name: t.Name, Parameters: toolParameters(t)}
		if t.Description != "" {
			fd.Description = openai.String(t.Description)
		}
		if t.Strict {
			fd.Strict = openai.Bool(true)
		}
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(fd))
	}
	switch req.ToolChoice {
	case "":
	case ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired:
		p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String(req.ToolChoice)}
	default:
		p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfFunctionToolChoice: &openai.ChatCompletionNamedToolChoiceParam{
			Function: openai.ChatCompletionNamedToolChoiceFunctionParam{Name: req.ToolChoice},
		}}
	}
	if req.ParallelToolCalls != nil {
		p.ParallelToolCalls = openai.Bool(*req.ParallelToolCalls)
	}
	return nil
}

// chatToolCalls converts the tool calls of a chat answer.
func chatToolCalls(calls []openai.ChatCompletionMessageToolCallUnion) []ToolCall {
	var out []ToolCall
	for _, c := range calls {
		if c.Type != "" && c.Type != "function" {
			continue
		}
		out = append(out, ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
	}
	return out
}
