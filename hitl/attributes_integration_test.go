package hitl_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// upsert is one UpsertWorkflowSearchAttributes event of hitl's attributes:
// the value of each key it set.
type upsert map[string]any

// hitlUpserts returns the upserts of HITL* attributes in the history of id
// (the SDK's TemporalChangeVersion upserts left out).
func hitlUpserts(ctx context.Context, t *testing.T, c client.Client, id string) []upsert {
	t.Helper()
	var out []upsert
	for _, ev := range history(ctx, t, c, id, "") {
		if ev.GetEventType() != enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES {
			continue
		}
		u := upsert{}
		for k, p := range ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields() {
			if k == "TemporalChangeVersion" {
				continue
			}
			var v any
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &v))
			u[k] = v
		}
		if len(u) > 0 {
			out = append(out, u)
		}
	}
	return out
}

// reviewTwoEdits opens a review with in, makes two edits and approves.
func reviewTwoEdits(ctx context.Context, t *testing.T, c client.Client, opts client.StartWorkflowOptions, in hitltest.Input) {
	t.Helper()
	st, err := hitl.Open(ctx, c, opts, hitltest.Workflow, in)
	require.NoError(t, err)
	for v := 1; v <= 2; v++ {
		rc, err := hitl.Edit(ctx, c, opts.ID, "alice", v, "shorter")
		require.NoError(t, err)
		require.Equal(t, v+1, rc.Version)
	}
	_, err = hitl.Approve(ctx, c, opts.ID, "alice", 3, "")
	require.NoError(t, err)
	var res hitl.Result[string]
	require.NoError(t, c.GetWorkflow(ctx, opts.ID, st.RunID).Get(ctx, &res), "the run ID of the status finds the result")
	require.Equal(t, hitl.PhaseApproved, res.Phase)
}

// By default a revision leaves the search attributes alone, and a review
// Open started is drafting from its start request: it upserts when it
// opens and when it closes, and a visibility query sees it drafting, then
// open throughout its edits.
func TestIntegrationUpsertsOnlyVisibleChanges(t *testing.T) {
	c, w, a := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	opts := openOpts("quiet", w.TaskQueue)
	drafted, releaseDraft := a.Hold(hitltest.ActivityDraft)
	opened := make(chan error, 1)
	var st hitl.Status
	go func() {
		var err error
		st, err = hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo"})
		opened <- err
	}()
	select {
	case <-drafted:
	case <-ctx.Done():
		require.FailNow(t, "the draft never started")
	}
	draftingQ := "HITLStatus = 'drafting' AND WorkflowId = '" + opts.ID + "'"
	require.Eventually(t, func() bool { return slices.Contains(listIDs(ctx, t, c, draftingQ), opts.ID) }, 20*time.Second, 100*time.Millisecond,
		"while version 1 is written, the review is listed as drafting")
	releaseDraft()
	require.NoError(t, <-opened)
	assert.NotEmpty(t, st.RunID)
	reached, release := a.Hold(hitltest.ActivityRevise)
	edited := make(chan error, 1)
	go func() {
		_, err := hitl.Edit(ctx, c, opts.ID, "alice", 1, "shorter")
		edited <- err
	}()
	select {
	case <-reached:
	case <-ctx.Done():
		require.FailNow(t, "the first revision never started")
	}
	q := "HITLStatus = 'open' AND WorkflowId = '" + opts.ID + "'"
	require.Eventually(t, func() bool { return slices.Contains(listIDs(ctx, t, c, q), opts.ID) }, 20*time.Second, 100*time.Millisecond,
		"while the edit is revised, the review is listed as open")
	cur, err := hitl.GetStatus(ctx, c, opts.ID)
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseRevising, cur.Phase, "the status query still tells revising")
	release()
	require.NoError(t, <-edited)
	_, err = hitl.Edit(ctx, c, opts.ID, "alice", 2, "shorter")
	require.NoError(t, err)
	_, err = hitl.Approve(ctx, c, opts.ID, "alice", 3, "")
	require.NoError(t, err)
	var res hitl.Result[string]
	require.NoError(t, c.GetWorkflow(ctx, opts.ID, st.RunID).Get(ctx, &res), "the run ID of the status finds the result")
	require.Equal(t, hitl.PhaseApproved, res.Phase)

	ups := hitlUpserts(ctx, t, c, opts.ID)
	require.Len(t, ups, 2, "open, approved: %v", ups)
	assert.Equal(t, upsert{"HITLStatus": "open", "HITLStage": "review", "HITLPendingReviewers": nil}, ups[0],
		"all three once version 1 exists")
	assert.Equal(t, upsert{"HITLStatus": "approved"}, ups[1], "only what changed")
	assert.Equal(t, 2, countEvents(history(ctx, t, c, opts.ID, ""), enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
		"no TemporalChangeVersion upsert (and no version marker) either")
	recordOrReplay(ctx, t, c, opts.ID, "recording-quiet.json")
}

