package llm

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

func TestCompleteAnswer(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a fine memo", Model: "gpt-4o-mini-2024-07-18", PromptTokens: 1000, CompletionTokens: 500,
		Headers: map[string]string{"x-request-id": "req_123"}})
	a := newActivities(t, serverConfig(s))
	temp := 0.2
	resp, err := runOnce(t, a, Request{System: "be brief", Prompt: "draft the memo", MaxTokens: 64, Temperature: &temp})
	require.NoError(t, err)
	assert.Equal(t, "a fine memo", resp.Text)
	assert.Equal(t, "stop", resp.FinishReason)
	assert.Equal(t, "main", resp.ModelName)
	assert.Equal(t, "gpt-4o-mini-2024-07-18", resp.Model, "the model that answered, as reported")
	assert.Equal(t, "req_123", resp.RequestID)
	assert.Equal(t, int64(1000), resp.PromptTokens)
	assert.Equal(t, int64(500), resp.CompletionTokens)
	assert.True(t, resp.CostKnown, "a dated snapshot is priced like its model")
	assert.InDelta(t, (1000*0.15+500*0.60)/1e6, resp.CostUSD, 1e-12)
	assert.Equal(t, int32(1), resp.Attempt)

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, testModelID, reqs[0].Model)
	assert.Equal(t, []llmtest.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "draft the memo"}}, reqs[0].Messages)
	assert.Equal(t, "Bearer sk-test-secret-key-123456", reqs[0].Header.Get("Authorization"), "the key comes from the worker's config")
	assert.Contains(t, string(reqs[0].Body), `"max_tokens":64`, "non-OpenAI endpoints get max_tokens")
	assert.Contains(t, string(reqs[0].Body), `"temperature":0.2`)
}

func TestCompleteCost(t *testing.T) {
	s := llmtest.NewServer(t)
	cfg := serverConfig(s)
	cfg.Models["custom"] = Model{ID: "my-local-llama", BaseURL: s.URL}
	cfg.Models["priced"] = Model{ID: "my-local-llama", BaseURL: s.URL, Price: &Price{InputPerMillion: 1, OutputPerMillion: 2}}
	cfg.Prices = map[string]Price{"gpt-4o-mini": {InputPerMillion: 10, OutputPerMillion: 20}}
	a := newActivities(t, cfg)
	s.Enqueue(llmtest.Reply{PromptTokens: 100, CompletionTokens: 10}, llmtest.Reply{PromptTokens: 100, CompletionTokens: 10},
		llmtest.Reply{PromptTokens: 100, CompletionTokens: 10})

	resp, err := runOnce(t, a, Request{Model: "custom", Prompt: "hi"})
	require.NoError(t, err)
	assert.False(t, resp.CostKnown, "an unpriced model has an unknown cost")
	assert.Zero(t, resp.CostUSD)

	resp, err = runOnce(t, a, Request{Model: "priced", Prompt: "hi"})
	require.NoError(t, err)
	assert.True(t, resp.CostKnown)
	assert.InDelta(t, (100*1+10*2)/1e6, resp.CostUSD, 1e-12)

	resp, err = runOnce(t, a, Request{Prompt: "hi"})
	require.NoError(t, err)
	assert.InDelta(t, (100*10+10*20)/1e6, resp.CostUSD, 1e-12, "Config.Prices overrides the defaults")
}

func TestCompleteRequestErrors(t *testing.T) {
	s := llmtest.NewServer(t)
	a := newActivities(t, serverConfig(s))

	_, err := runOnce(t, a, Request{Model: "nope", Prompt: "hi"})
	assert.True(t, IsUnknownModel(err), "%v", err)
	assert.Contains(t, err.Error(), "backup, main")
	_, err = runOnce(t, a, Request{Prompt: "hi", Fallback: []string{"nope"}})
	assert.True(t, IsUnknownModel(err), "fallbacks are checked up front: %v", err)
	_, err = runOnce(t, a, Request{})
	assert.Equal(t, ErrTypeInvalidRequest, ErrorType(err))
	_, err = runOnce(t, a, Request{Messages: []Message{{Role: "tool", Content: "x"}}})
	assert.Equal(t, ErrTypeInvalidRequest, ErrorType(err))
	_, err = runOnce(t, a, Request{Prompt: "hi", Schema: json.RawMessage(`{"type": 7}`)})
	assert.Equal(t, ErrTypeInvalidRequest, ErrorType(err))
	_, err = runOnce(t, a, Request{Prompt: "hi", Schema: json.RawMessage(`{"$schema": "http://json-schema.org/draft-04/schema#"}`)})
	assert.Equal(t, ErrTypeInvalidRequest, ErrorType(err))
	assert.Empty(t, s.Requests(), "nothing was sent, nothing was paid")
}

