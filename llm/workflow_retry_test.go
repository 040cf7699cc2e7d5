package llm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// TestWorkflowRateLimitStorm: five 429s the provider did not bill end in an
// answer under the default options, on every API.
func TestWorkflowRateLimitStorm(t *testing.T) {
	for _, api := range []API{APIChatCompletions, APIResponses, APIResponsesBackground} {
		t.Run(string(api), func(t *testing.T) {
			s := llmtest.NewServer(t)
			for range 5 {
				s.Enqueue(llmtest.RateLimited("retry-after", "1"))
			}
			env := newEnv(t, newActivities(t, apiConfig(s, api)))
			env.ExecuteWorkflow(completeFlow, ask("hello"), Budget{})
			r := result(t, env)
			assert.Equal(t, int32(6), r.Resp.Attempt, "five refusals, then the answer")
			assert.Equal(t, "main", r.Resp.ModelName)
			assert.Equal(t, 1, s.Billed())
		})
	}
}

// TestWorkflowPaidFailuresBounded: answers cut after the provider accepted
// them are bounded by MaxPaidAttempts, whatever the retry policy allows.
func TestWorkflowPaidFailuresBounded(t *testing.T) {
	s := llmtest.NewServer(t)
	s.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.Truncated("half an answer") })
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(completeFlow, Request{Prompt: "hello", Stream: true}, Budget{})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, IsTruncated(err), "%v", err)
	assert.Contains(t, err.Error(), "4 attempts that may have been billed failed")
	assert.Equal(t, DefaultAttempts, s.Billed(), "every cut answer was paid; no more than MaxPaidAttempts of them")
	assert.Len(t, s.Requests(), DefaultAttempts)
}

// TestWorkflowUnbilledThenPaid mixes refusals and paid failures: only the
// paid ones count against MaxPaidAttempts.
func TestWorkflowUnbilledThenPaid(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.RateLimited("retry-after", "1"), llmtest.Truncated("cut"), llmtest.ServerError(503),
		llmtest.Truncated("cut"), llmtest.RateLimited("retry-after", "1"))
	cfg := serverConfig(s)
	cfg.MaxPaidAttempts = 3
	env := newEnv(t, newActivities(t, cfg))
	env.ExecuteWorkflow(completeFlow, Request{Prompt: "hello", Stream: true}, Budget{})
	r := result(t, env)
	assert.Equal(t, int32(6), r.Resp.Attempt, "two paid failures of three allowed, three refusals")
	assert.Equal(t, 3, s.Billed())
}

func TestWorkflowShouldRetryHeader(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Status: 400, Headers: map[string]string{"x-should-retry": "true"},
		Error: &llmtest.APIError{Message: "try again", Type: "invalid_request_error"}})
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(completeFlow, ask("hello"), Budget{})
	r := result(t, env)
	assert.Equal(t, int32(2), r.Resp.Attempt, "x-should-retry: true is honoured on a 400, as OpenAI's SDKs do")
	assert.Len(t, s.Requests(), 2)
}

func TestWorkflowCompleteJSONTotals(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "no json here", PromptTokens: 100, CompletionTokens: 10},
		llmtest.Reply{Content: `{"title": 7}`, PromptTokens: 120, CompletionTokens: 20},
		llmtest.Reply{Content: `{"title": "T", "steps": []}`, PromptTokens: 150, CompletionTokens: 30})
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(planFlow, Request{Prompt: "plan"}, Budget{})
	r := result(t, env)
	assert.Equal(t, "T", r.Plan.Title)
	assert.Equal(t, int64(180), r.Resp.TotalTokens(), "the last answer's own usage")
	assert.Equal(t, 3, r.Resp.Total.Calls, "every paid answer, repairs included")
	assert.Equal(t, int64(370), r.Resp.Total.PromptTokens)
	assert.Equal(t, int64(60), r.Resp.Total.CompletionTokens)
	assert.InDelta(t, (370*0.15+60*0.60)/1e6, r.Resp.Total.CostUSD, 1e-12)
	assert.Equal(t, r.Budget.Used, r.Resp.Total, "the budget counted the same answers")
}

func TestWorkflowCompleteJSONInvalidTotals(t *testing.T) {
	s := llmtest.NewServer(t)
	s.SetDefault(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: `{"title": 7}`, PromptTokens: 10, CompletionTokens: 5}
	})
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(planFlow, Request{Prompt: "plan", Summary: "plan v1"}, Budget{})
	err := env.GetWorkflowError()
	require.True(t, IsInvalidOutput(err), "%v", err)
	assert.NotContains(t, err.Error(), "llm: llm:")
	assert.Contains(t, err.Error(), "llm: plan v1: the answer did not match")
	d, ok := Details(err)
	require.True(t, ok)
	require.NotNil(t, d.Response)
	assert.Equal(t, 1+DefaultMaxRepairs, d.Response.Total.Calls)
	assert.Equal(t, int64(15*(1+DefaultMaxRepairs)), d.Response.Total.TotalTokens())
}

func TestWorkflowBudgetCountsEstimates(t *testing.T) {
	s := llmtest.NewServer(t)
	// A chat completion without a usage object.
	s.Enqueue(llmtest.Reply{Body: `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,` +
		`"finish_reason":"stop","message":{"role":"assistant","content":"forty characters of answer, more or less"}}]}`})
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(completeFlow, ask("sixteen chars.."), Budget{})
	r := result(t, env)
	assert.True(t, r.Resp.UsageEstimated)
	assert.False(t, r.Resp.CostKnown)
	assert.Equal(t, int64(4), r.Resp.PromptTokens)
	assert.Equal(t, int64(10), r.Resp.CompletionTokens)
	assert.Equal(t, int64(14), r.Budget.Used.TotalTokens(), "the budget counts the estimate")
	assert.Equal(t, 1, r.Budget.Used.EstimatedCalls)
	assert.InDelta(t, (4*0.15+10*0.60)/1e6, r.Budget.Used.CostUSD, 1e-12, "and its estimated cost")
	assert.Zero(t, r.Budget.Used.UnknownCostCalls)
}

// TestWorkflowCancelCancelsBackground cancels the workflow while its
// background generation runs: the activity cancels the response.
func TestWorkflowCancelCancelsBackground(t *testing.T) {
	s := llmtest.NewServer(t)
	hold := make(chan struct{})
	defer close(hold)
	s.Enqueue(llmtest.Reply{Content: "a long essay", Hold: hold})
	env := newEnv(t, newActivities(t, apiConfig(s, APIResponsesBackground)))
	env.RegisterDelayedCallback(func() {
		require.True(t, s.WaitRequests(1, 10*time.Second))
		env.CancelWorkflow()
	}, time.Second)
	env.ExecuteWorkflow(completeFlow, ask("write"), Budget{})
	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError())
	require.True(t, s.WaitSettled(10*time.Second))
	calls := s.Calls()
	require.Len(t, calls, 1)
	assert.True(t, calls[0].Cancelled, "the background response was cancelled")
}
