package ordersaga

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/saga"
)

var record = flag.Bool("record", false, "record testdata/*.json from the dev server (TestRecordHistory)")

// startWorker starts a worker of the saga on the dev server against a fresh
// store of the backend.
func startWorker(t *testing.T, srv *durable.DevServer, open func(t *testing.T) (Store, idem.Store), opts worker.Options) (*durabletest.Worker, Store) {
	t.Helper()
	st, keys := open(t)
	require.NoError(t, st.EnsureStock(context.Background(), DefaultStock()))
	acts, err := NewActivities(st, keys)
	require.NoError(t, err)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { Register(r, acts) }, opts)
	return w, st
}

// history lists, from the workflow's history, the activity types in the
// order they were scheduled and the attempt of each start.
func history(t *testing.T, c client.Client, workflowID, runID string) (scheduled []string, attempts map[string]int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	attempts = map[string]int32{}
	types := map[int64]string{}
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled = append(scheduled, a.GetActivityType().GetName())
			types[ev.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			attempts[types[a.GetScheduledEventId()]] = a.GetAttempt()
		}
	}
	return scheduled, attempts
}

func uniqueID(prefix string) string { return prefix + "-" + uuid.NewString()[:8] }

func TestIntegrationOrders(t *testing.T) {
	srv := durabletest.Server(t)
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		w, st := startWorker(t, srv, open, worker.Options{})
		c := srv.Client()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()

		ok := testOrder(uniqueID("it-ok"))
		res, err := runOrder(ctx, c, w.TaskQueue, ok)
		require.NoError(t, err)
		assert.Equal(t, OutcomeCompleted, res.Outcome)
		assert.Equal(t, 1, res.Charges)
		assert.Equal(t, 0, res.Refunds)
		assert.Equal(t, trackingNumber(ok.ID), res.Tracking)
		assert.Equal(t, "reserve succeeded (undo kept); charge succeeded (undo kept); ship succeeded", res.Ledger)
		r, err := st.Reservation(ctx, ok.ID)
		require.NoError(t, err)
		assert.Equal(t, Shipped, r.Status)
		assert.Equal(t, 98, stock(t, st, "widget"))

		bad := testOrder(uniqueID("it-fail"))
		bad.FailAt = StepShip
		res, err = runOrder(ctx, c, w.TaskQueue, bad)
		require.NoError(t, err)
		assert.Equal(t, OutcomeCompensated, res.Outcome)
		assert.Equal(t, 1, res.Charges)
		assert.Equal(t, 1, res.Refunds)
		assert.Empty(t, res.Tracking)
		assert.Equal(t, "reserve succeeded (undo succeeded); charge succeeded (undo succeeded); ship failed", res.Ledger)
		assert.Contains(t, res.Error, "failure injected at ship")

		scheduled, _ := history(t, c, res.WorkflowID, res.RunID)
		assert.Equal(t, []string{ActivityReserve, ActivityCharge, ActivityShip, ActivityRefund, ActivityRelease, ActivityAudit}, scheduled,
			"undo in reverse order")
		l, err := saga.ReadLedger(ctx, c, res.WorkflowID, res.RunID)
		require.NoError(t, err)
		assert.Equal(t, saga.StateCompensated, l.State)

		ps, err := st.Payments(ctx, bad.ID)
		require.NoError(t, err)
		require.Len(t, ps, 2)
		assert.Equal(t, []PaymentKind{KindCharge, KindRefund}, []PaymentKind{ps[0].Kind, ps[1].Kind})
		assert.Equal(t, ps[0].Amount, ps[1].Amount)
		r, err = st.Reservation(ctx, bad.ID)
		require.NoError(t, err)
		assert.Equal(t, Released, r.Status)
		assert.Equal(t, 98, stock(t, st, "widget"), "only the shipped order's stock is gone")
		assert.Equal(t, 49, stock(t, st, "gadget"))

		invalid := testOrder(uniqueID("it-invalid"))
		invalid.Amount = -1
		res, err = runOrder(ctx, c, w.TaskQueue, invalid)
		require.NoError(t, err)
		assert.Equal(t, OutcomeRejected, res.Outcome)
		assert.Contains(t, res.Error, "amount is -1 cents")
		scheduled, _ = history(t, c, res.WorkflowID, res.RunID)
		assert.Empty(t, scheduled, "an invalid order runs no activity")
	})
}

// TestIntegrationCrashDuringCharge kills the worker after the charge's body
// took the money and before Temporal heard of it. The server retries the
// charge on a restarted worker; idem returns the recorded payment, so the
// gateway shows exactly one charge.
func TestIntegrationCrashDuringCharge(t *testing.T) {
	srv := durabletest.Server(t)
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		cp := durabletest.NewCrashPoint(ActivityCharge)
		w, st := startWorker(t, srv, open, worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp}})
		c := srv.Client()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()

		o := testOrder(uniqueID("it-crash"))
		o.AttemptTimeout = 3 * time.Second // the server retries the lost attempt after 3 s
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ordersaga-" + o.ID, TaskQueue: w.TaskQueue}, WorkflowName, o)
		require.NoError(t, err)
		select {
		case <-cp.Reached():
		case <-ctx.Done():
			t.Fatal("the charge never ran")
		}
		ps, err := st.Payments(ctx, o.ID)
		require.NoError(t, err)
		require.Len(t, ps, 1, "the charge's body ran before the crash")

		w.Kill()
		cp.Disarm()
		w.Restart()

		var out Status
		require.NoError(t, run.Get(ctx, &out))
		assert.Equal(t, OutcomeCompleted, out.Outcome)
		require.NotNil(t, out.Payment)
		assert.Equal(t, ps[0].Seq, out.Payment.Seq, "the retry returned the recorded charge")
		ps, err = st.Payments(ctx, o.ID)
		require.NoError(t, err)
		assert.Len(t, ps, 1, "exactly one charge")
		require.NotNil(t, out.Audit)
		assert.Equal(t, 1, out.Audit.Charges)
		assert.Equal(t, 98, stock(t, st, "widget"), "reserved once")

		_, attempts := history(t, c, run.GetID(), run.GetRunID())
		assert.GreaterOrEqual(t, attempts[ActivityCharge], int32(2), "the charge was retried after the crash")
	})
}

// TestRecordHistory records the histories TestReplay replays. Re-record
// after an intended change to the workflow:
//
//	DURABLE_INTEGRATION=1 go test ./examples/ordersaga -run TestRecordHistory -record
func TestRecordHistory(t *testing.T) {
	if !*record {
		t.Skip("re-record testdata/*.json with: go test ./examples/ordersaga -run TestRecordHistory -record")
	}
	srv := durabletest.Server(t)
	w, _ := startWorker(t, srv, openFileBackend, worker.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	failed := testOrder("replay-compensated")
	failed.FailAt = StepShip
	for name, o := range map[string]Order{"completed": testOrder("replay-completed"), "compensated": failed} {
		res, err := runOrder(ctx, srv.Client(), w.TaskQueue, o)
		require.NoError(t, err)
		require.Equal(t, name, res.Outcome)
		require.NoError(t, durabletest.SaveHistory(ctx, srv.Client(), res.WorkflowID, res.RunID, filepath.Join("testdata", name+".json")))
	}
}

// TestReplay replays the recorded histories against the current workflow
// code: a change that breaks determinism fails here, not in production.
func TestReplay(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) { RegisterWorkflow(r) })
}