func TestCompleteSchema(t *testing.T) {
	s := llmtest.NewServer(t)
	a := newActivities(t, serverConfig(s))
	schema, name, err := schemaOf[plan]()
	require.NoError(t, err)
	assert.Equal(t, "plan", name)

	s.Enqueue(llmtest.Text("Here you go:\n```json\n{\"title\": \"T\", \"steps\": [\"a\"]}\n```"), llmtest.Text(`{"title": 3}`))
	resp, err := runOnce(t, a, Request{Prompt: "plan", Schema: schema, SchemaName: name})
	require.NoError(t, err)
	assert.Empty(t, resp.SchemaError)
	assert.JSONEq(t, `{"title":"T","steps":["a"]}`, string(resp.JSON))

	resp, err = runOnce(t, a, Request{Prompt: "plan", Schema: schema, SchemaName: name})
	require.NoError(t, err, "an invalid answer is a result: the workflow decides to repair")
	assert.NotEmpty(t, resp.SchemaError)

	var rf struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	require.NoError(t, json.Unmarshal(s.Requests()[0].ResponseFormat, &rf))
	assert.Equal(t, "json_schema", rf.Type)
	assert.Equal(t, "plan", rf.JSONSchema.Name)
	assert.JSONEq(t, string(schema), string(rf.JSONSchema.Schema))
}

// TestStreamHeartbeats streams a slow answer and checks every chunk is
// heartbeaten with the progress so far.
func TestStreamHeartbeats(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "one two three four five six", ChunkDelay: 5 * time.Millisecond,
		PromptTokens: 7, CompletionTokens: 6, Headers: map[string]string{"x-request-id": "req_stream"}})
	a := newActivities(t, serverConfig(s))
	var beats []Progress
	hb := &heartbeat{on: true, done: make(chan struct{}), p: Progress{Model: "main"}, record: func(p Progress) { beats = append(beats, p) }}
	req := Request{Prompt: "count", Stream: true}
	resp, err := a.stream(context.Background(), a.endpoints["main"], req, attemptInfo{}, hb)
	require.NoError(t, err)
	assert.Equal(t, "one two three four five six", resp.Text)
	assert.Equal(t, "req_stream", resp.RequestID)
	assert.Equal(t, int64(7), resp.PromptTokens, "usage from the final chunk")
	assert.Equal(t, int64(6), resp.CompletionTokens)
	assert.True(t, s.Requests()[0].Stream)
	assert.True(t, s.Requests()[0].IncludeUsage)

	require.NotEmpty(t, beats)
	last := beats[len(beats)-1]
	assert.Equal(t, Progress{Model: "main", Chunks: len(beats), Chars: len(resp.Text), Tokens: 6}, last)
	for i := 1; i < len(beats); i++ {
		assert.GreaterOrEqual(t, beats[i].Chars, beats[i-1].Chars, "progress only grows")
	}
}

// TestStreamActivity streams inside a real activity context.
func TestStreamActivity(t *testing.T) {
	s := llmtest.NewServer(t)
	a := newActivities(t, serverConfig(s))
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	var beats atomic.Int32
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })
	a.Register(env)
	val, err := env.ExecuteActivity(ActivityComplete, Request{Prompt: "count to three", Stream: true})
	require.NoError(t, err)
	var resp Response
	require.NoError(t, val.Get(&resp))
	assert.Equal(t, "echo: count to three", resp.Text)
	assert.Positive(t, beats.Load(), "the stream heartbeats")
}

