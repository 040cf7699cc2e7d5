package stream

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable/durabletest"
)

// A batch that arrives in the same workflow task as the signal that ends
// the run is in the carried state. The worker is stopped while both
// signals arrive, so the server delivers them together (the test
// environment would give each its own task).
func TestStateIncludesTheBatchOfTheLastTask(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { r.RegisterWorkflow(hostWorkflow) })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, hostWorkflow, hostInput{})
	require.NoError(t, err)
	deliverTogether(ctx, t, c, w, run.GetID(), batch(t, "p", 1, "llm", "last"), "finish")
	var st *State
	require.NoError(t, run.Get(ctx, &st))
	require.Len(t, st.Log, 1, "the batch is carried")
	assert.Equal(t, int64(0), st.BaseOffset)
}

// publishAfterGo publishes a status once "go" arrives and returns what the
// stream holds.
func publishAfterGo(ctx workflow.Context) (PollResult, error) {
	s, err := New(ctx, Options{})
	if err != nil {
		return PollResult{}, err
	}
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	if err := s.Publish(ctx, "llm", Event{Kind: "status", Text: "status"}); err != nil {
		return PollResult{}, err
	}
	return s.read(PollInput{})
}

// A batch that arrives in the same workflow task as what wakes the
// workflow code comes before the event that code publishes next. The
// worker is stopped while both signals arrive, so the server delivers them
// together.
func TestWorkflowPublishComesAfterBatchesOfTheSameTask(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { r.RegisterWorkflow(publishAfterGo) })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, publishAfterGo)
	require.NoError(t, err)
	deliverTogether(ctx, t, c, w, run.GetID(), batch(t, "p", 1, "llm", "last delta"), "go")
	var res PollResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, []string{"last delta", "status"}, texts(t, res))
}

// deliverTogether sends the publish batch, then the signal named next, to
// workflowID while w is stopped, so that the server delivers both in one
// workflow task when w comes back (the SDK's test environment would give
// each its own task). It first waits until the stream's handlers answer.
func deliverTogether(ctx context.Context, t *testing.T, c client.Client, w *durabletest.Worker, workflowID string, b PublishInput, next string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, err := c.QueryWorkflow(ctx, workflowID, "", OffsetQuery)
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "the stream's handlers are registered")
	w.Stop()
	require.NoError(t, c.SignalWorkflow(ctx, workflowID, "", PublishSignal, b))
	require.NoError(t, c.SignalWorkflow(ctx, workflowID, "", next, nil))
	w.Restart()
}
