package llm

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// apiConfig is serverConfig with every model on api.
func apiConfig(s *llmtest.Server, api API) Config {
	cfg := serverConfig(s)
	for name, m := range cfg.Models {
		m.API = api
		cfg.Models[name] = m
	}
	cfg.PollInterval = 10 * time.Millisecond
	return cfg
}

func TestResponsesAnswer(t *testing.T) {
	for _, api := range []API{APIResponses, APIResponsesBackground} {
		for _, stream := range []bool{false, true} {
			t.Run(string(api)+map[bool]string{false: "", true: " streamed"}[stream], func(t *testing.T) {
				s := llmtest.NewServer(t)
				s.Enqueue(llmtest.Reply{Content: "four score and seven", PromptTokens: 12, CompletionTokens: 4,
					Headers: map[string]string{"x-request-id": "req_r1"}})
				a := newActivities(t, apiConfig(s, api))
				resp, err := runOnce(t, a, Request{System: "be brief", Prompt: "quote", Stream: stream, MaxTokens: 50})
				require.NoError(t, err)
				assert.Equal(t, "four score and seven", resp.Text)
				assert.Equal(t, "stop", resp.FinishReason)
				assert.Equal(t, int64(12), resp.PromptTokens)
				assert.Equal(t, int64(4), resp.CompletionTokens)
				assert.True(t, resp.CostKnown)
				assert.InDelta(t, (12*0.15+4*0.60)/1e6, resp.CostUSD, 1e-12)
				assert.Equal(t, 1, s.Billed())
				req := s.Requests()[0]
				assert.Equal(t, llmtest.EndpointResponses, req.Endpoint)
				assert.Equal(t, api == APIResponsesBackground, req.Background)
				assert.Equal(t, stream, req.Stream)
				require.Len(t, req.Messages, 2)
				assert.Equal(t, "system", req.Messages[0].Role)
				if !stream {
					assert.Equal(t, "req_r1", resp.RequestID, "the x-request-id of the request that created the answer")
				}
			})
		}
	}
}

func TestResponsesSchemaAndLength(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: `{"title":"T","steps":["a"]}`}, llmtest.Reply{Content: "cut short", FinishReason: "length"})
	a := newActivities(t, apiConfig(s, APIResponses))
	schema, name, err := schemaOf[plan]()
	require.NoError(t, err)
	resp, err := runOnce(t, a, Request{Prompt: "plan", Schema: schema, SchemaName: name})
	require.NoError(t, err)
	assert.Empty(t, resp.SchemaError)
	assert.JSONEq(t, `{"title":"T","steps":["a"]}`, string(resp.JSON))
	var format struct{ Type, Name string }
	require.NoError(t, json.Unmarshal(s.Requests()[0].ResponseFormat, &format), "text.format is sent: %s", s.Requests()[0].ResponseFormat)
	assert.Equal(t, "json_schema", format.Type)
	assert.Equal(t, "plan", format.Name)

	resp, err = runOnce(t, a, ask("go on"))
	require.NoError(t, err)
	assert.Equal(t, "length", resp.FinishReason, "an incomplete response (max_output_tokens) ends like a chat completion cut by length")
}

func TestResponsesErrors(t *testing.T) {
	for _, api := range []API{APIResponses, APIResponsesBackground} {
		t.Run(string(api), func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(llmtest.RateLimited("retry-after", "3"), llmtest.InsufficientQuota(), llmtest.ContentFilter(),
				llmtest.Reply{Content: "unsafe", FinishReason: "content_filter"},
				llmtest.Reply{Content: "partial", StreamError: &llmtest.APIError{Code: "server_error", Message: "the model crashed"}})
			a := newActivities(t, apiConfig(s, api))

			_, err := runOnce(t, a, ask("a"))
			assert.True(t, IsRateLimited(err), "%v", err)
			d, ok := Details(err)
			require.True(t, ok)
			assert.Equal(t, 3*time.Second, d.RetryAfter)
			assert.False(t, d.Billed, "a 429 is not billed")

			_, err = runOnce(t, a, ask("b"))
			assert.True(t, IsInsufficientQuota(err), "%v", err)

			_, err = runOnce(t, a, ask("c"))
			assert.True(t, IsContentFilter(err), "%v", err)

			_, err = runOnce(t, a, ask("d"))
			assert.True(t, IsContentFilter(err), "an answer cut by the filter: %v", err)
			d, ok = Details(err)
			require.True(t, ok)
			require.NotNil(t, d.Response, "the paid answer is kept")

			_, err = runOnce(t, a, Request{Prompt: "e", Stream: true})
			require.Error(t, err)
			assert.Equal(t, ErrTypeServerError, ErrorType(err), "a failed response is classified by its code: %v", err)
			assert.True(t, IsRetryable(err))
			assert.Contains(t, err.Error(), "the model crashed")
		})
	}
}

