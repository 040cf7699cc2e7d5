package hitl_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// The tests in this file stop the worker, send decisions in a known order,
// and restart it, so the real server delivers them in one workflow task (a
// batch), which the SDK's test environment never does.

func alicebob() []hitl.Stage {
	return []hitl.Stage{{Name: "review", Reviewers: []string{"alice", "bob"}}}
}

// A reject followed by an approve on the seed's per-kind signals: their
// order across channels is lost in a batch, so the reject wins, and the
// trail says why for both.
func TestIntegrationBatchedSeedSignalsRejectWins(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := openStopped(ctx, t, c, w, hitltest.Input{Prompt: "memo", Stages: alicebob()})
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalReject, hitl.Decision{Reviewer: "bob", Comment: "off brand"}))
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalApprove, hitl.Decision{Reviewer: "alice"}))
	w.Restart()

	res := waitResult(ctx, t, c, id)
	requireOneTask(t, history(ctx, t, c, id, ""), 2, signaled)
	assert.Equal(t, hitl.PhaseRejected, res.Phase)
	assert.Equal(t, "bob", res.By)
	rej := entry(t, res.Audit, "bob", hitl.ActionReject)
	assert.Empty(t, rej.Ignored)
	assert.Contains(t, rej.Note, "alice", "the winner names the approval it won over")
	app := entry(t, res.Audit, "alice", hitl.ActionApprove)
	assert.Contains(t, app.Ignored, hitl.ErrTypeConflict)
	assert.Contains(t, app.Ignored, "#2", "the loser names the winning entry")
	assert.Equal(t, hitl.ViaSignal, app.Via)
}

// On the one SignalDecide channel the order survives the batch: an
// approval sent before a rejection closes the review first.
func TestIntegrationBatchedDecisionSignalsKeepOrder(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := openStopped(ctx, t, c, w, hitltest.Input{Prompt: "memo", Stages: alicebob()})
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalDecide, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}))
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalDecide, hitl.Decision{Reviewer: "bob", Action: hitl.ActionReject, Comment: "late"}))
	w.Restart()

	res := waitResult(ctx, t, c, id)
	requireOneTask(t, history(ctx, t, c, id, ""), 2, signaled)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, "alice", res.By)
	assert.Empty(t, entry(t, res.Audit, "alice", hitl.ActionApprove).Ignored)
	assert.Contains(t, entry(t, res.Audit, "bob", hitl.ActionReject).Ignored, hitl.ErrTypeClosed)
}

// An update approval sent after a seed reject signal arrives in the same
// task: it must not overtake the signal, and it fails as a conflict.
func TestIntegrationUpdateDoesNotOvertakeSignal(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := openStopped(ctx, t, c, w, hitltest.Input{Prompt: "memo", Stages: alicebob()})
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalReject, hitl.Decision{Reviewer: "bob", Comment: "off brand"}))
	approve := hitl.Decision{ID: "approve-after-reject", Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}
	done := decideAsync(ctx, t, c, id, approve)
	w.Restart()

	err := <-done
	require.ErrorIs(t, err, hitl.ErrConflict)
	assert.True(t, hitl.IsRefusal(err))
	res := waitResult(ctx, t, c, id)
	requireOneTask(t, history(ctx, t, c, id, ""), 2, func(ev *historypb.HistoryEvent) bool {
		return signaled(ev) || ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetProtocolInstanceId() == approve.ID
	})
	assert.Equal(t, hitl.PhaseRejected, res.Phase)
	app := entry(t, res.Audit, "alice", hitl.ActionApprove)
	assert.Equal(t, hitl.ViaUpdate, app.Via)
	assert.Contains(t, app.Ignored, hitl.ErrTypeConflict)
	assert.Equal(t, approve.ID, app.DecisionID)
	recordOrReplay(ctx, t, c, id, "batched-update-conflict.json")
}

// recordOrReplay saves the review's history under testdata (for TestReplay)
// with HITL_RECORD=1, and replays it against the current code either way.
func recordOrReplay(ctx context.Context, t *testing.T, c client.Client, id, file string) {
	t.Helper()
	if os.Getenv("HITL_RECORD") == "1" {
		require.NoError(t, durabletest.SaveHistory(ctx, c, id, "", filepath.Join("testdata", file)))
	}
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(hitltest.Workflow)
	require.NoError(t, replayer.ReplayWorkflowHistory(nil, &historypb.History{Events: history(ctx, t, c, id, "")}),
		"the recorded run replays without nondeterminism")
}

// Two approvals in one batch, in order, on the seed's approve signal: bob's
// completes the editor stage; alice, listed in both stages, approved the
// editor stage and must not approve legal with the same act.
func TestIntegrationApprovalCountsOnlyInItsStage(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := openStopped(ctx, t, c, w, hitltest.Input{Prompt: "memo", Stages: []hitl.Stage{
		{Name: "editor", Reviewers: []string{"alice", "bob"}},
		{Name: "legal", Reviewers: []string{"alice", "carol"}},
	}})
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalApprove, hitl.Decision{Reviewer: "bob"}))
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalApprove, hitl.Decision{Reviewer: "alice"}))
	w.Restart()

	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, id)
		return err == nil && st.AuditCount == 3
	}, 20*time.Second, 50*time.Millisecond, "both approvals are recorded")
	st, err := hitl.GetStatus(ctx, c, id)
	require.NoError(t, err)
	requireOneTask(t, history(ctx, t, c, id, ""), 2, signaled)
	assert.Equal(t, hitl.PhaseOpen, st.Phase, "one act approved one stage")
	assert.Equal(t, "legal", st.Stage)
	assert.Empty(t, st.Approvals)
	app := entry(t, st.Audit, "alice", hitl.ActionApprove)
	assert.Contains(t, app.Ignored, hitl.ErrTypeStaleVersion)
	assert.Contains(t, app.Ignored, `arrived in stage "editor"`)

	_, err = hitl.Approve(ctx, c, id, "alice", 1, "legal is fine too")
	require.NoError(t, err, "alice approves legal by an explicit act")
	assert.Equal(t, hitl.PhaseApproved, waitResult(ctx, t, c, id).Phase)
}
