package saga_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/saga"
)

// Re-record the committed histories with:
//
//	DURABLE_INTEGRATION=1 go test ./saga -run 'TestRecordHistories|TestContinueAsNewOnServer' -record
//
// testdata/continued-before-checkpoints.json was recorded with the saga code
// from before continue-as-new stopped compensating (it cancels leg1 before
// continuing as new); it cannot be re-recorded and must keep replaying.
var record = flag.Bool("record", false, "write the recorded histories to saga/testdata instead of a temporary folder")

// TestReplay replays the committed histories against the current workflow
// code: a change that breaks determinism of running sagas fails here.
func TestReplay(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) {
		r.RegisterWorkflow(orderWorkflow)
		r.RegisterWorkflow(legsWorkflow)
	})
}

// TestRecordHistories runs the order saga on the dev server in each recorded
// scenario, saves the histories and replays them. With -record they go to
// testdata (committed, replayed by TestReplay); otherwise to a temporary folder,
// which makes this an integration test of the saga on a real server.
func TestRecordHistories(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	sh := newShop()
	w := durabletest.StartWorker(t, srv, sh.register)
	dir := t.TempDir()
	if *record {
		dir = "testdata"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	scenarios := []struct {
		name   string
		in     order
		cancel bool
		state  saga.State
	}{
		{name: "compensated", in: order{ID: "r-1", FailAt: "ship"}, state: saga.StateCompensated},
		{name: "incomplete", in: order{ID: "r-2", FailAt: "ship", FailUndo: []string{actRefund}, StopOnError: true}, state: saga.StateIncomplete},
		{name: "parallel", in: order{ID: "r-3", FailAt: "charge", Parallel: true}, state: saga.StateCompensated},
		{name: "pivoted", in: order{ID: "r-4", FailAt: "notify"}, state: saga.StateKept},
		{name: "canceled", in: order{ID: "r-5", BlockShip: true}, cancel: true, state: saga.StateCompensated},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			id := "saga-" + sc.name + "-" + w.TaskQueue
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, orderWorkflow, sc.in)
			require.NoError(t, err)
			if sc.cancel {
				select {
				case <-sh.shipped:
				case <-ctx.Done():
					require.FailNow(t, "ship never started")
				}
				require.NoError(t, c.CancelWorkflow(ctx, id, run.GetRunID()))
			}
			err = run.Get(ctx, nil)
			require.Error(t, err)
			if sc.cancel {
				var canceled *temporal.CanceledError
				assert.ErrorAs(t, err, &canceled, "a cancelled saga still ends as canceled")
			}

			l, err := saga.ReadLedger(ctx, c, id, run.GetRunID())
			require.NoError(t, err)
			assert.Equal(t, sc.state, l.State)

			path := filepath.Join(dir, sc.name+".json")
			require.NoError(t, durabletest.SaveHistory(ctx, c, id, run.GetRunID(), path))
		})
	}
	durabletest.Replay(t, dir, func(r worker.WorkflowReplayer) { // with -record, dir holds the trip histories too
		r.RegisterWorkflow(orderWorkflow)
		r.RegisterWorkflow(legsWorkflow)
	})
}
