package llm

import (
	"encoding/json"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/responses"
)

// buildResponseParams turns a Request into Responses API parameters for
// ep. System messages stay input messages (role system) rather than
// instructions, so the conversation keeps its order; an assistant message's
// tool calls become function_call items and tool messages
// function_call_output items. The Responses API has no seed: Request.Seed
// is not sent.
func buildResponseParams(req Request, ep *endpoint, background bool) (responses.ResponseNewParams, error) {
	msgs := req.allMessages()
	p := responses.ResponseNewParams{Model: ep.id}
	items := make(responses.ResponseInputParam, 0, len(msgs))
	for i, m := range msgs {
		switch m.Role {
		case RoleSystem, RoleUser, "developer":
			items = append(items, responses.ResponseInputItemParamOfMessage(m.Content, responses.EasyInputMessageRole(m.Role)))
		case RoleAssistant:
			if m.Content != "" || len(m.ToolCalls) == 0 {
				items = append(items, responses.ResponseInputItemParamOfMessage(m.Content, responses.EasyInputMessageRoleAssistant))
			}
			for _, c := range m.ToolCalls {
				items = append(items, responses.ResponseInputItemParamOfFunctionCall(c.Arguments, c.ID, c.Name))
			}
		case RoleTool:
			if m.ToolCallID == "" {
				return p, invalidRequest("llm: message %d has role tool but no ToolCallID: build it with llm.ToolResult(call.ID, output)", i)
			}
			items = append(items, responses.ResponseInputItemUnionParam{OfFunctionCallOutput: &responses.ResponseInputItemFunctionCallOutputParam{
				CallID: param.NewOpt(m.ToolCallID),
				Output: responses.ResponseInputItemFunctionCallOutputOutputUnionParam{OfString: param.NewOpt(m.Content)},
			}})
		default:
			return p, invalidRequest("llm: message %d has role %q: use llm.RoleSystem, llm.RoleUser, llm.RoleAssistant or llm.RoleTool", i, m.Role)
		}
	}
	p.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: items}
	if req.MaxTokens > 0 {
		p.MaxOutputTokens = openai.Int(req.MaxTokens)
	}
	if req.Temperature != nil {
		p.Temperature = openai.Float(*req.Temperature)
	}
	if len(req.Schema) > 0 {
		name, err := schemaName(req)
		if err != nil {
			return p, err
		}
		var schema map[string]any
		if err := json.Unmarshal(req.Schema, &schema); err != nil {
			return p, invalidRequest("llm: Request.Schema is not a JSON object: %v", err)
		}
		js := &responses.ResponseFormatTextJSONSchemaConfigParam{Name: name, Schema: schema}
		if req.Strict {
			js.Strict = openai.Bool(true)
		}
		p.Text = responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigUnionParam{OfJSONSchema: js}}
	}
	if err := responseTools(req, &p); err != nil {
		return p, err
	}
	if background {
		// Background responses must be stored to be retrieved, resumed
		// and cancelled.
		p.Background, p.Store = openai.Bool(true), openai.Bool(true)
	}
	return p, nil
}

// responseTools sets the function tools, tool choice and
// parallel_tool_calls of p. Strict is always sent: the Responses API makes
// function tools strict unless told otherwise.
func responseTools(req Request, p *responses.ResponseNewParams) error {
	if err := checkTools(req); err != nil {
		return err
	}
	for _, t := range req.Tools {
		f := &responses.FunctionToolParam{Name: t.Name, Parameters: toolParameters(t), Strict: openai.Bool(t.Strict)}
		if t.Description != "" {
			f.Description = openai.String(t.Description)
		}
		p.Tools = append(p.Tools, responses.ToolUnionParam{OfFunction: f})
	}
	switch req.ToolChoice {
	case "":
	case ToolChoiceAuto, ToolChoiceNone, ToolChoiceRequired:
		p.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: param.NewOpt(responses.ToolChoiceOptions(req.ToolChoice))}
	default:
		p.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfFunctionTool: &responses.ToolChoiceFunctionParam{Name: req.ToolChoice}}
	}
	if req.ParallelToolCalls != nil {
		p.ParallelToolCalls = openai.Bool(*req.ParallelToolCalls)
	}
	return nil
}

// responseAnswer converts a completed or incomplete response object into a
// Response.
func responseAnswer(r *responses.Response) Response {
	resp := Response{Model: string(r.Model)}
	var text []byte
	for _, item := range r.Output {
		switch item.Type {
		case "message":
			for _, c := range item.Content {
				switch {
				case c.Type == "output_text":
					text = append(text, c.Text...)
				case c.Type == "refusal" && len(text) == 0:
					text = append(text, c.Refusal...)
				}
			}
		case "function_call":
			resp.ToolCalls = append(resp.ToolCalls, ToolCall{ID: item.CallID, Name: item.Name, Arguments: item.Arguments.OfString})
		}
	}
	resp.Text = string(text)
	switch {
	case r.Status == responses.ResponseStatusIncomplete && r.IncompleteDetails.Reason == "content_filter":
		resp.FinishReason = "content_filter"
	case r.Status == responses.ResponseStatusIncomplete:
		resp.FinishReason = "length"
	case len(resp.ToolCalls) > 0:
		resp.FinishReason = "tool_calls"
	default:
		resp.FinishReason = "stop"
	}
	if r.JSON.Usage.Valid() && r.Usage.InputTokens+r.Usage.OutputTokens > 0 {
		resp.PromptTokens, resp.CompletionTokens = r.Usage.InputTokens, r.Usage.OutputTokens
	} else {
		resp.UsageEstimated = true
	}
	return resp
}
