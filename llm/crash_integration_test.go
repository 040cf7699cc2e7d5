package llm

import (
	"context"
	"errors"

	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// TestIntegrationCrashMidGeneration kills (SIGKILL) the worker process
// while the provider generates a background response, then starts another
// worker process. The retry finds the response id in the shared store and
// resumes that generation: the provider bills one generation, the answer
// comes from the primary model although a fallback is configured, and the
// attempt that follows the crash was started by the heartbeat timeout.
func TestIntegrationCrashMidGeneration(t *testing.T) {
	srv := durabletest.Server(t)
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "polled", true: "streamed"}[stream], func(t *testing.T) {
			s := llmtest.NewServer(t)
			hold := make(chan struct{})
			s.Enqueue(llmtest.Reply{Content: "the essay, resumed after the crash", Hold: hold, PromptTokens: 10, CompletionTokens: 6})
			storeDir, queue := t.TempDir(), "crash-"+uuid.NewString()
			first := startChild(t, srv, queue, s.URL, storeDir)

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, crashFlow,
				Request{Prompt: "write the essay", Stream: stream})
			require.NoError(t, err)
			var window time.Duration
			select {
			case window = <-first.recorded:
			case <-ctx.Done():
				t.Fatal("the first worker never recorded a background response")
			}
			first.kill()
			killed := time.Now()
			creates := len(s.Requests())

			startChild(t, srv, queue, s.URL, storeDir)
			var resumedAt time.Time
			require.Eventually(t, func() bool {
				for _, r := range s.Requests()[creates:] {
					if r.Endpoint == llmtest.EndpointRetrieve {
						resumedAt = r.Time
						return true
					}
				}
				return false
			}, time.Minute, 20*time.Millisecond, "the second worker retrieves the generation the first one started")
			close(hold) // the generation was still running: let it end

			var resp Response
			require.NoError(t, run.Get(ctx, &resp))
			assert.Equal(t, "the essay, resumed after the crash", resp.Text)
			assert.Equal(t, "main", resp.ModelName, "the attempt after a crash is not a failure of the primary model")
			assert.GreaterOrEqual(t, resp.Attempt, int32(2))
			assert.True(t, resp.CostKnown)
			assert.Equal(t, 1, s.Billed(), "the provider billed one generation")
			n := 0
			for _, r := range s.Requests() {
				if r.Endpoint == llmtest.EndpointResponses {
					n++
				}
			}
			assert.Equal(t, 1, n, "one create call: the retry resumed instead of buying again")
			cause := lastFailure(t, srv.Client(), run)
			var te *temporal.TimeoutError
			if errors.As(cause, &te) {
				assert.Equal(t, enums.TIMEOUT_TYPE_HEARTBEAT, te.TimeoutType(), "the crash was noticed by its missing heartbeats")
			} else {
				assert.True(t, idem.IsInProgress(cause), "the retry waited for the dead attempt's claim: %v", cause)
			}
			t.Logf("record window %s; kill to first retrieve %s (heartbeat timeout %s + backoff %s); attempt %d",
				window, resumedAt.Sub(killed), crashHeartbeatTimeout, RetryPolicy().InitialInterval, resp.Attempt)
		})
	}
}

// lastFailure returns the failure of the attempt before the one that
// completed the run's completion activity.
func lastFailure(t *testing.T, c client.Client, run client.WorkflowRun) error {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetLastFailure() != nil {
			return temporal.GetDefaultFailureConverter().FailureToError(a.GetLastFailure())
		}
	}
	t.Fatal("no attempt of the activity failed")
	return nil
}

// TestIntegrationCancelBackground cancels a workflow while its background
// generation runs: the activity learns it from its heartbeat and cancels
// the response, which stops costing.
func TestIntegrationCancelBackground(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	hold := make(chan struct{})
	defer close(hold)
	s.Enqueue(llmtest.Reply{Content: "an essay nobody will read", Hold: hold})
	a := newActivities(t, childConfig(s.URL, idem.NewMemoryStore()))
	recorded := make(chan time.Duration, 1)
	a.onRecorded = func(d time.Duration) { recorded <- d }
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		a.Register(r)
		r.RegisterWorkflow(crashFlow)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, crashFlow, ask("write"))
	require.NoError(t, err)
	select {
	case <-recorded:
	case <-ctx.Done():
		t.Fatal("no background response was recorded")
	}
	require.NoError(t, srv.Client().CancelWorkflow(ctx, run.GetID(), run.GetRunID()))
	err = run.Get(ctx, nil)
	var ce *temporal.CanceledError
	require.ErrorAs(t, err, &ce)
	require.Eventually(t, func() bool {
		calls := s.Calls()
		return len(calls) == 1 && calls[0].Cancelled
	}, 30*time.Second, 20*time.Millisecond, "the background response is cancelled")
	assert.Equal(t, llmtest.StatusCancelled, s.Calls()[0].Status)
}
