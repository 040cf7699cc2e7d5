package idem_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// lastAttempt returns the attempt of the last ActivityTaskStarted event.
func lastAttempt(ctx context.Context, t *testing.T, c client.Client, wfID, runID string) int32 {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, wfID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var attempt int32
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			attempt = a.GetAttempt()
		}
	}
	return attempt
}

func TestCrashAfterSideEffectReturnsTheRecordedResult(t *testing.T) {
	srv := durabletest.Server(t)
	ctx := testContext(t)
	dir := t.TempDir()
	pay := newPayments()
	cp := durabletest.NewCrashPoint("Charge")
	register := func(r worker.Registry) {
		// Each (re)start is a new process: it reopens the store's directory.
		store, err := idem.NewFileStore(dir)
		require.NoError(t, err)
		r.RegisterWorkflow(ChargeWorkflow)
		r.RegisterActivityWithOptions(idem.Wrap(store, pay.Charge, idem.WithKey(orderKey)), activity.RegisterOptions{Name: "Charge"})
	}
	w := durabletest.StartWorker(t, srv, register, worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp}})

	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, ChargeWorkflow, Order{ID: "order-7", Cents: 900})
	require.NoError(t, err)
	select {
	case <-cp.Reached(): // the charge happened; Temporal does not know yet
	case <-ctx.Done():
		t.Fatal("the charge never ran")
	}
	w.Kill()
	cp.Disarm()
	w.Restart()

	var got Receipt
	require.NoError(t, run.Get(ctx, &got))
	assert.Equal(t, Receipt{ChargeID: "ch_1_order-7", Key: "charge:order-7"}, got, "the recorded result")
	assert.Equal(t, 1, pay.Count(), "charged once")
	assert.Equal(t, int32(2), lastAttempt(ctx, t, srv.Client(), run.GetID(), run.GetRunID()), "the lost attempt was retried")
}

func TestCrashMidCallIsReconciled(t *testing.T) {
	srv := durabletest.Server(t)
	ctx := testContext(t)
	pay := newPayments()
	store := idem.NewMemoryStore()
	reached := make(chan struct{})
	var once sync.Once
	charge := func(ctx context.Context, o Order) (Receipt, error) {
		r, err := pay.Charge(ctx, o)
		first := false
		once.Do(func() { first = true })
		if first { // the charge went through; the worker dies before the answer
			close(reached)
			<-ctx.Done()
			return Receipt{}, ctx.Err()
		}
		return r, err
	}
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(ChargeWorkflow)
		r.RegisterActivityWithOptions(idem.Wrap(store, charge, idem.WithKey(orderKey), idem.WithReconcile(pay.Lookup)),
			activity.RegisterOptions{Name: "Charge"})
	})
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, ChargeWorkflow, Order{ID: "order-8", Cents: 900})
	require.NoError(t, err)
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatal("the charge never ran")
	}
	w.Kill()
	w.Restart()

	var got Receipt
	require.NoError(t, run.Get(ctx, &got))
	assert.Equal(t, Receipt{ChargeID: "ch_1_order-8", Key: "charge:order-8"}, got, "found by the reconcile hook")
	assert.Equal(t, 1, pay.Count(), "charged once")
}

// KeySeen is what the "Key" activity reports about its attempt.
type KeySeen struct {
	RunID, ActivityID, Key string
	Attempt                int32
}

// keyRecorder is a "Key" activity that fails its first attempt in each run
// and records the key of every attempt.
type keyRecorder struct {
	mu   sync.Mutex
	seen []KeySeen
}

func (k *keyRecorder) Key(ctx context.Context, _ string) (KeySeen, error) {
	info := activity.GetInfo(ctx)
	s := KeySeen{RunID: info.WorkflowExecution.RunID, ActivityID: info.ActivityID, Key: idem.DefaultKey(ctx), Attempt: info.Attempt}
	k.mu.Lock()
	k.seen = append(k.seen, s)
	k.mu.Unlock()
	if info.Attempt == 1 {
		return s, temporal.NewApplicationError("first attempt fails", "test.Retry")
	}
	return s, nil
}

