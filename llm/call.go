package llm

import (
	"context"
	"fmt"
	"net/http"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
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
	return chatAnswer(ep, cc, res)
}

// chatAnswer converts a whole chat completion: the answer of a
// non-streamed call, or of a streamed one the server answered as JSON.
func chatAnswer(ep *endpoint, cc *openai.ChatCompletion, res *http.Response) (Response, error) {
	resp := Response{Model: cc.Model, RequestID: requestID(res)}
	if cc.JSON.Usage.Valid() && cc.Usage.PromptTokens+cc.Usage.CompletionTokens > 0 {
		resp.PromptTokens, resp.CompletionTokens = cc.Usage.PromptTokens, cc.Usage.CompletionTokens
	} else {
		resp.UsageEstimated = true
	}
	if len(cc.Choices) == 0 {
		return Response{}, truncated(ep, res, "answer without choices", true)
	}
	choice := cc.Choices[0]
	resp.Text, resp.FinishReason = choice.Message.Content, choice.FinishReason
	if resp.Text == "" && choice.Message.Refusal != "" {
		resp.Text = choice.Message.Refusal
	}
	resp.ToolCalls = chatToolCalls(choice.Message.ToolCalls)
	if len(resp.ToolCalls) > 0 && resp.FinishReason == "" {
		resp.FinishReason = "tool_calls"
	}
	return resp, nil
}

// truncated is the retryable error of an answer that ended early. billed
// says whether the provider accepted the request, so that it may bill the
// attempt (see [ErrorDetails.Billed]).
func truncated(ep *endpoint, res *http.Response, what string, billed bool) error {
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("llm: model %q: %s; retryable", ep.name, what), ErrTypeTruncated,
		temporal.ApplicationErrorOptions{Details: []any{ErrorDetails{
			ModelName: ep.name, Model: ep.id, Status: statusOf(res), RequestID: requestID(res), Billed: billed,
		}}})
}

func statusOf(res *http.Response) int {
	if res == nil {
		return 0
	}
	return res.StatusCode
}

func requestID(res *http.Response) string {
	if res == nil {
		return ""
	}
	return res.Header.Get("x-request-id")
}
