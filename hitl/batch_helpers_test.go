package hitl_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// openStopped opens a review of in, waits for version 1, then stops the
// worker: whatever is sent next reaches the workflow in one workflow task
// once the test restarts it.
func openStopped(ctx context.Context, t *testing.T, c client.Client, w *durabletest.Worker, in hitltest.Input) string {
	t.Helper()
	id := "batch-" + uuid.NewString()
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, hitltest.Workflow, in)
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)
	w.Stop()
	return id
}

// decideAsync sends d with hitl.Decide in the background and waits until
// the server has admitted the update, so anything sent afterwards comes
// after it.
func decideAsync(ctx context.Context, t *testing.T, c client.Client, id string, d hitl.Decision) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := hitl.Decide(ctx, c, id, d)
		done <- err
	}()
	require.Eventually(t, func() bool {
		resp, err := c.WorkflowService().PollWorkflowExecutionUpdate(ctx, &workflowservice.PollWorkflowExecutionUpdateRequest{
			Namespace: durabletest.Server(t).Namespace(),
			UpdateRef: &updatepb.UpdateRef{
				WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id},
				UpdateId:          d.ID,
			},
			WaitPolicy: &updatepb.WaitPolicy{},
		})
		return err == nil && resp.GetStage() >= enums.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
	}, 20*time.Second, 20*time.Millisecond, "the server admits the update %s", d.ID)
	return done
}

// requireOneTask asserts that the events selected by pick (signals, update
// acceptances) reached the workflow in one workflow task: no task
// completed between the first and the last of them. An update's accepted
// event follows the completion of the task that received it, so it counts
// from there.
func requireOneTask(t *testing.T, events []*historypb.HistoryEvent, want int, pick func(*historypb.HistoryEvent) bool) {
	t.Helper()
	first, last, n := -1, -1, 0
	for i, ev := range events {
		if !pick(ev) {
			continue
		}
		at := i
		if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
			for at > 0 && events[at].GetEventType() != enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
				at--
			}
		}
		if first < 0 || at < first {
			first = at
		}
		last, n = max(last, at), n+1
	}
	require.Equal(t, want, n, "events of the batch in history")
	for _, ev := range events[first:last] {
		require.NotEqual(t, enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, ev.GetEventType(),
			"a workflow task completed between the events of the batch: the test did not batch them")
	}
}

func signaled(ev *historypb.HistoryEvent) bool {
	return ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
}

// entry returns the audit entry of reviewer's action, failing when there
// is not exactly one.
func entry(t *testing.T, audit []hitl.Entry, reviewer string, a hitl.Action) hitl.Entry {
	t.Helper()
	var out []hitl.Entry
	for _, e := range audit {
		if e.Reviewer == reviewer && e.Action == a {
			out = append(out, e)
		}
	}
	require.Len(t, out, 1, "audit entries for %s by %s in %+v", a, reviewer, audit)
	return out[0]
}

func waitResult(ctx context.Context, t *testing.T, c client.Client, id string) hitl.Result[string] {
	t.Helper()
	var res hitl.Result[string]
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &res))
	return res
}
