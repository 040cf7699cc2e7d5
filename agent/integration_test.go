package agent

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

const supportPrompt = "Order A-1001 arrived broken. Please lookup order A-1001, issue refund for it and send email to the customer."

// fastTools are tool options for crash tests: a dead worker is noticed
// after 2 s without heartbeats (idem heartbeats for the tools).
func fastTools() *workflow.ActivityOptions {
	o := ToolActivityOptions(SideEffect, "")
	o.StartToCloseTimeout = 20 * time.Second
	o.HeartbeatTimeout = 2 * time.Second
	return &o
}

// agentWorker starts a worker with the agent workflow, the shop's tools on
// file stores in dir (reopened on every restart, as a new process would)
// and the offline model (or llmCfg).
func agentWorker(t *testing.T, srv *durable.DevServer, s *shop, dir string, llmCfg *llm.Config, wopts worker.Options) *durabletest.Worker {
	t.Helper()
	return durabletest.StartWorker(t, srv, func(r worker.Registry) {
		store, err := idem.NewFileStore(filepath.Join(dir, "idem"))
		require.NoError(t, err)
		msgs, err := NewFileMessages(filepath.Join(dir, "messages"))
		require.NoError(t, err)
		tools, err := NewTools(ToolsConfig{Store: store, Messages: msgs, InlineLimit: 64}, s.tools()...)
		require.NoError(t, err)
		tools.Register(r)
		cfg := llm.Config{Models: map[string]llm.Model{"offline": llm.Offline()}}
		if llmCfg != nil {
			cfg = *llmCfg
		}
		cfg.Messages = msgs
		acts, err := llm.NewActivities(cfg)
		require.NoError(t, err)
		acts.Register(r)
		r.RegisterWorkflow(testAgent)
		r.RegisterWorkflow(forgeWorkflow)
	}, wopts)
}

func startAgent(ctx context.Context, t *testing.T, c client.Client, w *durabletest.Worker, cfg Config) client.WorkflowRun {
	t.Helper()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "agent-" + uuid.NewString()[:8], TaskQueue: w.TaskQueue}, testAgent, testInput{Config: cfg})
	require.NoError(t, err)
	return run
}

func status(ctx context.Context, t *testing.T, c client.Client, id string) Status {
	t.Helper()
	v, err := c.QueryWorkflow(ctx, id, "", QueryStatus)
	require.NoError(t, err)
	var st Status
	require.NoError(t, v.Get(&st))
	return st
}

// openReview waits until the agent has an open review and returns its ID.
func openReview(ctx context.Context, t *testing.T, c client.Client, id string) string {
	t.Helper()
	var review string
	require.Eventually(t, func() bool {
		v, err := c.QueryWorkflow(ctx, id, "", QueryStatus)
		if err != nil {
			return false
		}
		var st Status
		if v.Get(&st) != nil || len(st.Reviews) == 0 {
			return false
		}
		review = st.Reviews[0]
		return true
	}, time.Minute, 50*time.Millisecond, "the agent never opened a review")
	// The review takes decisions once its first workflow task ran.
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, review)
		return err == nil && st.Phase == hitl.PhaseOpen
	}, time.Minute, 50*time.Millisecond, "the review never opened")
	return review
}

func result(ctx context.Context, t *testing.T, run client.WorkflowRun) Result {
	t.Helper()
	var res Result
	require.NoError(t, run.Get(ctx, &res))
	return res
}

func record(res Result, tool string) CallRecord {
	for _, c := range res.Calls {
		if c.Tool == tool {
			return c
		}
	}
	return CallRecord{}
}

// attempts returns the highest attempt of each activity type in the history.
func attempts(ctx context.Context, t *testing.T, c client.Client, id, runID string) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	types := map[int64]string{}
	it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			types[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			n := types[a.GetScheduledEventId()]
			out[n] = max(out[n], a.GetAttempt())
		}
	}
	return out
}

