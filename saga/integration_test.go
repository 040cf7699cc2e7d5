package saga_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/saga"
)

// counters counts calls per key; safe for concurrent use.
type counters struct {
	mu sync.Mutex
	m  map[string]*atomic.Int64
}

func (c *counters) get(key string) *atomic.Int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*atomic.Int64{}
	}
	n, ok := c.m[key]
	if !ok {
		n = new(atomic.Int64)
		c.m[key] = n
	}
	return n
}

// exactlyOnce wraps a compensation activity: attempts counts every execution
// the worker starts, effects counts the side effects that really happen
// (behind idem, which records the outcome under the business key).
func exactlyOnce[In any](store idem.Store, attempts, effects *counters, name string, fn func(context.Context, In) (string, error), key func(In) string) func(context.Context, In) (string, error) {
	effect := func(ctx context.Context, in In) (string, error) {
		effects.get(name + ":" + key(in)).Add(1)
		return fn(ctx, in)
	}
	wrapped := idem.Wrap(store, effect, idem.WithKey(func(_ context.Context, in In) (string, error) {
		return name + ":" + key(in), nil
	}))
	return func(ctx context.Context, in In) (string, error) {
		attempts.get(name + ":" + key(in)).Add(1)
		return wrapped(ctx, in)
	}
}

// TestCrashDuringCompensation kills the worker right after the refund took
// effect and before the server heard of it. After a restart the server
// retries the refund; idem answers from its record, and every compensation
// has taken effect exactly once.
func TestCrashDuringCompensation(t *testing.T) {
	srv := durabletest.Server(t)
	for _, parallel := range []bool{false, true} {
		name := "sequential"
		if parallel {
			name = "parallel"
		}
		t.Run(name, func(t *testing.T) {
			sh := newShop()
			store := idem.NewMemoryStore() // outlives the worker, like a database
			var attempts, effects counters
			byOrder := func(o order) string { return o.ID }
			byText := func(s string) string { return s }
			cp := durabletest.NewCrashPoint(actRefund)
			w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
				r.RegisterWorkflow(orderWorkflow)
				sh.registerSteps(r)
				r.RegisterActivityWithOptions(exactlyOnce(store, &attempts, &effects, actRefund, sh.Refund, byOrder), activity.RegisterOptions{Name: actRefund})
				r.RegisterActivityWithOptions(exactlyOnce(store, &attempts, &effects, actRelease, sh.Release, byOrder), activity.RegisterOptions{Name: actRelease})
				r.RegisterActivityWithOptions(exactlyOnce(store, &attempts, &effects, actAudit, sh.Audit, byText), activity.RegisterOptions{Name: actAudit})
			}, worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp}})

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			c := srv.Client()
			o := order{ID: "crash-" + name, FailAt: "ship", Parallel: parallel, UndoTimeout: 3 * time.Second}
			id := "saga-crash-" + w.TaskQueue
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, orderWorkflow, o)
			require.NoError(t, err)

			select {
			case <-cp.Reached():
			case <-ctx.Done():
				require.FailNow(t, "the refund never ran")
			}
			require.Equal(t, int64(1), effects.get(actRefund+":"+o.ID).Load(), "the refund took effect before the crash")
			w.Kill()
			cp.Disarm()
			w.Restart()

			err = run.Get(ctx, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "saga: compensated")

			assert.GreaterOrEqual(t, attempts.get(actRefund+":"+o.ID).Load(), int64(2), "the server retried the refund after the crash")
			for _, key := range []string{actRefund + ":" + o.ID, actRelease + ":" + o.ID, actAudit + ":reopen " + o.ID} {
				assert.Equal(t, int64(1), effects.get(key).Load(), "%s took effect exactly once", key)
			}

			l, err := saga.ReadLedger(ctx, c, id, run.GetRunID())
			require.NoError(t, err)
			assert.Equal(t, saga.StateCompensated, l.State)
			assert.Equal(t, map[string]saga.Status{
				"open": saga.StatusSucceeded, "reserve": saga.StatusSucceeded, "charge": saga.StatusSucceeded, "ship": "",
			}, compStatus(l))
		})
	}
}
