package idemtest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/idem"
)

// Wrap cases: the guarantees as an activity author sees them.

type call struct{ ID string }

func counting(calls *atomic.Int32) func(context.Context, call) (string, error) {
	return func(ctx context.Context, in call) (string, error) {
		calls.Add(1)
		key, _ := idem.KeyFrom(ctx)
		return "done " + in.ID + " as " + key, nil
	}
}

func byID(_ context.Context, in call) (string, error) { return "order:" + in.ID, nil }

func wrapOpts(extra ...idem.Option) []idem.Option {
	return append([]idem.Option{idem.WithKey(byID), idem.WithLease(lease), idem.WithTTL(ttl)}, extra...)
}

var wrapCases = []testCase{
	{"SixteenCallersRunTheBodyOnce", func(t *testing.T, f *fixture) {
		const n = 16
		var calls atomic.Int32
		release := make(chan struct{})
		unblock := sync.OnceFunc(func() { close(release) })
		t.Cleanup(unblock) // also when an assertion stops the test early
		fn := idem.Wrap(f.store, func(ctx context.Context, in call) (string, error) {
			<-release
			return counting(&calls)(ctx, in)
		}, wrapOpts()...)
		type result struct {
			out string
			err error
		}
		results := make(chan result, n)
		for range n {
			go func() {
				out, err := fn(f.ctx, call{ID: "1"})
				results <- result{out, err}
			}()
		}
		for range n - 1 {
			r := <-results
			require.Error(t, r.err)
			assert.True(t, idem.IsInProgress(r.err), "the losers are told the key is in progress: %v", r.err)
		}
		unblock()
		r := <-results
		require.NoError(t, r.err)
		assert.Equal(t, "done 1 as order:1", r.out)
		again, err := fn(f.ctx, call{ID: "1"})
		require.NoError(t, err)
		assert.Equal(t, r.out, again, "later calls get the recorded result")
		assert.Equal(t, int32(1), calls.Load())
	}},
	{"CrashedOwnerIsTakenOverAfterItsLease", func(t *testing.T, f *fixture) {
		var calls atomic.Int32
		fn := idem.Wrap(f.store, counting(&calls), wrapOpts()...)
		fp, err := idem.Fingerprint(call{ID: "1"})
		require.NoError(t, err)
		// A worker claimed the key and died mid-call.
		_, err = f.store.Claim(f.ctx, idem.ClaimRequest{Key: "order:1", Fingerprint: fp, Owner: "crashed", Lease: lease, TTL: ttl})
		require.NoError(t, err)

		f.clock.Advance(lease / 4)
		_, err = fn(f.ctx, call{ID: "1"})
		require.True(t, idem.IsInProgress(err), "the claim is live: %v", err)
		var ae *temporal.ApplicationError
		require.ErrorAs(t, err, &ae)
		assert.False(t, ae.NonRetryable())
		assert.InDelta(t, (lease * 3 / 4).Seconds(), ae.NextRetryDelay().Seconds(), 0.01, "retry when the lease ends")
		assert.Zero(t, calls.Load())

		f.clock.Advance(lease)
		out, err := fn(f.ctx, call{ID: "1"})
		require.NoError(t, err)
		assert.Equal(t, "done 1 as order:1", out)
		out, err = fn(f.ctx, call{ID: "1"})
		require.NoError(t, err)
		assert.Equal(t, "done 1 as order:1", out)
		assert.Equal(t, int32(1), calls.Load(), "run once by the taker, then recorded")
	}},
	{"ReconcileSettlesATakeover", func(t *testing.T, f *fixture) {
		var calls, lookups atomic.Int32
		lookup := func(ctx context.Context, key string, in call) (string, bool, error) {
			lookups.Add(1)
			k, _ := idem.KeyFrom(ctx)
			return "found " + in.ID + " by " + k, key == "order:1", nil
		}
		fn := idem.Wrap(f.store, counting(&calls), wrapOpts(idem.WithReconcile(lookup))...)
		for _, id := range []string{"1", "2"} {
			fp, err := idem.Fingerprint(call{ID: id})
			require.NoError(t, err)
			_, err = f.store.Claim(f.ctx, idem.ClaimRequest{Key: "order:" + id, Fingerprint: fp, Owner: "crashed", Lease: lease, TTL: ttl})
			require.NoError(t, err)
		}
		f.clock.Advance(lease)
		out, err := fn(f.ctx, call{ID: "1"})
		require.NoError(t, err)
		assert.Equal(t, "found 1 by order:1", out, "the outside system had it")
		out, err = fn(f.ctx, call{ID: "2"})
		require.NoError(t, err)
		assert.Equal(t, "done 2 as order:2", out, "the outside system did not: the body runs")
		out, err = fn(f.ctx, call{ID: "1"})
		require.NoError(t, err)
		assert.Equal(t, "found 1 by order:1", out, "the reconciled result is recorded")
		assert.Equal(t, int32(1), calls.Load())
		assert.Equal(t, int32(2), lookups.Load())
	}},
	{"KeyReuseIsRefused", func(t *testing.T, f *fixture) {
		var calls atomic.Int32
		fn := idem.Wrap(f.store, counting(&calls),
			idem.WithKey(func(context.Context, call) (string, error) { return "charge:same", nil }))
		_, err := fn(f.ctx, call{ID: "1"})
		require.NoError(t, err)
		_, err = fn(f.ctx, call{ID: "2"})
		require.Error(t, err)
		assert.True(t, idem.IsKeyReused(err), "%v", err)
		var ae *temporal.ApplicationError
		require.ErrorAs(t, err, &ae)
		assert.True(t, ae.NonRetryable())
		assert.Equal(t, int32(1), calls.Load())
	}},
	{"TTLExpiry", func(t *testing.T, f *fixture) {
		var calls atomic.Int32
		fn := idem.Wrap(f.store, counting(&calls), wrapOpts()...)
		for range 2 {
			_, err := fn(f.ctx, call{ID: "1"})
			require.NoError(t, err)
		}
		assert.Equal(t, int32(1), calls.Load())
		f.clock.Advance(ttl)
		_, err := fn(f.ctx, call{ID: "1"})
		require.NoError(t, err)
		assert.Equal(t, int32(2), calls.Load(), "after the TTL the body runs again")
	}},
	{"NonRetryableFailureIsRecorded", func(t *testing.T, f *fixture) {
		var calls atomic.Int32
		fn := idem.Wrap(f.store, func(context.Context, call) (string, error) {
			calls.Add(1)
			return "", temporal.NewNonRetryableApplicationError("card declined", "payments.Declined", nil)
		}, wrapOpts()...)
		for range 2 {
			_, err := fn(f.ctx, call{ID: "1"})
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "payments.Declined", ae.Type())
			assert.Equal(t, "card declined", ae.Message())
			assert.True(t, ae.NonRetryable())
		}
		assert.Equal(t, int32(1), calls.Load())
	}},
	{"RetryableFailureReleasesTheClaim", func(t *testing.T, f *fixture) {
		var calls atomic.Int32
		fn := idem.Wrap(f.store, func(context.Context, call) (string, error) {
			if calls.Add(1) == 1 {
				return "", errors.New("connection reset")
			}
			return "ok", nil
		}, wrapOpts()...)
		_, err := fn(f.ctx, call{ID: "1"})
		require.Error(t, err)
		for range 2 {
			out, err := fn(f.ctx, call{ID: "1"})
			require.NoError(t, err)
			assert.Equal(t, "ok", out)
		}
		assert.Equal(t, int32(2), calls.Load(), "the failed attempt is retried at once, the success recorded")
	}},
}