// ContinueAsNewWorkflow calls "Key" once per run, for runs runs.
func ContinueAsNewWorkflow(ctx workflow.Context, runs int, seen []KeySeen) ([]KeySeen, error) {
	s, err := durable.Execute[KeySeen](ctx, "Key", "x", chargeOptions())
	if err != nil {
		return nil, err
	}
	seen = append(seen, s)
	if runs > 1 {
		return nil, workflow.NewContinueAsNewError(ctx, ContinueAsNewWorkflow, runs-1, seen)
	}
	return seen, nil
}

func TestDefaultKeyAcrossRetriesAndContinueAsNew(t *testing.T) {
	srv := durabletest.Server(t)
	ctx := testContext(t)
	rec := &keyRecorder{}
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(ContinueAsNewWorkflow)
		r.RegisterActivityWithOptions(rec.Key, activity.RegisterOptions{Name: "Key"})
	})
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, ContinueAsNewWorkflow, 2, []KeySeen(nil))
	require.NoError(t, err)
	var runs []KeySeen
	require.NoError(t, run.Get(ctx, &runs))
	require.Len(t, runs, 2)

	a, b := runs[0], runs[1]
	assert.Equal(t, a.ActivityID, b.ActivityID, "activity IDs repeat in a new run: workflow ID + activity ID would collide")
	assert.NotEqual(t, a.RunID, b.RunID)
	assert.NotEqual(t, a.Key, b.Key, "the default key differs across continue-as-new")
	for _, r := range runs {
		assert.Equal(t, r.RunID+"/"+r.ActivityID, r.Key)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.seen, 4, "two attempts per run")
	for _, s := range rec.seen {
		want := a.Key
		if s.RunID == b.RunID {
			want = b.Key
		}
		assert.Equal(t, want, s.Key, "attempt %d of run %s has the run's key: stable across retries", s.Attempt, s.RunID)
	}
}

// ResetWorkflow sends a notification (default key) and charges (business key).
func ResetWorkflow(ctx workflow.Context, o Order) (Receipt, error) {
	if _, err := durable.Execute[Receipt](ctx, "Notify", o, chargeOptions()); err != nil {
		return Receipt{}, err
	}
	return durable.Execute[Receipt](ctx, "Charge", o, chargeOptions())
}

func TestResetRepeatsDefaultKeysButNotBusinessKeys(t *testing.T) {
	srv := durabletest.Server(t)
	ctx := testContext(t)
	store := idem.NewMemoryStore()
	pay, notify := newPayments(), newPayments()
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(ResetWorkflow)
		r.RegisterActivityWithOptions(idem.Wrap(store, notify.Charge), activity.RegisterOptions{Name: "Notify"})
		r.RegisterActivityWithOptions(idem.Wrap(store, pay.Charge, idem.WithKey(orderKey)), activity.RegisterOptions{Name: "Charge"})
	})
	c := srv.Client()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, ResetWorkflow, Order{ID: "order-10"})
	require.NoError(t, err)
	var first Receipt
	require.NoError(t, run.Get(ctx, &first))

	// Reset to the end of the first workflow task: both activities run again.
	var resetTo int64
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() && resetTo == 0 {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			resetTo = ev.GetEventId()
		}
	}
	require.NotZero(t, resetTo)
	resp, err := c.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace:                 srv.Namespace(),
		WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: run.GetID(), RunId: run.GetRunID()},
		Reason:                    "idem test",
		WorkflowTaskFinishEventId: resetTo,
		RequestId:                 uuid.NewString(),
	})
	require.NoError(t, err)
	var second Receipt
	require.NoError(t, c.GetWorkflow(ctx, run.GetID(), resp.GetRunId()).Get(ctx, &second))

	assert.Equal(t, 2, notify.Count(), "a reset gives the default key a new run ID: the notification is sent again")
	assert.Equal(t, 1, pay.Count(), "the business key survives the reset: no second charge")
	assert.Equal(t, first, second, "the reset run got the recorded charge")
}
