package hitl_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
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

// By default a revision leaves the search attributes alone: a review
// upserts when it starts drafting, when it opens and when it closes, and a
// visibility query sees it open throughout its edits.
func TestIntegrationUpsertsOnlyVisibleChanges(t *testing.T) {
	c, w, a := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	opts := openOpts("quiet", w.TaskQueue)
	st, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo"})
	require.NoError(t, err)
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
	require.Len(t, ups, 3, "drafting, open, approved: %v", ups)
	assert.Equal(t, upsert{"HITLStatus": "drafting", "HITLStage": "review", "HITLPendingReviewers": nil}, ups[0], "all three the first time")
	assert.Equal(t, upsert{"HITLStatus": "open"}, ups[1], "only what changed")
	assert.Equal(t, upsert{"HITLStatus": "approved"}, ups[2])
	recordOrReplay(ctx, t, c, opts.ID, "quiet-revisions.json")
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
		assert.Equal(t, []any{"drafting", "open", "revising", "open", "revising", "open", "approved"}, phases)
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
		assert.Equal(t, []upsert{{"HITLStatus": "drafting"}, {"HITLStatus": "open"}, {"HITLStatus": "approved"}},
			hitlUpserts(ctx, t, c, opts.ID), "stage changes upsert nothing")
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
			{"HITLStatus": "drafting", "HITLStage": "editor", "HITLPendingReviewers": nil},
			{"HITLStatus": "open", "HITLPendingReviewers": []any{"alice", "bob"}},
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