// TestIntegrationEditedApproval: the reviewer edits the amount; the edited
// call runs, the model's arguments never do, and neither an approval of
// the old version nor an approval forged for other arguments runs them.
func TestIntegrationEditedApproval(t *testing.T) {
	srv := durabletest.Server(t)
	s := newShop()
	w := agentWorker(t, srv, s, t.TempDir(), nil, worker.Options{})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startAgent(ctx, t, c, w, Config{Prompt: supportPrompt, Approval: Review{Reviewers: []string{"bob"}}})
	review := openReview(ctx, t, c, run.GetID())
	draft, err := hitl.GetDraft[Proposal](ctx, c, review)
	require.NoError(t, err)
	assert.Equal(t, "issue_refund", draft.Tool)
	assert.Contains(t, string(draft.Arguments), `"amount_cents":4999`)
	assert.Equal(t, CallHash("issue_refund", draft.Arguments), draft.Hash)

	_, err = hitl.Decide(ctx, c, review, hitl.Decision{Reviewer: "bob", Action: hitl.ActionEdit, Version: 1, Text: "a bigger refund"})
	require.ErrorIs(t, err, hitl.ErrReviseFailed, "an edit must be JSON")
	rc, err := hitl.Decide(ctx, c, review, hitl.Decision{Reviewer: "bob", Action: hitl.ActionEdit, Version: 1, Text: `{"amount_cents": 2500}`})
	require.NoError(t, err)
	assert.Equal(t, 2, rc.Version)
	_, err = hitl.Approve(ctx, c, review, "bob", 1, "the old amount")
	require.ErrorIs(t, err, hitl.ErrStaleVersion, "an approval of the model's arguments is refused")
	_, err = hitl.Approve(ctx, c, review, "bob", 2, "ok")
	require.NoError(t, err)

	res := result(ctx, t, run)
	assert.Equal(t, StopAnswered, res.Stop)
	_, refunds, _ := s.counts()
	assert.Equal(t, 1, refunds)
	assert.Equal(t, int64(2500), s.refundTotal(), "the edited amount, never 4999")
	rec := record(res, "issue_refund")
	require.NotNil(t, rec.Approval)
	assert.True(t, rec.Approval.Edited)
	assert.Equal(t, 2, rec.Approval.Version)
	assert.Contains(t, rec.Arguments, `"amount_cents":2500`)
	assert.Contains(t, res.Answer, `"amount_cents":2500`)

	// A call with other arguments under this approval is refused by the
	// worker, whoever schedules it.
	forged := CallInput{
		Call:     llm.ToolCall{ID: "forged", Name: "issue_refund", Arguments: `{"amount_cents":999999,"order_id":"A-1001","reason":"x"}`},
		Key:      "agent/forged/1",
		Approval: rec.Approval,
	}
	frun, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "forge-" + uuid.NewString()[:8], TaskQueue: w.TaskQueue}, forgeWorkflow, forged)
	require.NoError(t, err)
	err = frun.Get(ctx, nil)
	require.Error(t, err)
	assert.True(t, IsApprovalMismatch(err), "%v", err)
	_, refunds, _ = s.counts()
	assert.Equal(t, 1, refunds)
}

// TestIntegrationDeniedCall: a rejection's reason goes back to the model,
// which carries on without the refund.
func TestIntegrationDeniedCall(t *testing.T) {
	srv := durabletest.Server(t)
	s := newShop()
	w := agentWorker(t, srv, s, t.TempDir(), nil, worker.Options{})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startAgent(ctx, t, c, w, Config{Prompt: supportPrompt, Approval: Review{Reviewers: []string{"bob"}}})
	review := openReview(ctx, t, c, run.GetID())
	_, err := hitl.Reject(ctx, c, review, "bob", 1, "refunds over $40 need a photo")
	require.NoError(t, err)
	res := result(ctx, t, run)
	assert.Equal(t, StopAnswered, res.Stop)
	assert.Contains(t, res.Answer, "- issue_refund: denied by bob: refunds over $40 need a photo. The call was not run.")
	_, refunds, emails := s.counts()
	assert.Zero(t, refunds)
	assert.Equal(t, 1, emails, "the agent went on after the denial")
	rec := record(res, "issue_refund")
	assert.Equal(t, OutcomeDenied, rec.Outcome)
	assert.Equal(t, review, rec.Review)
}

