package idem_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/idem"
)

// renewals counts the renewals of a store and signals each.
type renewals struct {
	idem.Store
	mu sync.Mutex
	n  int
	ch chan struct{}
}

func newRenewals(s idem.Store) *renewals { return &renewals{Store: s, ch: make(chan struct{}, 100)} }

func (r *renewals) Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error {
	err := r.Store.Renew(ctx, key, owner, lease, ttl)
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
	return err
}

// HeartbeatWorkflow runs "Slow" with a short heartbeat timeout and no retries.
func HeartbeatWorkflow(ctx workflow.Context) (string, error) {
	return durable.Execute[string](ctx, "Slow", "x", workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    300 * time.Millisecond,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// A body that does not heartbeat itself outlives its HeartbeatTimeout:
// Wrap renews the lease and heartbeats, repeating the body's last details.
func TestWrapHeartbeatsWithTheBodysDetails(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := newRenewals(idem.NewMemoryStore())
	var (
		mu      sync.Mutex
		details []string
	)
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		var p string
		if d.HasValues() {
			_ = d.Get(&p)
		}
		mu.Lock()
		details = append(details, p)
		mu.Unlock()
	})
	env.RegisterWorkflow(HeartbeatWorkflow)
	env.RegisterActivityWithOptions(idem.Wrap(store, func(ctx context.Context, _ string) (string, error) {
		idem.Heartbeat(ctx, "progress-1")
		for range 6 { // two heartbeat timeouts at one renewal per 100 ms
			select {
			case <-store.ch:
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		return "done", nil
	}), activity.RegisterOptions{Name: "Slow"})

	env.ExecuteWorkflow(HeartbeatWorkflow)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "the attempt was kept alive past its heartbeat timeout")
	var got string
	require.NoError(t, env.GetWorkflowResult(&got))
	assert.Equal(t, "done", got)

	mu.Lock()
	defer mu.Unlock()
	require.GreaterOrEqual(t, len(details), 2, "the body's heartbeat and Wrap's")
	for i, d := range details {
		assert.Equal(t, "progress-1", d, "heartbeat %d carries the body's details", i)
	}
}

// RetryWorkflow runs "Charge" with retries.
func RetryWorkflow(ctx workflow.Context, o Order) (Receipt, error) {
	return durable.Execute[Receipt](ctx, "Charge", o, chargeOptions())
}

// A claim lost with its host (a FileStore claim is not fsynced) leaves no
// record: the retry reconciles because it is a retry, and finds the charge.
func TestRetryAfterALostClaimReconciles(t *testing.T) {
	dir := t.TempDir()
	store, err := idem.NewFileStore(dir)
	require.NoError(t, err)
	pay := newPayments()
	var lookups int
	charge := func(ctx context.Context, o Order) (Receipt, error) {
		r, err := pay.Charge(ctx, o)
		if activity.GetInfo(ctx).Attempt == 1 {
			// The host dies now: the unsynced claim is lost with it.
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			for _, f := range files {
				require.NoError(t, os.Remove(f))
			}
			return Receipt{}, temporal.NewApplicationError("host lost", "test.Crash")
		}
		return r, err
	}
	lookup := func(ctx context.Context, key string, o Order) (Receipt, bool, error) {
		lookups++
		return pay.Lookup(ctx, key, o)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(RetryWorkflow)
	env.RegisterActivityWithOptions(idem.Wrap(store, charge, idem.WithKey(orderKey), idem.WithReconcile(lookup)),
		activity.RegisterOptions{Name: "Charge"})
	env.ExecuteWorkflow(RetryWorkflow, Order{ID: "order-5", Cents: 100})
	require.NoError(t, env.GetWorkflowError())
	var got Receipt
	require.NoError(t, env.GetWorkflowResult(&got))
	assert.Equal(t, 1, pay.Count(), "charged once")
	assert.Equal(t, "ch_1_order-5", got.ChargeID, "the retry found the first charge")
	assert.Equal(t, 1, lookups)
}

// Outside the dev server: a busy claim with less than two thirds of a lease
// left has missed a renewal, so the call waits for the rest and takes it
// over; one with more left is reported in progress at once.
func TestBusyClaimIsWaitedOutOnlyWhenItMissedARenewal(t *testing.T) {
	const lease = 3 * time.Second
	for _, tc := range []struct {
		name       string
		otherLease time.Duration
		takenOver  bool
	}{
		{"missed a renewal", lease / 5, true},
		{"renewed", lease, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := idem.NewMemoryStore()
			fp, err := idem.Fingerprint(Order{ID: "o"})
			require.NoError(t, err)
			_, err = store.Claim(ctx, idem.ClaimRequest{Key: "charge:o", Fingerprint: fp, Owner: "other", Lease: tc.otherLease, TTL: time.Hour})
			require.NoError(t, err)
			pay := newPayments()
			_, err = idem.Wrap(store, pay.Charge, idem.WithKey(orderKey), idem.WithLease(lease))(ctx, Order{ID: "o"})
			if tc.takenOver {
				require.NoError(t, err)
				assert.Equal(t, 1, pay.Count())
			} else {
				assert.True(t, idem.IsInProgress(err), "%v", err)
				assert.Zero(t, pay.Count())
			}
		})
	}
}
