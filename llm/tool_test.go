package llm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

type weatherArgs struct {
	City string `json:"city" jsonschema:"the city"`
	Days int    `json:"days,omitempty"`
}

func TestToolFor(t *testing.T) {
	tool, err := ToolFor[weatherArgs]("get_weather", "Weather of a city")
	require.NoError(t, err)
	assert.Equal(t, "get_weather", tool.Name)
	assert.JSONEq(t, `{"type":"object","properties":{"city":{"type":"string","description":"the city"},"days":{"type":"integer"}},`+
		`"required":["city"],"additionalProperties":false}`, string(tool.Parameters))

	_, err = ToolFor[weatherArgs]("get weather", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "use 1 to 64 of")
	_, err = ToolFor[string]("echo", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a struct")
	assert.NotContains(t, err.Error(), "llm: llm:")
}

// TestToolRoundTrip asks for tool calls and sends their results back, on
// both APIs, streamed and not.
func TestToolRoundTrip(t *testing.T) {
	weather, err := ToolFor[weatherArgs]("get_weather", "Weather of a city")
	require.NoError(t, err)
	parallel := false
	for _, api := range []API{APIChatCompletions, APIResponses, APIResponsesBackground} {
		for _, stream := range []bool{false, true} {
			t.Run(string(api)+map[bool]string{false: "", true: " streamed"}[stream], func(t *testing.T) {
				s := llmtest.NewServer(t)
				s.Enqueue(llmtest.ToolCalls(llmtest.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city": "Paris"}`}),
					llmtest.Text("It is sunny in Paris."))
				a := newActivities(t, apiConfig(s, api))
				req := Request{Prompt: "weather in Paris?", Tools: []Tool{weather}, ToolChoice: "get_weather", ParallelToolCalls: &parallel, Stream: stream}
				resp, err := runOnce(t, a, req)
				require.NoError(t, err)
				assert.Equal(t, "tool_calls", resp.FinishReason)
				require.Equal(t, []ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city": "Paris"}`}}, resp.ToolCalls)

				got := s.Requests()[0]
				require.Len(t, got.Tools, 1)
				assert.Equal(t, "get_weather", got.Tools[0].Name)
				assert.Equal(t, "Weather of a city", got.Tools[0].Description)
				assert.JSONEq(t, string(weather.Parameters), string(got.Tools[0].Parameters))
				assert.Contains(t, string(got.ToolChoice), `"get_weather"`)
				require.NotNil(t, got.ParallelToolCalls)
				assert.False(t, *got.ParallelToolCalls)

				req.ToolChoice = ToolChoiceAuto
				req.Messages = []Message{User(req.Prompt), {Role: RoleAssistant, ToolCalls: resp.ToolCalls}, ToolResult("call_1", `{"sky":"clear"}`)}
				req.Prompt = ""
				resp, err = runOnce(t, a, req)
				require.NoError(t, err)
				assert.Equal(t, "It is sunny in Paris.", resp.Text)
				assert.Equal(t, "stop", resp.FinishReason)
				got = s.Requests()[len(s.Requests())-1]
				if api == APIResponsesBackground && !stream {
					got = s.Requests()[2] // the create; polls follow it
				}
				assert.Equal(t, []llmtest.Message{
					{Role: "user", Content: "weather in Paris?"},
					{Role: "assistant", ToolCalls: []llmtest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city": "Paris"}`}}},
					{Role: "tool", ToolCallID: "call_1", Content: `{"sky":"clear"}`},
				}, got.Messages)
				assert.Equal(t, 2, s.Billed())
			})
		}
	}
}

func TestToolRequestErrors(t *testing.T) {
	s := llmtest.NewServer(t)
	a := newActivities(t, serverConfig(s))
	tool := Tool{Name: "lookup"}
	cases := map[string]Request{
		"bad name":          {Prompt: "x", Tools: []Tool{{Name: "look up"}}},
		"twice":             {Prompt: "x", Tools: []Tool{tool, tool}},
		"bad parameters":    {Prompt: "x", Tools: []Tool{{Name: "a", Parameters: []byte(`[1]`)}}},
		"unknown choice":    {Prompt: "x", Tools: []Tool{tool}, ToolChoice: "other"},
		"required no tool":  {Prompt: "x", ToolChoice: ToolChoiceRequired},
		"result without id": {Messages: []Message{User("x"), {Role: RoleTool, Content: "out"}}},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := runOnce(t, a, req)
			ae := appError(t, err)
			assert.Equal(t, ErrTypeInvalidRequest, ae.Type())
			assert.True(t, ae.NonRetryable())
			assert.NotContains(t, err.Error(), "llm: llm:")
		})
	}
	assert.Empty(t, s.Requests(), "nothing is sent")
}