// countEvents counts the events of type typ.
func countEvents(evs []*historypb.HistoryEvent, typ enums.EventType) int {
	n := 0
	for _, ev := range evs {
		if ev.GetEventType() == typ {
			n++
		}
	}
	return n
}

// A review started without Open (no HITLStatus in its start request)
// records its attributes as hitl did before RecordingQuiet: all three
// when drafting starts, and the quiet revisions behind a version marker.
func TestIntegrationUpsertsWithoutOpen(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	opts := openOpts("plain", w.TaskQueue)
	run, err := c.ExecuteWorkflow(ctx, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, opts.ID)
		return err == nil && st.Version == 1
	}, 20*time.Second, 50*time.Millisecond)
	_, err = hitl.Edit(ctx, c, opts.ID, "alice", 1, "shorter")
	require.NoError(t, err)
	_, err = hitl.Approve(ctx, c, opts.ID, "alice", 2, "")
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	assert.Equal(t, []upsert{
		{"HITLStatus": "drafting", "HITLStage": "review", "HITLPendingReviewers": nil},
		{"HITLStatus": "open"},
		{"HITLStatus": "approved"},
	}, hitlUpserts(ctx, t, c, opts.ID))
	assert.Equal(t, 4, countEvents(history(ctx, t, c, opts.ID, ""), enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
		"with the TemporalChangeVersion upsert of the quiet revisions' marker")
}

// A quiet review carried through continue-as-new keeps its recording: the
// next run inherits the attributes and upserts only what changes.
func TestIntegrationQuietRecordingAcrossContinueAsNew(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	opts := openOpts("quiet-can", w.TaskQueue)
	st, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", MaxDecisionsPerRun: 1})
	require.NoError(t, err)
	_, err = hitl.Edit(ctx, c, opts.ID, "alice", 1, "shorter")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		cur, err := hitl.GetStatus(ctx, c, opts.ID)
		return err == nil && cur.RunID != st.RunID
	}, 20*time.Second, 50*time.Millisecond, "the review continues as new after one decision")
	_, err = hitl.Edit(ctx, c, opts.ID, "alice", 2, "shorter")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		cur, err := hitl.GetStatus(ctx, c, opts.ID)
		return err == nil && cur.Version == 3 && cur.Runs == 3
	}, 20*time.Second, 50*time.Millisecond)
	cur, err := hitl.GetStatus(ctx, c, opts.ID)
	require.NoError(t, err)
	_, err = hitl.Approve(ctx, c, opts.ID, "alice", 3, "")
	require.NoError(t, err)
	require.NoError(t, c.GetWorkflow(ctx, opts.ID, "").Get(ctx, nil))

	desc, err := c.DescribeWorkflowExecution(ctx, opts.ID, cur.RunID)
	require.NoError(t, err)
	assert.Contains(t, desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields(), "HITLStage",
		"the run started with the attributes of the run before")
	assert.Equal(t, []upsert{{"HITLStatus": "approved"}}, hitlUpserts(ctx, t, c, opts.ID),
		"the last run upserts only its outcome")
	evs := history(ctx, t, c, opts.ID, cur.RunID)
	assert.Zero(t, countEvents(evs, enums.EVENT_TYPE_MARKER_RECORDED), "no version marker")
}

