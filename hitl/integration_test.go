package hitl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

func startWorker(t *testing.T) (client.Client, *durabletest.Worker, *hitltest.Activities) {
	t.Helper()
	srv := durabletest.Server(t)
	a := &hitltest.Activities{}
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, a) })
	return srv.Client(), w, a
}

func history(ctx context.Context, t *testing.T, c client.Client, id, runID string) []*historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

func listIDs(ctx context.Context, t *testing.T, c client.Client, query string) []string {
	t.Helper()
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	require.NoError(t, err)
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	return ids
}

func TestIntegrationClientHelpers(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := "doc-" + uuid.NewString()
	in := hitltest.Input{Prompt: "launch note", Stages: []hitl.Stage{
		{Name: "editor", Reviewers: []string{"alice"}},
		{Name: "legal", Reviewers: []string{"bob", "carol"}, Quorum: 2, Deadline: 24 * time.Hour},
	}}
	opts := client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}

	st, err := hitl.Open(ctx, c, opts, hitltest.Workflow, in)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Version)
	assert.Equal(t, "editor", st.Stage)
	assert.Equal(t, []string{"alice"}, st.Pending)
	firstRun := c.GetWorkflow(ctx, id, "").GetRunID()
	again, err := hitl.Open(ctx, c, opts, hitltest.Workflow, in)
	require.NoError(t, err, "a second Open attaches to the running review")
	assert.Equal(t, 1, again.Version)
	assert.Equal(t, firstRun, c.GetWorkflow(ctx, id, "").GetRunID())

	refused := []struct {
		d    hitl.Decision
		want error
	}{
		{hitl.Decision{ID: "refused-stale", Reviewer: "alice", Action: hitl.ActionApprove, Version: 2}, hitl.ErrStaleVersion},
		{hitl.Decision{ID: "refused-unknown", Reviewer: "mallory", Action: hitl.ActionApprove, Version: 1}, hitl.ErrUnknownReviewer},
		{hitl.Decision{ID: "refused-unauthorized", Reviewer: "bob", Action: hitl.ActionApprove, Version: 1}, hitl.ErrUnauthorized},
		{hitl.Decision{ID: "refused-empty", Reviewer: "alice", Action: hitl.ActionEdit, Version: 1}, hitl.ErrEmptyEdit},
	}
	for _, r := range refused {
		_, err := hitl.Decide(ctx, c, id, r.d)
		require.ErrorIs(t, err, r.want, r.d.ID)
		var de *hitl.DecisionError
		require.ErrorAs(t, err, &de)
		assert.True(t, hitl.IsRefusal(err))
	}

	rc, err := hitl.Edit(ctx, c, id, "alice", 1, "make it shorter")
	require.NoError(t, err)
	assert.Equal(t, 2, rc.Version)
	draft, err := hitl.GetDraft[string](ctx, c, id)
	require.NoError(t, err)
	assert.Equal(t, "Draft: launch note\n[edit v1: make it shorter]", draft)
	rc, err = hitl.Approve(ctx, c, id, "alice", 2, "good")
	require.NoError(t, err)
	assert.Equal(t, "legal", rc.Stage)

	require.Eventually(t, func() bool {
		q := fmt.Sprintf("HITLStatus = 'open' AND HITLStage = 'legal' AND HITLPendingReviewers = 'carol' AND WorkflowId = '%s'", id)
		return slices.Contains(listIDs(ctx, t, c, q), id)
	}, 20*time.Second, 200*time.Millisecond, "the open review is listed by its search attributes")

	_, err = hitl.Approve(ctx, c, id, "bob", 2, "")
	require.NoError(t, err)
	rc, err = hitl.Approve(ctx, c, id, "carol", 2, "")
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseApproved, rc.Phase)

	var res hitl.Result[string]
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 2, res.Version)
	assert.Equal(t, draft, res.Artifact)

	_, err = hitl.Approve(ctx, c, id, "bob", 2, "")
	require.ErrorIs(t, err, hitl.ErrClosed, "a decision after the workflow ended: %v", err)

	// Nothing of the refused updates reached history; the six others did.
	var accepted []string
	var timerSummary string
	for _, ev := range history(ctx, t, c, id, firstRun) {
		if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			accepted = append(accepted, a.GetAcceptedRequest().GetMeta().GetUpdateId())
		}
		if ev.GetEventType() == enums.EVENT_TYPE_TIMER_STARTED && ev.GetUserMetadata().GetSummary() != nil {
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(ev.GetUserMetadata().GetSummary(), &timerSummary))
		}
	}
	assert.Len(t, accepted, 6, "two attaches, one edit, three approvals")
	for _, r := range refused {
		assert.NotContains(t, accepted, r.d.ID)
	}
	assert.Contains(t, timerSummary, "waiting for legal, due ")

	require.Eventually(t, func() bool {
		return slices.Contains(listIDs(ctx, t, c, fmt.Sprintf("HITLStatus = 'approved' AND WorkflowId = '%s'", id)), id)
	}, 20*time.Second, 200*time.Millisecond, "the closed review's status attribute says approved")

	if os.Getenv("HITL_RECORD") == "1" {
		require.NoError(t, durabletest.SaveHistory(ctx, c, id, firstRun, filepath.Join("testdata", "two-stage-review.json")))
	}
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflow(hitltest.Workflow)
	require.NoError(t, replayer.ReplayWorkflowHistory(nil, &historypb.History{Events: history(ctx, t, c, id, firstRun)}),
		"the recorded run replays without nondeterminism")
}

