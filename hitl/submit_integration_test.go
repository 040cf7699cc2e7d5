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

func TestIntegrationSubmitReturnsOnceAccepted(t *testing.T) {
	c, w, a := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := "submit-" + uuid.NewString()
	_, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, hitltest.Workflow,
		hitltest.Input{Prompt: "note", Stages: []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}}})
	require.NoError(t, err)

	err = hitl.Submit(ctx, c, id, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 3, Instructions: "x"})
	require.ErrorIs(t, err, hitl.ErrStaleVersion, "refusals come back as from Decide")

	reached, release := a.Hold(hitltest.ActivityRevise)
	d := hitl.Decision{ID: "edit-1", Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "shorter"}
	require.NoError(t, hitl.Submit(ctx, c, id, d))
	<-reached
	st, err := hitl.GetStatus(ctx, c, id)
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseRevising, st.Phase, "Submit returned while the revision runs")
	assert.Equal(t, 1, st.Version)

	release()
	rc, err := hitl.Decide(ctx, c, id, d)
	require.NoError(t, err, "the same ID waits for the same decision")
	assert.Equal(t, 2, rc.Version)
	_, err = hitl.Approve(ctx, c, id, "alice", 2, "")
	require.NoError(t, err)
	err = hitl.Submit(ctx, c, id, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2})
	require.ErrorIs(t, err, hitl.ErrClosed)
}
