package llm

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// timedResult is what the test workflows return.
type timedResult struct {
	Resp    Response
	Plan    plan
	Elapsed time.Duration // on the workflow clock
	Budget  Budget
	SACost  float64
	SAToks  int64
}

// completeFlow calls Complete once, charged to a budget.
func completeFlow(ctx workflow.Context, req Request, b Budget) (timedResult, error) {
	if err := b.RegisterQuery(ctx); err != nil {
		return timedResult{}, err
	}
	start := workflow.Now(ctx)
	resp, err := Complete(ctx, req, WithBudget(&b))
	out := timedResult{Resp: resp, Elapsed: workflow.Now(ctx).Sub(start), Budget: b}
	if b.SearchAttributes {
		sa := workflow.GetTypedSearchAttributes(ctx)
		out.SACost, _ = sa.GetFloat64(SearchAttributeCostUSD)
		out.SAToks, _ = sa.GetInt64(SearchAttributeTokens)
	}
	return out, err
}

// twoCallsFlow makes two calls on one budget; the second may be refused.
func twoCallsFlow(ctx workflow.Context, b Budget) (timedResult, error) {
	if err := b.RegisterQuery(ctx); err != nil {
		return timedResult{}, err
	}
	if _, err := Complete(ctx, Request{Prompt: "first", MaxTokens: 50}, WithBudget(&b)); err != nil {
		return timedResult{}, err
	}
	_, err := Complete(ctx, Request{Prompt: "second", MaxTokens: 50}, WithBudget(&b))
	if !errors.Is(err, ErrBudgetExceeded) {
		return timedResult{}, errors.New("want ErrBudgetExceeded in the workflow")
	}
	return timedResult{Budget: b}, err
}

// planFlow asks for a plan.
func planFlow(ctx workflow.Context, req Request, b Budget) (timedResult, error) {
	p, resp, err := CompleteJSON[plan](ctx, req, WithBudget(&b))
	return timedResult{Plan: p, Resp: resp, Budget: b}, err
}

func newEnv(t *testing.T, a *Activities) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	a.Register(env)
	env.RegisterWorkflow(completeFlow)
	env.RegisterWorkflow(twoCallsFlow)
	env.RegisterWorkflow(planFlow)
	return env
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) timedResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var r timedResult
	require.NoError(t, env.GetWorkflowResult(&r))
	return r
}

func TestWorkflowRetryAfter(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.RateLimited("retry-after", "2"))
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(completeFlow, ask("hello"), Budget{})
	r := result(t, env)
	assert.Equal(t, int32(2), r.Resp.Attempt)
	assert.Equal(t, "echo: hello", r.Resp.Text)
	assert.GreaterOrEqual(t, r.Elapsed, 2*time.Second, "the next attempt waited for the provider's retry-after")
	assert.Less(t, r.Elapsed, 4*time.Second, "and not for the policy's backoff on top")
	assert.Len(t, s.Requests(), 2)
}

func TestWorkflowNonRetryable(t *testing.T) {
	cases := map[string]struct {
		reply llmtest.Reply
		is    func(error) bool
	}{
		"insufficient quota": {llmtest.InsufficientQuota(), IsInsufficientQuota},
		"context length":     {llmtest.ContextLengthExceeded(), IsContextLengthExceeded},
		"content filter":     {llmtest.ContentFilter(), IsContentFilter},
		"unauthorized":       {llmtest.Unauthorized(), IsAuth},
		"model not found":    {llmtest.ModelNotFound(), IsModelNotFound},
		"bad request":        {llmtest.Undecodable(422, `{"error":"bad"}`), IsBadRequest},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			s.Enqueue(tc.reply, tc.reply, tc.reply)
			env := newEnv(t, newActivities(t, serverConfig(s)))
			env.ExecuteWorkflow(completeFlow, ask("hello"), Budget{})
			require.True(t, env.IsWorkflowCompleted())
			err := env.GetWorkflowError()
			require.Error(t, err)
			assert.True(t, tc.is(err), "%v", err)
			assert.Len(t, s.Requests(), 1, "a non-retryable failure is asked once")
			assert.Zero(t, s.Billed())
		})
	}
}

func TestWorkflowFallback(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.RateLimited("retry-after", "30"))
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(completeFlow, Request{Model: "main", Fallback: []string{"backup"}, Prompt: "hi"}, Budget{})
	r := result(t, env)
	assert.Equal(t, "backup", r.Resp.ModelName, "the response records which model answered")
	assert.Equal(t, "backup-model", r.Resp.Model)
	assert.Less(t, r.Elapsed, 30*time.Second, "main's retry-after does not delay the switch to backup")
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, testModelID, reqs[0].Model)
	assert.Equal(t, "backup-model", reqs[1].Model)
}

