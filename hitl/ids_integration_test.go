package hitl_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

func openOpts(id, queue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id + "-" + uuid.NewString()[:8], TaskQueue: queue}
}

// One click (one decision ID) retried after continue-as-new: the next run
// answers with the original receipt and never applies it again, though
// alice may also decide in the next stage.
func TestIntegrationDecisionIDAppliesOnceAcrossContinueAsNew(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := openOpts("click", w.TaskQueue)
	id := opts.ID
	_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", MaxDecisionsPerRun: 1, Stages: []hitl.Stage{
		{Name: "editor", Reviewers: []string{"alice"}},
		{Name: "legal", Reviewers: []string{"alice", "bob"}},
	}})
	require.NoError(t, err)
	firstRun := c.GetWorkflow(ctx, id, "").GetRunID()

	click := hitl.Decision{ID: "click-1", Reviewer: "alice", Action: hitl.ActionApprove, Version: 1, Comment: "editor ok"}
	rc, err := hitl.Decide(ctx, c, id, click)
	require.NoError(t, err)
	assert.Equal(t, "legal", rc.Stage)
	require.Eventually(t, func() bool { return c.GetWorkflow(ctx, id, "").GetRunID() != firstRun },
		20*time.Second, 50*time.Millisecond, "the review continues as new after one decision")

	again, err := hitl.Decide(ctx, c, id, click)
	require.NoError(t, err, "a retried click is answered, not refused")
	assert.Equal(t, rc, again, "with the original receipt")
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalDecide, click))

	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, id)
		return err == nil && st.AuditCount == 3
	}, 20*time.Second, 50*time.Millisecond, "the repeated signal is recorded")
	st, err := hitl.GetStatus(ctx, c, id)
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseOpen, st.Phase, "one click approved one stage")
	assert.Equal(t, "legal", st.Stage)
	assert.Empty(t, st.Approvals)
	assert.Equal(t, 2, st.Tally[hitl.ActionApprove], "one applied approval and one ignored repeat")
	last := st.Audit[len(st.Audit)-1]
	assert.Equal(t, "click-1", last.DecisionID)
	assert.Contains(t, last.Ignored, hitl.ErrTypeDuplicate)

	reused := click
	reused.Action = hitl.ActionReject
	_, err = hitl.Decide(ctx, c, id, reused)
	require.ErrorIs(t, err, hitl.ErrInvalidDecision, "an ID names one decision")

	rc, err = hitl.Decide(ctx, c, id, hitl.Decision{ID: "click-2", Reviewer: "alice", Action: hitl.ActionApprove, Version: 1, Stage: "legal"})
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseApproved, rc.Phase, "alice approves legal by a second, explicit act")
	assert.Equal(t, hitl.PhaseApproved, waitResult(ctx, t, c, id).Phase)
}