func TestStreamWithoutUsage(t *testing.T) {
	s := llmtest.NewServer(t)
	// A server that ignores include_usage: the reply is scripted as a raw SSE body.
	s.Enqueue(llmtest.Reply{Headers: map[string]string{"content-type": "text/event-stream"}, Body: "data: " +
		`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi there"},"finish_reason":"stop"}]}` +
		"\n\ndata: [DONE]\n\n"})
	a := newActivities(t, serverConfig(s))
	resp, err := runOnce(t, a, Request{Prompt: "say hi to everyone", Stream: true})
	require.NoError(t, err)
	assert.Equal(t, "hi there", resp.Text)
	assert.Equal(t, int64(5), resp.PromptTokens, "estimated from 18 characters")
	assert.Equal(t, int64(2), resp.CompletionTokens, "estimated from 8 characters")
	assert.True(t, resp.UsageEstimated)
	assert.False(t, resp.CostKnown, "an estimate is never a known cost")
	assert.InDelta(t, (5*0.15+2*0.60)/1e6, resp.CostUSD, 1e-12, "the estimate is priced")
}

func TestPrebuiltClient(t *testing.T) {
	s := llmtest.NewServer(t)
	c := openai.NewClient(option.WithBaseURL(s.URL), option.WithAPIKey("k"))
	a := newActivities(t, Config{Models: map[string]Model{"m": {ID: "x", Client: &c}}})
	s.Enqueue(llmtest.ServerError(500))
	_, err := runOnce(t, a, ask("hi"))
	assert.True(t, IsRetryable(err))
	assert.Len(t, s.Requests(), 1, "WithMaxRetries(0) is passed on every call, also with a prebuilt client")
}

func TestOpenAIMaxCompletionTokens(t *testing.T) {
	ep := &endpoint{name: "m", id: "gpt-4o"}
	p, err := buildParams(Request{Prompt: "x", MaxTokens: 10}, ep)
	require.NoError(t, err)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"max_completion_tokens":10`)
	assert.NotContains(t, string(b), `"max_tokens"`)
	_, err = buildParams(Request{Prompt: "x", Schema: json.RawMessage(`{}`), SchemaName: "bad name!"}, ep)
	assert.Equal(t, ErrTypeInvalidRequest, ErrorType(err))
}

func TestRequestLabel(t *testing.T) {
	assert.Equal(t, "llm: draft v3", Request{Summary: "draft v3"}.label())
	assert.Equal(t, "llm: draft v3", Request{Summary: "llm: draft v3"}.label())
	assert.Equal(t, "llm: main", Request{Model: "main"}.label())
	assert.Equal(t, "llm: completion", Request{}.label())
	assert.True(t, strings.HasPrefix(ActivityOptions("llm: x").Summary, "llm: "))
}

type plan struct {
	Title string   `json:"title"`
	Steps []string `json:"steps"`
}

func TestIdempotencyKey(t *testing.T) {
	s := llmtest.NewServer(t)
	a := newActivities(t, serverConfig(s))
	ctx := idem.WithKeyContext(context.Background(), "run-1/5")
	k1, err := a.idempotencyKey(ctx, ask("hi"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(k1, "run-1/5:"), k1)
	k2, err := a.idempotencyKey(ctx, ask("hi"))
	require.NoError(t, err)
	assert.Equal(t, k1, k2, "stable for the same request")
	k3, err := a.idempotencyKey(ctx, ask("hello"))
	require.NoError(t, err)
	assert.NotEqual(t, k1, k3, "another request, another key")

	cfg := serverConfig(s)
	cfg.Models["main"] = Model{ID: "gpt-4.1", BaseURL: s.URL, APIKey: "k"}
	k4, err := newActivities(t, cfg).idempotencyKey(ctx, ask("hi"))
	require.NoError(t, err)
	assert.NotEqual(t, k1, k4, "another model id behind the same name, another key")

	_, err = a.idempotencyKey(context.Background(), ask("hi"))
	assert.Error(t, err, "no activity, no key")
}

func TestStoreNeverPaysTwice(t *testing.T) {
	s := llmtest.NewServer(t)
	cfg := serverConfig(s)
	cfg.Store = idem.NewMemoryStore()
	a := newActivities(t, cfg)
	ctx := idem.WithKeyContext(context.Background(), "run-1/1")
	r1, err := a.Complete(ctx, ask("hi"))
	require.NoError(t, err)
	r2, err := a.Complete(ctx, ask("hi"))
	require.NoError(t, err)
	assert.Equal(t, r1, r2)
	assert.Equal(t, 1, s.Billed(), "the second call returned the recorded answer")
}