func TestWorkflowCompleteJSONRepair(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text("I think the plan is good."), llmtest.Text(`{"title": "Plan", "steps": ["a", "b"]}`))
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(planFlow, Request{Prompt: "make a plan", Summary: "plan v1"}, Budget{})
	r := result(t, env)
	assert.Equal(t, plan{Title: "Plan", Steps: []string{"a", "b"}}, r.Plan)
	assert.Equal(t, 2, r.Budget.Used.Calls, "both answers were paid and counted")
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	msgs := reqs[1].Messages
	require.Len(t, msgs, 3)
	assert.Equal(t, "make a plan", msgs[0].Content)
	assert.Equal(t, llmtest.Message{Role: "assistant", Content: "I think the plan is good."}, msgs[1])
	assert.Equal(t, "user", msgs[2].Role)
	assert.Contains(t, msgs[2].Content, "not a JSON document", "the repair prompt quotes the validation error")
	assert.NotNil(t, reqs[1].ResponseFormat)
}

func TestWorkflowCompleteJSONInvalid(t *testing.T) {
	s := llmtest.NewServer(t)
	s.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.Text(`{"title": 7}`) })
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(planFlow, Request{Prompt: "make a plan"}, Budget{})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, IsInvalidOutput(err), "%v", err)
	assert.False(t, IsRetryable(err))
	assert.Len(t, s.Requests(), 1+DefaultMaxRepairs, "bounded repairs")
	d, ok := Details(err)
	require.True(t, ok)
	require.NotNil(t, d.Response)
	assert.JSONEq(t, `{"title": 7}`, d.Response.Text)
	assert.Contains(t, d.Message, "title")
}

func TestWorkflowBudget(t *testing.T) {
	s := llmtest.NewServer(t)
	s.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.Reply{PromptTokens: 1000, CompletionTokens: 1000} })
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(twoCallsFlow, Budget{MaxTokens: 2040})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, IsBudgetExceeded(err), "%v", err)
	assert.Len(t, s.Requests(), 1, "the refused call was never made")

	v, err := env.QueryWorkflow(QueryBudget)
	require.NoError(t, err)
	var b Budget
	require.NoError(t, v.Get(&b))
	assert.Equal(t, 1, b.Used.Calls)
	assert.Equal(t, int64(2000), b.Used.TotalTokens())
	assert.InDelta(t, (1000*0.15+1000*0.60)/1e6, b.Used.CostUSD, 1e-12)
}

func TestWorkflowBudgetCost(t *testing.T) {
	s := llmtest.NewServer(t)
	env := newEnv(t, newActivities(t, serverConfig(s)))
	price := Price{InputPerMillion: 1e6, OutputPerMillion: 1e6} // $1 a token
	env.ExecuteWorkflow(completeFlow, Request{Prompt: "one two three four", MaxTokens: 10}, Budget{MaxCostUSD: 5, EstimatePrice: &price})
	err := env.GetWorkflowError()
	assert.True(t, IsBudgetExceeded(err), "%v", err)
	assert.Empty(t, s.Requests())
}

func TestWorkflowBudgetSearchAttributes(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{PromptTokens: 300, CompletionTokens: 200})
	env := newEnv(t, newActivities(t, serverConfig(s)))
	env.ExecuteWorkflow(completeFlow, ask("hi"), Budget{SearchAttributes: true})
	r := result(t, env)
	assert.Equal(t, int64(500), r.SAToks)
	assert.InDelta(t, r.Resp.CostUSD, r.SACost, 1e-12)
	assert.Positive(t, r.SACost)
}

func TestWorkflowOffline(t *testing.T) {
	env := newEnv(t, offlineActivities(t))
	env.ExecuteWorkflow(planFlow, Request{Prompt: "Plan a trip"}, Budget{})
	r := result(t, env)
	assert.True(t, strings.HasPrefix(r.Plan.Title, OfflineLabel))
	assert.Len(t, r.Plan.Steps, 1)
	assert.True(t, r.Resp.Offline)
}

func TestBudgetCheck(t *testing.T) {
	var b Budget
	require.NoError(t, b.Check(Request{Prompt: "x", MaxTokens: 1e9}), "the zero Budget has no limits")

	b = Budget{MaxTokens: 100}
	release := b.reserve(Request{MaxTokens: 60})
	err := b.Check(Request{MaxTokens: 60})
	require.ErrorIs(t, err, ErrBudgetExceeded, "calls in flight hold their estimate")
	release()
	require.NoError(t, b.Check(Request{MaxTokens: 60}))

	b = Budget{MaxCostUSD: 1}
	b.Used.Add(Response{PromptTokens: 500, CompletionTokens: 500, CostUSD: 0.5, CostKnown: true})
	require.NoError(t, b.Check(Request{MaxTokens: 900}), "0.9 tokens at $0.001 fits")
	require.ErrorIs(t, b.Check(Request{MaxTokens: 1100}), ErrBudgetExceeded, "priced at the average rate so far")
	b.Used.Add(Response{PromptTokens: 10})
	assert.Equal(t, 1, b.Used.UnknownCostCalls)
	assert.InDelta(t, 0.5, b.Used.CostUSD, 1e-12, "unknown costs are not counted as zero cost... nor as any cost")
}