// TestIntegrationApprovalExpiry: no decision before the deadline denies the
// call; a decision after it is refused; an approval that expires before
// the call starts does not run it.
func TestIntegrationApprovalExpiry(t *testing.T) {
	srv := durabletest.Server(t)
	s := newShop()
	w := agentWorker(t, srv, s, t.TempDir(), nil, worker.Options{})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	run := startAgent(ctx, t, c, w, Config{Prompt: supportPrompt, Approval: Review{Reviewers: []string{"bob"}, Deadline: 2 * time.Second}})
	review := openReview(ctx, t, c, run.GetID())
	res := result(ctx, t, run)
	assert.Equal(t, OutcomeTimedOut, record(res, "issue_refund").Outcome)
	_, err := hitl.Approve(ctx, c, review, "bob", 1, "too late")
	require.ErrorIs(t, err, hitl.ErrClosed, "an approval after the deadline is refused")

	run = startAgent(ctx, t, c, w, Config{Prompt: supportPrompt, Approval: Review{Reviewers: []string{"bob"}, ValidFor: time.Nanosecond}})
	review = openReview(ctx, t, c, run.GetID())
	_, err = hitl.Approve(ctx, c, review, "bob", 1, "ok")
	require.NoError(t, err)
	res = result(ctx, t, run)
	rec := record(res, "issue_refund")
	assert.Equal(t, OutcomeExpired, rec.Outcome, rec.Detail)
	_, refunds, _ := s.counts()
	assert.Zero(t, refunds, "no call ran under a lapsed approval")
}

// TestIntegrationBudgetPause: the next turn would pass the token limit; the
// agent asks, a reviewer raises the limit, and the agent resumes.
func TestIntegrationBudgetPause(t *testing.T) {
	srv := durabletest.Server(t)
	s := newShop()
	w := agentWorker(t, srv, s, t.TempDir(), nil, worker.Options{})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startAgent(ctx, t, c, w, Config{
		Prompt:       "Please lookup order A-1001 and send email to the customer.",
		Tools:        []string{"lookup_order", "send_email"},
		Limits:       Limits{MaxTokens: 100},
		BudgetReview: &Review{Reviewers: []string{"finance"}},
	})
	review := openReview(ctx, t, c, run.GetID())
	assert.Equal(t, BudgetReviewID(run.GetID(), 1), review)
	st := status(ctx, t, c, run.GetID())
	assert.Equal(t, PhaseAwaitingBudget, st.Phase)
	assert.Equal(t, int64(100), st.MaxTokens)
	p, err := hitl.GetDraft[BudgetProposal](ctx, c, review)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, p.NewMaxTokens, int64(200), "at least twice the limit is proposed")
	assert.Contains(t, p.Excerpt(), "tokens 100 → ")
	_, err = hitl.Decide(ctx, c, review, hitl.Decision{Reviewer: "finance", Action: hitl.ActionEdit, Version: 1, Text: `{"max_tokens": 5000}`})
	require.NoError(t, err)
	_, err = hitl.Approve(ctx, c, review, "finance", 2, "go on")
	require.NoError(t, err)

	res := result(ctx, t, run)
	assert.Equal(t, StopAnswered, res.Stop, res.Detail)
	assert.Greater(t, res.Usage.TotalTokens(), int64(100), "it used more than the first limit")
	st = status(ctx, t, c, run.GetID())
	assert.Equal(t, int64(5000), st.MaxTokens)
	assert.Equal(t, PhaseDone, st.Phase)

	// A rejection stops the agent instead.
	run = startAgent(ctx, t, c, w, Config{
		Prompt: "Please lookup order A-1001 and send email to the customer.", Tools: []string{"lookup_order", "send_email"},
		Limits: Limits{MaxTokens: 100}, BudgetReview: &Review{Reviewers: []string{"finance"}},
	})
	review = openReview(ctx, t, c, run.GetID())
	_, err = hitl.Reject(ctx, c, review, "finance", 1, "not worth it")
	require.NoError(t, err)
	res = result(ctx, t, run)
	assert.Equal(t, StopBudget, res.Stop)
	assert.Contains(t, res.Detail, "rejected by finance: not worth it")
}

// forgeWorkflow calls a tool's activity directly with whatever input it
// is given, as a buggy or malicious workflow could.
func forgeWorkflow(ctx workflow.Context, in CallInput) (CallOutput, error) {
	return durable.Execute[CallOutput](ctx, ToolActivity(in.Call.Name), in, ToolActivityOptions(NeedsApproval, "forged"))
}