// UpsertRevising restores the flip to revising and back around each edit;
// SearchAttributes narrows what is upserted.
func TestIntegrationUpsertChoices(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("UpsertRevising", func(t *testing.T) {
		opts := openOpts("revising", w.TaskQueue)
		reviewTwoEdits(ctx, t, c, opts, hitltest.Input{Prompt: "memo", UpsertRevising: true})
		var phases []any
		for _, u := range hitlUpserts(ctx, t, c, opts.ID) {
			phases = append(phases, u["HITLStatus"])
		}
		assert.Equal(t, []any{"open", "revising", "open", "revising", "open", "approved"}, phases,
			"drafting came with the start request")
	})
	t.Run("status only", func(t *testing.T) {
		opts := openOpts("status-only", w.TaskQueue)
		_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", SearchAttributes: []string{"HITLStatus"},
			Stages: []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}, {Name: "legal", Reviewers: []string{"carol"}}}})
		require.NoError(t, err)
		_, err = hitl.Approve(ctx, c, opts.ID, "alice", 1, "")
		require.NoError(t, err)
		_, err = hitl.Approve(ctx, c, opts.ID, "carol", 1, "")
		require.NoError(t, err)
		require.NoError(t, c.GetWorkflow(ctx, opts.ID, "").Get(ctx, nil))
		assert.Equal(t, []upsert{{"HITLStatus": "open"}, {"HITLStatus": "approved"}},
			hitlUpserts(ctx, t, c, opts.ID), "stage changes upsert nothing")
	})
	t.Run("stage only: the start's HITLStatus is removed", func(t *testing.T) {
		opts := openOpts("stage-only", w.TaskQueue)
		_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", SearchAttributes: []string{"HITLStage"}})
		require.NoError(t, err)
		_, err = hitl.Approve(ctx, c, opts.ID, "alice", 1, "")
		require.NoError(t, err)
		require.NoError(t, c.GetWorkflow(ctx, opts.ID, "").Get(ctx, nil))
		assert.Equal(t, []upsert{{"HITLStatus": nil}, {"HITLStage": "review"}}, hitlUpserts(ctx, t, c, opts.ID),
			"HITLStatus would otherwise read drafting for good")
		desc, err := c.DescribeWorkflowExecution(ctx, opts.ID, "")
		require.NoError(t, err)
		assert.NotContains(t, desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields(), "HITLStatus")
	})
	t.Run("disabled: the start's HITLStatus is removed", func(t *testing.T) {
		opts := openOpts("disabled", w.TaskQueue)
		_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", DisableSearchAttributes: true})
		require.NoError(t, err)
		_, err = hitl.Approve(ctx, c, opts.ID, "alice", 1, "")
		require.NoError(t, err)
		require.NoError(t, c.GetWorkflow(ctx, opts.ID, "").Get(ctx, nil))
		assert.Equal(t, []upsert{{"HITLStatus": nil}}, hitlUpserts(ctx, t, c, opts.ID), "nothing else is upserted")
	})
	t.Run("stages", func(t *testing.T) {
		opts := openOpts("stages", w.TaskQueue)
		_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", Stages: []hitl.Stage{
			{Name: "editor", Reviewers: []string{"alice", "bob"}, Quorum: 2}, {Name: "legal", Reviewers: []string{"carol"}},
		}})
		require.NoError(t, err)
		_, err = hitl.Approve(ctx, c, opts.ID, "alice", 1, "")
		require.NoError(t, err)
		_, err = hitl.Approve(ctx, c, opts.ID, "bob", 1, "")
		require.NoError(t, err)
		_, err = hitl.Reject(ctx, c, opts.ID, "carol", 1, "no")
		require.NoError(t, err)
		require.NoError(t, c.GetWorkflow(ctx, opts.ID, "").Get(ctx, nil))
		assert.Equal(t, []upsert{
			{"HITLStatus": "open", "HITLStage": "editor", "HITLPendingReviewers": []any{"alice", "bob"}},
			{"HITLPendingReviewers": []any{"bob"}},
			{"HITLStage": "legal", "HITLPendingReviewers": []any{"carol"}},
			{"HITLStatus": "rejected", "HITLPendingReviewers": nil},
		}, hitlUpserts(ctx, t, c, opts.ID), "each change of stage or pending reviewers, and only it")
	})
	t.Run("unknown attribute", func(t *testing.T) {
		opts := openOpts("bad-sa", w.TaskQueue)
		run, err := c.ExecuteWorkflow(ctx, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", SearchAttributes: []string{"CustomKeywordField"}})
		require.NoError(t, err)
		err = run.Get(ctx, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "CustomKeywordField is not one of hitl's")
	})
}
