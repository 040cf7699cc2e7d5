package idem_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/idem"
)

// attempts records, per attempt, the key the wrapper used.
type attempts struct {
	mu   sync.Mutex
	keys []string
}

func (a *attempts) add(k string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = append(a.keys, k)
}

func (a *attempts) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.keys...)
}

// lossy registers "Charge" so that its first attempt loses its result after
// the wrapped body has run and recorded it, as a worker crash would.
func lossy(wrapped func(context.Context, Order) (Receipt, error), seen *attempts) func(context.Context, Order) (Receipt, error) {
	return func(ctx context.Context, o Order) (Receipt, error) {
		out, err := wrapped(ctx, o)
		info := activity.GetInfo(ctx)
		seen.add(info.WorkflowExecution.RunID + "/" + info.ActivityID)
		seen.add(idem.DefaultKey(ctx))
		if activity.GetInfo(ctx).Attempt == 1 {
			return Receipt{}, temporal.NewApplicationError("result lost", "test.Lost")
		}
		return out, err
	}
}

func TestRetriesReturnTheRecordedResult(t *testing.T) {
	for name, opts := range map[string][]idem.Option{
		"default key":  nil,
		"business key": {idem.WithKey(orderKey)},
	} {
		t.Run(name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			pay := newPayments()
			seen := &attempts{}
			env.RegisterWorkflow(ChargeWorkflow)
			env.RegisterActivityWithOptions(lossy(idem.Wrap(idem.NewMemoryStore(), pay.Charge, opts...), seen),
				activity.RegisterOptions{Name: "Charge"})

			env.ExecuteWorkflow(ChargeWorkflow, Order{ID: "order-1", Cents: 500})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var got Receipt
			require.NoError(t, env.GetWorkflowResult(&got))

			assert.Equal(t, 1, pay.Count(), "the body ran once")
			assert.Equal(t, "ch_1_order-1", got.ChargeID, "the retry returned the recorded result")
			keys := seen.all() // run ID/activity ID, then DefaultKey, per attempt
			require.Len(t, keys, 4, "two attempts")
			assert.Equal(t, keys[0], keys[1], "DefaultKey is <run ID>/<activity ID>")
			assert.Equal(t, keys[1], keys[3], "the default key is stable across retries")
			if opts == nil {
				assert.Equal(t, keys[0], got.Key, "the body saw the default key")
			} else {
				assert.Equal(t, "charge:order-1", got.Key, "the body saw the business key")
			}
		})
	}
}

// TwoChargesWorkflow charges the same order twice with different amounts.
func TwoChargesWorkflow(ctx workflow.Context, id string) (Receipt, error) {
	if _, err := durable.Execute[Receipt](ctx, "Charge", Order{ID: id, Cents: 100}, chargeOptions()); err != nil {
		return Receipt{}, err
	}
	return durable.Execute[Receipt](ctx, "Charge", Order{ID: id, Cents: 200}, chargeOptions())
}

func TestKeyReusedFailsTheWorkflowWithoutRetries(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	pay := newPayments()
	calls := 0
	env.RegisterWorkflow(TwoChargesWorkflow)
	wrapped := idem.Wrap(idem.NewMemoryStore(), pay.Charge, idem.WithKey(orderKey))
	env.RegisterActivityWithOptions(func(ctx context.Context, o Order) (Receipt, error) {
		calls++
		return wrapped(ctx, o)
	}, activity.RegisterOptions{Name: "Charge"})

	env.ExecuteWorkflow(TwoChargesWorkflow, "order-1")
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, idem.IsKeyReused(err), "the workflow sees the type through the ActivityError: %v", err)
	assert.Equal(t, 2, calls, "one attempt each: KeyReused is not retried")
	assert.Equal(t, 1, pay.Count())
}

func TestActivityEnvironmentKey(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	var inside string
	var dflt string
	fn := idem.Wrap(idem.NewMemoryStore(), func(ctx context.Context, o Order) (string, error) {
		inside, _ = idem.KeyFrom(ctx)
		dflt = idem.DefaultKey(ctx)
		return o.ID, nil
	})
	env.RegisterActivity(fn)
	_, err := env.ExecuteActivity(fn, Order{ID: "x"})
	require.NoError(t, err)
	assert.NotEmpty(t, inside)
	assert.Equal(t, dflt, inside, "without WithKey the key is DefaultKey")
}

func TestWrapOutsideAnActivityNeedsAKey(t *testing.T) {
	fn := idem.Wrap(idem.NewMemoryStore(), newPayments().Charge)
	_, err := fn(context.Background(), Order{ID: "x"})
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, idem.ErrTypeInvalid, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Empty(t, idem.DefaultKey(context.Background()))
}

func TestWrapPanicsOnMismatchedOptions(t *testing.T) {
	pay := newPayments()
	assert.PanicsWithValue(t,
		"idem: WithKey[string] given to Wrap of a function taking idem_test.Order",
		func() {
			idem.Wrap(idem.NewMemoryStore(), pay.Charge,
				idem.WithKey(func(_ context.Context, s string) (string, error) { return s, nil }))
		})
	assert.Panics(t, func() {
		idem.Wrap(idem.NewMemoryStore(), pay.Charge,
			idem.WithReconcile(func(context.Context, string, Order) (string, bool, error) { return "", false, nil }))
	})
	assert.Panics(t, func() { idem.Wrap[Order, Receipt](nil, pay.Charge) })
}

// KeysWorkflow runs "Key" as an activity and as a local activity.
func KeysWorkflow(ctx workflow.Context) ([]string, error) {
	remote, err := durable.Execute[string](ctx, "Key", "x", chargeOptions())
	if err != nil {
		return nil, err
	}
	local, err := durable.ExecuteLocal[string](ctx, "Key", "x", durable.Local("key"))
	if err != nil {
		return nil, err
	}
	return []string{remote, local}, nil
}

func TestDefaultKeyOfLocalActivities(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(KeysWorkflow)
	env.RegisterActivityWithOptions(idem.Wrap(idem.NewMemoryStore(), func(ctx context.Context, _ string) (string, error) {
		k, _ := idem.KeyFrom(ctx)
		return k, nil
	}), activity.RegisterOptions{Name: "Key"})
	env.ExecuteWorkflow(KeysWorkflow)
	require.NoError(t, env.GetWorkflowError())
	var keys []string
	require.NoError(t, env.GetWorkflowResult(&keys))
	require.Len(t, keys, 2)
	runID := strings.Split(keys[0], "/")[0]
	assert.Equal(t, runID+"/1", keys[0])
	// The SDK numbers local activities with their own counter (also from 1),
	// so they get their own key space.
	assert.True(t, strings.HasPrefix(keys[1], runID+"/local/"), keys[1])
}