func TestResponsesWithoutUsage(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Body: `{"id":"resp_x","object":"response","created_at":1,"status":"completed","model":"gpt-4o-mini",` +
		`"output":[{"type":"message","id":"m1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"eight chars","annotations":[]}]}]}`})
	a := newActivities(t, apiConfig(s, APIResponses))
	resp, err := runOnce(t, a, ask("twelve chars"))
	require.NoError(t, err)
	assert.Equal(t, "eight chars", resp.Text)
	assert.True(t, resp.UsageEstimated)
	assert.False(t, resp.CostKnown, "never a known $0")
	assert.Equal(t, int64(3), resp.PromptTokens, "12 characters")
	assert.Equal(t, int64(3), resp.CompletionTokens, "11 characters")
	assert.Positive(t, resp.CostUSD, "the estimate is priced")
}

func TestStreamAnsweredWithJSON(t *testing.T) {
	chat := `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":"whole answer"}}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`
	resp := `{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"gpt-4o-mini","output":[{"type":"message",` +
		`"id":"m1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"whole answer","annotations":[]}]}],` +
		`"usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0}}}`
	for name, tc := range map[string]struct {
		api  API
		body string
	}{"chat": {APIChatCompletions, chat}, "responses": {APIResponses, resp}} {
		t.Run(name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(llmtest.Reply{Body: tc.body}) // a server that ignores "stream"
			a := newActivities(t, apiConfig(s, tc.api))
			r, err := runOnce(t, a, Request{Prompt: "hi", Stream: true})
			require.NoError(t, err, "a complete JSON answer to a streamed request is the answer, not a truncated stream")
			assert.Equal(t, "whole answer", r.Text)
			assert.Equal(t, int64(5), r.TotalTokens())
			assert.True(t, r.CostKnown)
			assert.Len(t, s.Requests(), 1)
		})
	}
}

func TestResponsesCancelledByCaller(t *testing.T) {
	s := llmtest.NewServer(t)
	hold := make(chan struct{})
	defer close(hold)
	s.Enqueue(llmtest.Reply{Content: "a long essay", Hold: hold})
	a := newActivities(t, apiConfig(s, APIResponsesBackground))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.Complete(ctx, ask("write"))
		done <- err
	}()
	require.True(t, s.WaitRequests(2, 10*time.Second), "created, then polled")
	cancel()
	require.Error(t, <-done)
	require.True(t, s.WaitSettled(10*time.Second))
	calls := s.Calls()
	require.Len(t, calls, 1)
	assert.True(t, calls[0].Cancelled, "an abandoned call cancels its background response so it stops costing")
	assert.Equal(t, llmtest.StatusCancelled, calls[0].Status)
}

func TestWorkflowResponsesFallback(t *testing.T) {
	for _, api := range []API{APIResponses, APIResponsesBackground} {
		t.Run(string(api), func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(llmtest.RateLimited("retry-after", "30"))
			env := newEnv(t, newActivities(t, apiConfig(s, api)))
			env.ExecuteWorkflow(completeFlow, Request{Model: "main", Fallback: []string{"backup"}, Prompt: "hi"}, Budget{})
			r := result(t, env)
			assert.Equal(t, "backup", r.Resp.ModelName)
			assert.Equal(t, "backup-model", r.Resp.Model)
			assert.Less(t, r.Elapsed, 30*time.Second, "main's retry-after does not delay the switch to backup")
		})
	}
}

// TestResponsesStreamHeartbeats streams a Responses answer and checks the
// heartbeats carry the progress, the response id and the sequence number.
func TestResponsesStreamHeartbeats(t *testing.T) {
	for _, api := range []API{APIResponses, APIResponsesBackground} {
		t.Run(string(api), func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(llmtest.Reply{Content: "one two three four", ChunkDelay: 2 * time.Millisecond})
			a := newActivities(t, apiConfig(s, api))
			var beats []Progress
			hb := &heartbeat{on: true, done: make(chan struct{}), p: Progress{Model: "main"}, record: func(p Progress) { beats = append(beats, p) }}
			ep := a.endpoints["main"]
			at := attemptInfo{modelName: "main", model: ep.id}
			var resp Response
			var err error
			if api == APIResponses {
				resp, err = a.respond(t.Context(), ep, Request{Prompt: "count", Stream: true}, at, hb)
			} else {
				resp, err = a.background(t.Context(), ep, Request{Prompt: "count", Stream: true}, at, hb, nil)
			}
			require.NoError(t, err)
			assert.Equal(t, "one two three four", resp.Text)
			require.NotEmpty(t, beats)
			last := beats[len(beats)-1]
			assert.Equal(t, len(resp.Text), last.Chars)
			assert.Equal(t, 4, last.Tokens, "one per text delta")
			assert.Positive(t, last.Sequence)
			assert.Equal(t, s.Calls()[0].ID, last.ResponseID)
			for i := 1; i < len(beats); i++ {
				assert.GreaterOrEqual(t, beats[i].Sequence, beats[i-1].Sequence, "progress only grows")
			}
		})
	}
}
