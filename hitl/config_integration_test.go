package hitl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// On a namespace without the HITL* search attributes, Open and
// CheckSearchAttributes name each missing one and how to register it,
// instead of "unexpected workflow task failure".
func TestIntegrationMissingSearchAttributes(t *testing.T) {
	srv := durabletest.StartServer(t, durable.DevServerOptions{}) // no search attributes
	c := srv.Client()
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, &hitltest.Activities{}) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	err := hitl.CheckSearchAttributes(ctx, c)
	var sa *hitl.SearchAttributesError
	require.ErrorAs(t, err, &sa)
	require.ErrorIs(t, err, hitl.ErrSearchAttributes)
	assert.Equal(t, []string{"HITLStatus", "HITLPendingReviewers", "HITLStage"}, sa.Missing)
	for _, want := range []string{"HITLStatus (Keyword)", "HITLPendingReviewers (KeywordList)", "hitl.RegisterSearchAttributes",
		"--name HITLStatus --name HITLStage --type Keyword", "--name HITLPendingReviewers --type KeywordList", "DisableSearchAttributes"} {
		assert.Contains(t, err.Error(), want)
	}

	opts := openOpts("no-sa", w.TaskQueue)
	_, err = hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo"})
	require.ErrorIs(t, err, hitl.ErrSearchAttributes, "got %v", err)
	require.ErrorAs(t, err, &sa)
	assert.Len(t, sa.Missing, 3)
	assert.Error(t, sa.Err, "the SDK's error is kept")

	// Once registered, the review that was stuck resumes by itself.
	require.NoError(t, hitl.RegisterSearchAttributes(ctx, c, srv.Namespace()))
	require.NoError(t, hitl.CheckSearchAttributes(ctx, c))
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, opts.ID)
		return err == nil && st.Version == 1
	}, 2*time.Minute, 200*time.Millisecond, "the stuck review resumes on a later workflow-task retry (the server backs off between them)")

	// A review that opts out works on such a namespace too.
	bare := durabletest.StartServer(t, durable.DevServerOptions{})
	bw := durabletest.StartWorker(t, bare, func(r worker.Registry) { hitltest.Register(r, &hitltest.Activities{}) })
	st, err := hitl.Open(ctx, bare.Client(), openOpts("opt-out", bw.TaskQueue), hitltest.Workflow,
		hitltest.Input{Prompt: "memo", DisableSearchAttributes: true})
	require.NoError(t, err)
	assert.Equal(t, 1, st.Version)
}

// Without Config.Revise an edit is refused synchronously: nothing reaches
// history, and the review still takes approvals.
func TestIntegrationEditsNotAccepted(t *testing.T) {
	c, w, _ := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := openOpts("expense", w.TaskQueue)
	_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "expense 42", NoEdits: true})
	require.NoError(t, err)
	_, err = hitl.Decide(ctx, c, opts.ID, hitl.Decision{ID: "edit-1", Reviewer: "manager", Action: hitl.ActionEdit, Version: 1, Instructions: "lower it"})
	require.ErrorIs(t, err, hitl.ErrEditsNotAccepted)
	assert.True(t, hitl.IsRefusal(err))
	assert.Contains(t, err.Error(), "edits are not accepted in this review")
	rc, err := hitl.Approve(ctx, c, opts.ID, "manager", 1, "")
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseApproved, rc.Phase)
	for _, ev := range history(ctx, t, c, opts.ID, "") {
		if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
			assert.NotEqual(t, "edit-1", ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetProtocolInstanceId())
		}
	}
}

// Notify hears when the review opens and whenever a version is ready for a
// stage, not only on deadlines.
func TestIntegrationNotifyOpenedAndReady(t *testing.T) {
	c, w, a := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := openOpts("notify", w.TaskQueue)
	_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", Notify: true, Stages: []hitl.Stage{
		{Name: "editor", Reviewers: []string{"alice"}},
		{Name: "legal", Reviewers: []string{"bob"}, Deadline: time.Hour},
	}})
	require.NoError(t, err)
	_, err = hitl.Edit(ctx, c, opts.ID, "alice", 1, "shorter")
	require.NoError(t, err)
	_, err = hitl.Approve(ctx, c, opts.ID, "alice", 2, "")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(a.Notices()) == 3 }, 20*time.Second, 50*time.Millisecond, "three notices")

	n := a.Notices()
	assert.Equal(t, hitl.NoticeOpened, n[0].Kind)
	assert.Equal(t, []string{"alice"}, n[0].Reviewers)
	assert.Equal(t, 1, n[0].Version)
	assert.Equal(t, hitl.NoticeReady, n[1].Kind, "a new version is ready for the editor")
	assert.Equal(t, []string{"alice"}, n[1].Reviewers)
	assert.Equal(t, 2, n[1].Version)
	assert.Equal(t, hitl.NoticeReady, n[2].Kind, "the next stage's turn")
	assert.Equal(t, "legal", n[2].Stage)
	assert.Equal(t, []string{"bob"}, n[2].Reviewers)
	assert.False(t, n[2].Due.IsZero(), "with the stage's deadline")
	assert.Equal(t, opts.ID, n[2].WorkflowID)
}
