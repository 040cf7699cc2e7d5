package idem_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
)

// Another worker claimed the key just before attempt 1 and never renews it.
// A claim that looks live (a full lease left) sends attempt 1 back with
// ErrTypeInProgress and NextRetryDelay set to the rest of the lease; one
// that has missed its renewals (less than two thirds of a lease left) is
// waited out inside attempt 1 and taken over.
func TestInProgressRetriesWhenTheLeaseEnds(t *testing.T) {
	const lease = 3 * time.Second
	for _, tc := range []struct {
		name        string
		otherLease  time.Duration
		wantAttempt int32
	}{
		{"live-looking claim: retried after its lease", lease, 2},
		{"claim that missed its renewals: waited out", lease / 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := durabletest.Server(t)
			ctx := testContext(t)
			pay := newPayments()
			store := idem.NewMemoryStore()
			wrapped := idem.Wrap(store, pay.Charge, idem.WithKey(orderKey), idem.WithLease(lease))
			var first error
			w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
				r.RegisterWorkflow(ChargeWorkflow)
				r.RegisterActivityWithOptions(func(ctx context.Context, o Order) (Receipt, error) {
					if activity.GetInfo(ctx).Attempt == 1 {
						fp, err := idem.Fingerprint(o)
						require.NoError(t, err)
						_, err = store.Claim(ctx, idem.ClaimRequest{Key: "charge:" + o.ID, Fingerprint: fp, Owner: "other-worker", Lease: tc.otherLease, TTL: time.Hour})
						require.NoError(t, err)
						out, err := wrapped(ctx, o)
						first = err
						return out, err
					}
					return wrapped(ctx, o)
				}, activity.RegisterOptions{Name: "Charge"})
			})
			run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, ChargeWorkflow, Order{ID: "order-9", Cents: 100})
			require.NoError(t, err)
			var got Receipt
			require.NoError(t, run.Get(ctx, &got))
			assert.Equal(t, 1, pay.Count())
			assert.Equal(t, tc.wantAttempt, lastAttempt(ctx, t, srv.Client(), run.GetID(), run.GetRunID()))
			if tc.wantAttempt == 2 {
				var ae *temporal.ApplicationError
				require.ErrorAs(t, first, &ae)
				assert.Equal(t, idem.ErrTypeInProgress, ae.Type())
				assert.InDelta(t, lease.Seconds(), ae.NextRetryDelay().Seconds(), 0.5,
					"NextRetryDelay (the rest of the lease) replaced the policy's 100 ms backoff: no retry storm")
			} else {
				assert.NoError(t, first, "attempt 1 waited out the lease and took the key over")
			}
		})
	}
}

// A live holder renews its lease, so retries that find it keep returning
// ErrTypeInProgress (each after the rest of the lease) and never take the
// key over; once the holder records its result, the next retry returns it.
func TestLiveHolderKeepsItsKeyAcrossRetries(t *testing.T) {
	srv := durabletest.Server(t)
	ctx := testContext(t)
	pay := newPayments()
	store := idem.NewMemoryStore()
	const lease = 3 * time.Second
	order := Order{ID: "order-11", Cents: 100}
	fp, err := idem.Fingerprint(order)
	require.NoError(t, err)
	c, err := store.Claim(ctx, idem.ClaimRequest{Key: "charge:order-11", Fingerprint: fp, Owner: "live-worker", Lease: lease, TTL: time.Hour})
	require.NoError(t, err)
	require.Equal(t, idem.ClaimNew, c.Status)

	// The live worker renews every third of its lease until two retries
	// have found its claim, then records its result.
	retries := make(chan struct{}, 10)
	holderDone := make(chan error, 1)
	go func() {
		tick := time.NewTicker(lease / 3)
		defer tick.Stop()
		seen := 0
		for seen < 2 {
			select {
			case <-tick.C:
				if err := store.Renew(ctx, "charge:order-11", "live-worker", lease, time.Hour); err != nil {
					holderDone <- err
					return
				}
			case <-retries:
				seen++
			}
		}
		holderDone <- store.Complete(ctx, "charge:order-11", "live-worker",
			[]byte(`{"result":{"ChargeID":"ch_live","Key":"charge:order-11"}}`), time.Hour)
	}()

	wrapped := idem.Wrap(store, pay.Charge, idem.WithKey(orderKey), idem.WithLease(lease))
	var inProgress int
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(ChargeWorkflow)
		r.RegisterActivityWithOptions(func(ctx context.Context, o Order) (Receipt, error) {
			out, err := wrapped(ctx, o)
			if idem.IsInProgress(err) {
				inProgress++
				retries <- struct{}{}
			}
			return out, err
		}, activity.RegisterOptions{Name: "Charge"})
	})
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, ChargeWorkflow, order)
	require.NoError(t, err)
	var got Receipt
	require.NoError(t, run.Get(ctx, &got))
	require.NoError(t, <-holderDone, "the live holder kept its key: every renewal and its completion succeeded")
	assert.Equal(t, Receipt{ChargeID: "ch_live", Key: "charge:order-11"}, got, "the holder's recorded result")
	assert.Zero(t, pay.Count(), "the body never ran")
	assert.GreaterOrEqual(t, inProgress, 2)
	assert.Equal(t, int32(inProgress+1), lastAttempt(ctx, t, srv.Client(), run.GetID(), run.GetRunID()))
}