func TestIntegrationContinueAsNew(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id := "long-" + uuid.NewString()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, hitltest.Workflow,
		hitltest.Input{Prompt: "long", MaxDecisionsPerRun: 10})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, id)
		return err == nil && st.Version == 1
	}, 20*time.Second, 50*time.Millisecond)

	const edits = 25
	version := 1
	for i := range edits {
		rc, err := hitl.Edit(ctx, c, id, "alice", version, fmt.Sprint("round ", i+1))
		require.NoError(t, err, "edit %d", i+1)
		require.Equal(t, version+1, rc.Version)
		version = rc.Version
	}
	_, err = hitl.Approve(ctx, c, id, "alice", version, "")
	require.NoError(t, err)

	var res hitl.Result[string]
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, edits+1, res.Version)
	assert.Equal(t, 1+2*edits+1, res.AuditCount)
	st, err := hitl.GetStatus(ctx, c, id)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Runs)
	assert.NotEqual(t, run.GetRunID(), c.GetWorkflow(ctx, id, "").GetRunID(), "the review continued as new")
}

func TestIntegrationSeedSignals(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, hitltest.Workflow,
		hitltest.Input{Prompt: "seed", DisableSearchAttributes: true})
	require.NoError(t, err)
	// A signal names no version: it applies to the version current when it
	// arrives, so send it once version 1 exists.
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, run.GetID())
		return err == nil && st.Version == 1
	}, 20*time.Second, 50*time.Millisecond)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", hitl.SignalSubmitEdit, "emphasize safety"))
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, run.GetID())
		return err == nil && st.Version == 2
	}, 20*time.Second, 50*time.Millisecond)
	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", hitl.SignalApprove, nil))
	var res hitl.Result[string]
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, "Draft: seed\n[edit v0: emphasize safety]", res.Artifact)
}

// TestIntegrationConcurrentDecisionsAcrossContinueAsNew sends six approvals
// at once to a run that continues as new after every two decisions: each
// approval is applied exactly once, none is lost at a run boundary.
func TestIntegrationConcurrentDecisionsAcrossContinueAsNew(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reviewers := []string{"r1", "r2", "r3", "r4", "r5", "r6"}
	id := "quorum-" + uuid.NewString()
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, hitltest.Workflow, hitltest.Input{
		Prompt: "board memo", MaxDecisionsPerRun: 2,
		Stages: []hitl.Stage{{Name: "board", Reviewers: reviewers, Quorum: len(reviewers)}},
	})
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)

	// Two waves: the first makes the run continue as new, the second races
	// the next run's continue-as-new with four updates in flight.
	for _, wave := range [][]string{reviewers[:2], reviewers[2:]} {
		errs := make(chan error, len(wave))
		for _, r := range wave {
			go func() {
				_, err := hitl.Approve(ctx, c, id, r, 1, "")
				errs <- err
			}()
		}
		for range wave {
			assert.NoError(t, <-errs)
		}
	}
	var res hitl.Result[string]
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 1+len(reviewers), res.AuditCount, "one drafted entry and one per approval")
	final, err := hitl.GetStatus(ctx, c, id)
	require.NoError(t, err)
	assert.Greater(t, final.Runs, 1, "the review continued as new between approvals")
}
