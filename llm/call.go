package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"go.temporal.io/sdk/temporal"
)

// call makes one non-streamed chat completion.
func (a *Activities) call(ctx context.Context, ep *endpoint, req Request, at attemptInfo) (Response, error) {
	params, err := buildParams(req, ep)
	if err != nil {
		return Response{}, err
	}
	var res *http.Response
	cc, err := ep.client.Chat.Completions.New(ctx, params, option.WithMaxRetries(0), option.WithResponseInto(&res))
	if err != nil {
		return Response{}, classify(err, res, at)
	}
	resp := Response{Model: cc.Model, PromptTokens: cc.Usage.PromptTokens, CompletionTokens: cc.Usage.CompletionTokens}
	if res != nil {
		resp.RequestID = res.Header.Get("x-request-id")
	}
	if len(cc.Choices) == 0 {
		return Response{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("llm: model %q: answer without choices; retryable", ep.name), ErrTypeTruncated,
			temporal.ApplicationErrorOptions{Details: []any{ErrorDetails{ModelName: ep.name, Model: ep.id, Status: statusOf(res), RequestID: resp.RequestID}}})
	}
	choice := cc.Choices[0]
	resp.Text, resp.FinishReason = choice.Message.Content, choice.FinishReason
	if resp.Text == "" && choice.Message.Refusal != "" {
		resp.Text = choice.Message.Refusal
	}
	return resp, nil
}

func statusOf(res *http.Response) int {
	if res == nil {
		return 0
	}
	return res.StatusCode
}

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
			p.Messages = append(p.Messages, openai.AssistantMessage(m.Content))
		case "developer":
			p.Messages = append(p.Messages, openai.DeveloperMessage(m.Content))
		default:
			return p, invalidRequest("llm: message %d has role %q: use llm.RoleSystem, llm.RoleUser or llm.RoleAssistant", i, m.Role)
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
		name := req.SchemaName
		if name == "" {
			name = "output"
		}
		if !reSchemaName.MatchString(name) {
			return p, invalidRequest("llm: SchemaName %q: use 1 to 64 of a-z, A-Z, 0-9, _ and -", name)
		}
		js := shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: name, Schema: json.RawMessage(req.Schema)}
		if req.Strict {
			js.Strict = openai.Bool(true)
		}
		p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: js},
		}
	}
	if req.Stream {
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	}
	return p, nil
}
