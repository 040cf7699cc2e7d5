package agent

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
)

// startChildAgent starts testAgent with cfg on the queue of the worker
// processes.
func startChildAgent(ctx context.Context, t *testing.T, c client.Client, queue string, cfg Config) client.WorkflowRun {
	t.Helper()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "agent-" + uuid.NewString()[:8], TaskQueue: queue}, testAgent, testInput{Config: cfg})
	require.NoError(t, err)
	return run
}

// TestIntegrationKillDuringSideEffect SIGKILLs the worker process while
// send_email runs, then starts another worker process, which finishes the
// agent: one email. Killed in the middle of the body (the email went out,
// nothing was recorded), the retry takes the call over when the dead
// worker's lease ends and reconciles by the call's key; killed after the
// body returned (idem recorded the result, Temporal never heard of it),
// the retry returns the recorded result.
func TestIntegrationKillDuringSideEffect(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	for name, tc := range map[string]struct {
		cfg        childConfig
		reconciled int
	}{
		"mid-body":   {cfg: childConfig{Block: "send_email"}, reconciled: 1},
		"after body": {cfg: childConfig{HoldAfter: "send_email"}, reconciled: 0},
	} {
		t.Run(name, func(t *testing.T) {
			dir, queue := t.TempDir(), "agent-kill-"+uuid.NewString()[:8]
			cfg := tc.cfg
			cfg.Dir, cfg.TaskQueue = dir, queue
			first := startChildWorker(t, srv, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			run := startChildAgent(ctx, t, c, queue, Config{
				Prompt:      "Please lookup order A-1001 and send email to the customer.",
				Tools:       []string{"lookup_order", "send_email"},
				ToolOptions: fastTools(),
			})
			waitReached(t, dir, "send_email")
			require.Len(t, effects(t, dir, "email"), 1, "the email went out before the kill")
			first.kill()
			startChildWorker(t, srv, childConfig{Dir: dir, TaskQueue: queue})

			res := result(ctx, t, run)
			assert.Equal(t, StopAnswered, res.Stop, res.Detail)
			rec := record(res, "send_email")
			assert.Equal(t, OutcomeOK, rec.Outcome, rec.Detail)
			assert.Equal(t, map[string]int{rec.Key: 1}, effects(t, dir, "email"), "exactly one email, under the call's key")
			assert.Len(t, effects(t, dir, "reconciled-email"), tc.reconciled)
			assert.GreaterOrEqual(t, attempts(ctx, t, c, run.GetID(), run.GetRunID())[ToolActivity("send_email")], int32(2), "retried after the kill")
		})
	}
}

// TestIntegrationKillDuringApprovedAction: the reviewer approves the
// refund, the worker process is SIGKILLed in the middle of it (after the
// payment API took the refund, before anything was recorded), and a new
// worker process finishes the agent: the retry reconciles by the
// idempotency key, so one refund, reported with the id the payment API
// gave it.
func TestIntegrationKillDuringApprovedAction(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	dir, queue := t.TempDir(), "agent-kill-"+uuid.NewString()[:8]
	first := startChildWorker(t, srv, childConfig{Dir: dir, TaskQueue: queue, Block: "issue_refund"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startChildAgent(ctx, t, c, queue, Config{
		Prompt: supportPrompt, Tools: []string{"lookup_order", "issue_refund", "send_email"},
		Approval: Review{Reviewers: []string{"bob"}}, ToolOptions: fastTools(),
	})
	review := openReview(ctx, t, c, run.GetID())
	assert.Equal(t, ApprovalID(run.GetID(), status(ctx, t, c, run.GetID()).Calls[1].ID), review)
	_, err := hitl.Approve(ctx, c, review, "bob", 1, "ok")
	require.NoError(t, err)
	waitReached(t, dir, "issue_refund")
	require.Len(t, effects(t, dir, "refund"), 1, "the refund was taken before the kill")
	first.kill()
	startChildWorker(t, srv, childConfig{Dir: dir, TaskQueue: queue})

	res := result(ctx, t, run)
	assert.Equal(t, StopAnswered, res.Stop, res.Detail)
	rec := record(res, "issue_refund")
	assert.Equal(t, OutcomeOK, rec.Outcome, rec.Detail)
	require.NotNil(t, rec.Approval)
	assert.Equal(t, "bob", rec.Approval.By)
	assert.Equal(t, map[string]int{rec.Key: 1}, effects(t, dir, "refund"), "exactly one refund, under the call's key")
	assert.Equal(t, map[string]int{rec.Key: 1}, effects(t, dir, "reconciled-refund"), "the retry found the refund instead of taking another")
	assert.Contains(t, rec.Detail, `"refund_id":"`+refundID(rec.Key)+`"`, "the reconciled result")
	assert.Len(t, effects(t, dir, "email"), 1, "the agent went on after the refund")
	assert.GreaterOrEqual(t, attempts(ctx, t, c, run.GetID(), run.GetRunID())[ToolActivity("issue_refund")], int32(2), "retried after the kill")
}
