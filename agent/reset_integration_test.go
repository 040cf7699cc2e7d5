package agent

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
)

// TestIntegrationResetKeepsKeys resets a finished agent to its first
// workflow task: the whole loop runs again in a new run. The session
// (workflow ID and first run ID) is the same, and the offline model's call
// ids are a hash of the conversation, so the side-effecting call gets the
// same key and returns its recorded result: no second email.
func TestIntegrationResetKeepsKeys(t *testing.T) {
	srv := durabletest.Server(t)
	s := newShop()
	w := agentWorker(t, srv, s, t.TempDir(), nil, worker.Options{})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startAgent(ctx, t, c, w, Config{
		Prompt: "Please lookup order A-1001 and send email to the customer.",
		Tools:  []string{"lookup_order", "send_email"},
	})
	before := result(ctx, t, run)
	key := record(before, "send_email").Key
	require.NotEmpty(t, key)
	assert.Equal(t, CallKey(run.GetID()+"/"+run.GetRunID(), record(before, "send_email").ID), key)

	var firstTask int64
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() && firstTask == 0 {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			firstTask = ev.GetEventId()
		}
	}
	resp, err := c.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace:                 srv.Namespace(),
		WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: run.GetID(), RunId: run.GetRunID()},
		Reason:                    "test: run the agent again",
		WorkflowTaskFinishEventId: firstTask,
		RequestId:                 "reset-" + run.GetRunID(),
	})
	require.NoError(t, err)
	require.NotEqual(t, run.GetRunID(), resp.GetRunId())
	var after Result
	require.NoError(t, c.GetWorkflow(ctx, run.GetID(), resp.GetRunId()).Get(ctx, &after))
	assert.Equal(t, StopAnswered, after.Stop)
	assert.Equal(t, key, record(after, "send_email").Key, "same session, same call id, same key")
	lookups, _, emails := s.counts()
	assert.Equal(t, 1, emails, "the reset did not send the email again")
	assert.Equal(t, 2, lookups, "read-only calls simply run again")
}
