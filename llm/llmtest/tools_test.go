package llmtest_test

import (
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

func toolParams() openai.ChatCompletionNewParams {
	p := params("weather in Paris?")
	p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Weather of a city"),
		Parameters:  shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
		Strict:      openai.Bool(true),
	})}
	p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}
	p.ParallelToolCalls = openai.Bool(false)
	return p
}

func TestChatToolCalls(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(
		llmtest.ToolCalls(
			llmtest.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris"}`},
			llmtest.ToolCall{ID: "call_b", Name: "get_time", Arguments: `{}`},
		),
		llmtest.Text("Sunny, 21°C."),
	)
	c := newClient(s)
	res, err := c.Chat.Completions.New(t.Context(), toolParams())
	require.NoError(t, err)
	ch := res.Choices[0]
	assert.Equal(t, "tool_calls", ch.FinishReason)
	assert.Empty(t, ch.Message.Content)
	assert.False(t, ch.Message.JSON.Content.Valid(), "content is null when the model only calls tools")
	require.Len(t, ch.Message.ToolCalls, 2)
	tc := ch.Message.ToolCalls[0]
	assert.Equal(t, "call_llmtest_1_1", tc.ID)
	assert.Equal(t, "function", tc.Type)
	assert.Equal(t, "get_weather", tc.Function.Name)
	assert.JSONEq(t, `{"city":"Paris"}`, tc.Function.Arguments)
	assert.Equal(t, "call_b", ch.Message.ToolCalls[1].ID)

	r := s.Requests()[0]
	require.Len(t, r.Tools, 1)
	assert.Equal(t, llmtest.Tool{
		Type: "function", Name: "get_weather", Description: "Weather of a city", Strict: true,
		Parameters: r.Tools[0].Parameters,
	}, r.Tools[0])
	assert.JSONEq(t, `{"type":"object","properties":{"city":{"type":"string"}}}`, string(r.Tools[0].Parameters))
	assert.JSONEq(t, `"auto"`, string(r.ToolChoice))
	require.NotNil(t, r.ParallelToolCalls)
	assert.False(t, *r.ParallelToolCalls)

	// Second turn: the assistant's calls and the tool results go back.
	p := toolParams()
	p.Messages = append(p.Messages, ch.Message.ToParam(),
		openai.ToolMessage(`{"temp":21}`, tc.ID),
		openai.ToolMessage(`"12:00"`, "call_b"),
	)
	res, err = c.Chat.Completions.New(t.Context(), p)
	require.NoError(t, err)
	assert.Equal(t, "Sunny, 21°C.", res.Choices[0].Message.Content)
	assert.Equal(t, "stop", res.Choices[0].FinishReason)

	msgs := s.Requests()[1].Messages
	require.Len(t, msgs, 5)
	assert.Equal(t, llmtest.Message{Role: "assistant", ToolCalls: []llmtest.ToolCall{
		{ID: "call_llmtest_1_1", Name: "get_weather", Arguments: `{"city":"Paris"}`},
		{ID: "call_b", Name: "get_time", Arguments: `{}`},
	}}, msgs[2])
	assert.Equal(t, llmtest.Message{Role: "tool", ToolCallID: "call_llmtest_1_1", Content: `{"temp":21}`}, msgs[3])
	out, ok := s.Requests()[1].ToolResult("call_b")
	assert.True(t, ok)
	assert.Equal(t, `"12:00"`, out)
}

func TestChatToolCallsStream(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Chunks: 3, ToolCalls: []llmtest.ToolCall{
		{Name: "get_weather", Arguments: `{"city":"Paris"}`},
		{Name: "get_time", Arguments: `{"tz":"CET"}`},
	}})
	p := toolParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := newClient(s).Chat.Completions.NewStreaming(t.Context(), p)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for st.Next() {
		chunks++
		require.True(t, acc.AddChunk(st.Current()))
	}
	require.NoError(t, st.Err())
	assert.Equal(t, 1+3+3+1+1, chunks, "role, 3 deltas per call, finish, usage")
	ch := acc.Choices[0]
	assert.Equal(t, "tool_calls", ch.FinishReason)
	require.Len(t, ch.Message.ToolCalls, 2)
	assert.Equal(t, "call_llmtest_1_1", ch.Message.ToolCalls[0].ID)
	assert.Equal(t, "get_weather", ch.Message.ToolCalls[0].Function.Name)
	assert.JSONEq(t, `{"city":"Paris"}`, ch.Message.ToolCalls[0].Function.Arguments)
	assert.Equal(t, "get_time", ch.Message.ToolCalls[1].Function.Name)
	assert.JSONEq(t, `{"tz":"CET"}`, ch.Message.ToolCalls[1].Function.Arguments)
	assert.Equal(t, int64(2), acc.Usage.CompletionTokens)
}

func TestToolCallsWithTextAndScriptedFinish(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "Checking.", FinishReason: "stop", ToolCalls: []llmtest.ToolCall{{Name: "f", Arguments: `{}`}}})
	res, err := newClient(s).Chat.Completions.New(t.Context(), toolParams())
	require.NoError(t, err)
	assert.Equal(t, "Checking.", res.Choices[0].Message.Content)
	assert.Equal(t, "stop", res.Choices[0].FinishReason)
	assert.Len(t, res.Choices[0].Message.ToolCalls, 1)
}

// A default function can script a whole agent loop: call the tool first,
// answer once its result came back.
func TestSetDefaultScriptsAToolLoop(t *testing.T) {
	s := llmtest.NewServer(t)
	s.SetDefault(func(r llmtest.Request) llmtest.Reply {
		if out, ok := r.ToolResult("call_1"); ok {
			return llmtest.Text("the tool said " + out)
		}
		return llmtest.ToolCalls(llmtest.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{}`})
	})
	c := newClient(s)
	p := toolParams()
	res, err := c.Chat.Completions.New(t.Context(), p)
	require.NoError(t, err)
	require.Len(t, res.Choices[0].Message.ToolCalls, 1)
	p.Messages = append(p.Messages, res.Choices[0].Message.ToParam(), openai.ToolMessage("sunny", "call_1"))
	res, err = c.Chat.Completions.New(t.Context(), p)
	require.NoError(t, err)
	assert.Equal(t, "the tool said sunny", res.Choices[0].Message.Content)
}
