package saga_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/saga"
)

// TestContinueAsNewOnServer runs the trip across real continue-as-new runs on
// the dev server: the checkpoint travels through the server in the next run's
// input. With -record the histories of both runs go to testdata (replayed by
// TestReplay).
func TestContinueAsNewOnServer(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	dir := t.TempDir()
	if *record {
		dir = "testdata"
	}
	tests := []struct {
		name   string
		in     legs
		calls  []string
		failed bool
		comp   map[string]saga.Status
		state  saga.State
	}{
		{
			name:   "continued-failed",
			in:     legs{ID: "s-1", Run: 1, Runs: 2, FailAt: "leg2", Carry: true},
			calls:  []string{"book leg1", "book leg2", "cancel leg2", "cancel leg1"},
			failed: true,
			comp:   map[string]saga.Status{"leg1": saga.StatusSucceeded, "leg2": saga.StatusSucceeded},
			state:  saga.StateCompensated,
		},
		{
			name:  "continued-succeeded",
			in:    legs{ID: "s-2", Run: 1, Runs: 2, Carry: true},
			calls: []string{"book leg1", "book leg2"},
			comp:  map[string]saga.Status{"leg1": saga.StatusPending, "leg2": saga.StatusPending},
			state: saga.StateRunning,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ag := &agency{}
			w := durabletest.StartWorker(t, srv, ag.register)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			id := "saga-" + tt.name + "-" + w.TaskQueue
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, legsWorkflow, tt.in)
			require.NoError(t, err)
			// GetRunID changes once Get has followed the chain: take run 1's ID now.
			first := run.GetRunID()

			err = run.Get(ctx, nil) // follows the chain to the last run
			if tt.failed {
				require.Error(t, err)
				assert.True(t, saga.IsCompensated(err), "the last run fails as compensated: %v", err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.calls, ag.Calls(), "nothing undone at continue-as-new; each leg undone once, in reverse order, when run 2 fails")

			desc, err := c.DescribeWorkflowExecution(ctx, id, "")
			require.NoError(t, err)
			last := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
			require.NotEqual(t, first, last, "the workflow continued as new")

			l1, err := saga.ReadLedger(ctx, c, id, first)
			require.NoError(t, err)
			assert.Equal(t, saga.StateContinued, l1.State, "run 1 compensated nothing")
			assert.Equal(t, map[string]saga.Status{"leg1": saga.StatusPending}, compStatus(l1))

			l2, err := saga.ReadLedger(ctx, c, id, last)
			require.NoError(t, err)
			assert.Equal(t, tt.state, l2.State)
			assert.Equal(t, tt.comp, compStatus(l2), "run 2's ledger holds run 1's leg")

			require.NoError(t, durabletest.SaveHistory(ctx, c, id, first, filepath.Join(dir, tt.name+"-run1.json")))
			require.NoError(t, durabletest.SaveHistory(ctx, c, id, last, filepath.Join(dir, tt.name+"-run2.json")))
		})
	}
	durabletest.Replay(t, dir, func(r worker.WorkflowReplayer) { // with -record, dir holds the order histories too
		r.RegisterWorkflow(orderWorkflow)
		r.RegisterWorkflow(legsWorkflow)
	})
}
