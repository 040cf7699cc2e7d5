package idemtest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

// renewLease is the lease of the renewal cases: Wrap renews every third of
// it in real time, while the store's lease follows the test clock.
const renewLease = 90 * time.Millisecond

// eventually is how long a case waits for the renewer, a goroutine on a
// shared machine.
const eventually = 10 * time.Second

type generation struct {
	ID string `json:"id"`
}

// result is what a wrapped call returned.
type result struct {
	out string
	err error
}

func goCall(fn func(context.Context, call) (string, error), ctx context.Context, in call) <-chan result {
	ch := make(chan result, 1)
	go func() {
		out, err := fn(ctx, in)
		ch <- result{out, err}
	}()
	return ch
}

func fingerprint(t *testing.T, in call) string {
	fp, err := idem.Fingerprint(in)
	require.NoError(t, err)
	return fp
}

var wrapLeaseCases = []testCase{
	{"RenewalsKeepALiveHolder", func(t *testing.T, f *fixture) {
		spy := newSpy(f)
		started, release := make(chan struct{}), make(chan struct{})
		fn := idem.Wrap(spy, func(ctx context.Context, in call) (string, error) {
			close(started)
			<-release
			return "done " + in.ID, nil
		}, idem.WithKey(byID), idem.WithLease(renewLease), idem.WithTTL(ttl))
		res := goCall(fn, f.ctx, call{ID: "1"})
		<-started
		for range 6 { // three leases on the store's clock
			f.clock.Advance(renewLease / 2)
			now := f.clock.Now()
			require.Eventually(t, func() bool { return spy.renewedSince(now) }, eventually, time.Millisecond,
				"Wrap renews the lease while the body runs")
		}
		c := f.claim("order:1", "intruder", fingerprint(t, call{ID: "1"}))
		assert.Equal(t, idem.ClaimBusy, c.Status, "three leases after the claim, the live holder keeps its key")
		assert.InDelta(t, renewLease.Seconds(), c.Remaining().Seconds(), 0.001)
		close(release)
		r := <-res
		require.NoError(t, r.err)
		assert.Equal(t, "done 1", r.out)
		assert.Equal(t, idem.ClaimDone, f.claim("order:1", "intruder", fingerprint(t, call{ID: "1"})).Status)
	}},
	{"LostLeaseCancelsTheBodyAndIsFenced", func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			name   string
			body   func(ctx context.Context) (string, error)
			assert func(t *testing.T, r result)
		}{
			{"body stops", func(ctx context.Context) (string, error) { return "", ctx.Err() },
				func(t *testing.T, r result) {
					assert.True(t, idem.IsLeaseLost(r.err), "a body cancelled by the loss reports it: %v", r.err)
				}},
			{"body ignores the cancellation", func(context.Context) (string, error) { return "late", nil },
				func(t *testing.T, r result) {
					require.NoError(t, r.err)
					assert.Equal(t, "late", r.out, "the result is returned; the store refused to record it")
				}},
		} {
			spy := newSpy(f)
			spy.gate = make(chan struct{}) // the holder's renewal is slow...
			key := "order:" + tc.name
			var cause error
			started := make(chan struct{})
			fn := idem.Wrap(spy, func(ctx context.Context, _ call) (string, error) {
				close(started)
				<-ctx.Done()
				cause = context.Cause(ctx)
				return tc.body(ctx)
			}, idem.WithKey(func(context.Context, call) (string, error) { return key, nil }),
				idem.WithLease(renewLease), idem.WithTTL(ttl))
			res := goCall(fn, f.ctx, call{ID: tc.name})
			<-started
			<-spy.entered
			f.clock.Advance(renewLease) // ...so its lease ends and another attempt takes over
			c := f.claim(key, "taker", fingerprint(t, call{ID: tc.name}))
			require.Equal(t, idem.ClaimTakenOver, c.Status, tc.name)
			close(spy.gate)

			r := <-res
			require.ErrorIs(t, cause, idem.ErrLeaseLost, tc.name)
			require.ErrorIs(t, cause, idem.ErrNotOwner, tc.name)
			tc.assert(t, r)
			c = f.claim(key, "other", fingerprint(t, call{ID: tc.name}))
			assert.Equal(t, idem.ClaimBusy, c.Status, "%s: the taker's claim is intact", tc.name)
			assert.Equal(t, "taker", c.Record.Owner, tc.name)
		}
	}},
	{"FailingRenewalsCancelTheBody", func(t *testing.T, f *fixture) {
		spy := newSpy(f)
		spy.fail = errors.New("store unreachable")
		var cause error
		fn := idem.Wrap(spy, func(ctx context.Context, _ call) (string, error) {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return "", ctx.Err()
		}, idem.WithKey(byID), idem.WithLease(renewLease), idem.WithTTL(ttl))
		_, err := fn(f.ctx, call{ID: "1"})
		assert.True(t, idem.IsLeaseLost(err), "%v", err)
		require.ErrorIs(t, cause, idem.ErrLeaseLost)
		assert.NotErrorIs(t, cause, idem.ErrNotOwner, "nobody took it over; the lease could have ended")
		assert.GreaterOrEqual(t, spy.count(), 1)
	}},
	{"PendingResumesTheNextAttempt", func(t *testing.T, f *fixture) {
		var created atomic.Int32
		fn := idem.Wrap(f.store, func(ctx context.Context, _ call) (string, error) {
			g, ok, err := idem.Pending[generation](ctx)
			if err != nil {
				return "", err
			}
			if ok { // resume instead of paying again
				return "resumed " + g.ID, nil
			}
			g.ID = fmt.Sprintf("gen_%d", created.Add(1))
			if err := idem.SetPending(ctx, g); err != nil {
				return "", err
			}
			if got, ok, err := idem.Pending[generation](ctx); !ok || err != nil || got != g {
				return "", fmt.Errorf("pending data not readable after SetPending: %v %v %v", got, ok, err)
			}
			return "", errors.New("connection reset while waiting for the generation")
		}, wrapOpts()...)
		_, err := fn(f.ctx, call{ID: "1"})
		require.EqualError(t, err, "connection reset while waiting for the generation")
		for range 2 {
			out, err := fn(f.ctx, call{ID: "1"})
			require.NoError(t, err)
			assert.Equal(t, "resumed gen_1", out)
		}
		assert.Equal(t, int32(1), created.Load(), "one generation bought")
	}},
	{"PendingOfACrashedHolderReachesTheTakeover", func(t *testing.T, f *fixture) {
		in := call{ID: "1"}
		_, err := f.store.Claim(f.ctx, idem.ClaimRequest{Key: "order:1", Fingerprint: fingerprint(t, in), Owner: "crashed", Lease: lease, TTL: ttl})
		require.NoError(t, err)
		require.NoError(t, f.store.SetPending(f.ctx, "order:1", "crashed", []byte(`{"id":"gen_9"}`)))
		f.clock.Advance(lease) // the crashed holder renews no more

		var seenByHook generation
		fn := idem.Wrap(f.store, func(ctx context.Context, _ call) (string, error) {
			g, ok, err := idem.Pending[generation](ctx)
			if !ok || err != nil {
				return "", fmt.Errorf("no pending data: %v", err)
			}
			return "resumed " + g.ID, nil
		}, wrapOpts(idem.WithReconcile(func(ctx context.Context, _ string, _ call) (string, bool, error) {
			g, _, err := idem.Pending[generation](ctx)
			seenByHook = g
			return "", false, err
		}))...)
		out, err := fn(f.ctx, in)
		require.NoError(t, err)
		assert.Equal(t, "resumed gen_9", out)
		assert.Equal(t, generation{ID: "gen_9"}, seenByHook, "the reconcile hook sees it too")
	}},
}
