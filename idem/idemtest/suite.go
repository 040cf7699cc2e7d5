package idemtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/idem"
)

// NewStoreFunc returns a fresh, empty store for one test, built with opts
// (the suite passes [idem.WithClock]).
type NewStoreFunc func(t *testing.T, opts ...idem.StoreOption) idem.Store

const (
	lease = time.Minute
	ttl   = time.Hour
	fpA   = "fingerprint-a"
	fpB   = "fingerprint-b"
)

func request(key, owner, fp string) idem.ClaimRequest {
	return idem.ClaimRequest{Key: key, Fingerprint: fp, Owner: owner, Lease: lease, TTL: ttl}
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	clock *Clock
	store idem.Store
}

func (f *fixture) claim(key, owner, fp string) idem.Claim {
	f.t.Helper()
	c, err := f.store.Claim(f.ctx, request(key, owner, fp))
	require.NoError(f.t, err, "claim %q as %s", key, owner)
	return c
}

// RunStoreTests runs the conformance suite of the [idem.Store] contract
// against the stores that newStore returns, each test on a fresh store: claim
// states and their transitions, ownership checks, lease takeover, TTL
// expiry, key reuse, concurrency (16 claimers, one winner), purging when the
// store is an [idem.Purger], and the same guarantees seen through
// [idem.Wrap].
func RunStoreTests(t *testing.T, newStore NewStoreFunc) {
	setup := func(t *testing.T) *fixture {
		clock := NewClock(time.Time{})
		return &fixture{t: t, ctx: context.Background(), clock: clock, store: newStore(t, idem.WithClock(clock.Now))}
	}
	for _, tc := range storeCases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, setup(t)) })
	}
	for _, tc := range wrapCases {
		t.Run("Wrap/"+tc.name, func(t *testing.T) { tc.run(t, setup(t)) })
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}

var storeCases = []testCase{
	{"NewKeyIsClaimed", func(t *testing.T, f *fixture) {
		now := f.clock.Now()
		c := f.claim("k", "a", fpA)
		assert.Equal(t, idem.ClaimNew, c.Status)
		assert.Equal(t, "k", c.Record.Key)
		assert.Equal(t, "a", c.Record.Owner)
		assert.Equal(t, fpA, c.Record.Fingerprint)
		assert.Equal(t, idem.StateClaimed, c.Record.State)
		assert.WithinDuration(t, now, c.Now, time.Millisecond)
		assert.WithinDuration(t, now.Add(lease), c.Record.LeaseUntil, time.Millisecond)
		assert.WithinDuration(t, now.Add(ttl), c.Record.ExpiresAt, time.Millisecond)
		assert.Empty(t, c.PreviousOwner)
	}},
	{"LiveClaimIsBusy", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimBusy, c.Status)
		assert.Equal(t, "a", c.Record.Owner, "the holder is reported")
		assert.InDelta(t, lease.Seconds(), c.Remaining().Seconds(), 0.01)
		f.clock.Advance(20 * time.Second)
		c = f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimBusy, c.Status)
		assert.InDelta(t, (lease - 20*time.Second).Seconds(), c.Remaining().Seconds(), 0.01, "remaining lease follows the clock")
	}},
	{"CompletedOutcomeIsReturned", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		f.clock.Advance(time.Second)
		require.NoError(t, f.store.Complete(f.ctx, "k", "a", []byte(`{"result":{"n":42}}`), ttl))
		for _, owner := range []string{"b", "c"} {
			c := f.claim("k", owner, fpA)
			assert.Equal(t, idem.ClaimDone, c.Status)
			assert.Equal(t, idem.StateCompleted, c.Record.State)
			assert.JSONEq(t, `{"result":{"n":42}}`, string(c.Record.Outcome))
			assert.Zero(t, c.Remaining())
			assert.WithinDuration(t, f.clock.Now().Add(ttl), c.Record.ExpiresAt, time.Millisecond,
				"the TTL restarts at completion")
		}
	}},
	{"OutcomeKeepsEveryCharacter", func(t *testing.T, f *fixture) {
		const doc = `{"result":"naïve \u0000 \"quoted\" \\ 🚀 \u2028"}`
		f.claim("k", "a", fpA)
		require.NoError(t, f.store.Complete(f.ctx, "k", "a", []byte(doc), ttl))
		c := f.claim("k", "b", fpA)
		require.Equal(t, idem.ClaimDone, c.Status)
		assert.JSONEq(t, doc, string(c.Record.Outcome))
	}},
	{"DifferentInputIsRefused", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		c := f.claim("k", "b", fpB)
		assert.Equal(t, idem.ClaimMismatch, c.Status)
		assert.Equal(t, fpA, c.Record.Fingerprint)
		require.NoError(t, f.store.Complete(f.ctx, "k", "a", []byte(`{"result":1}`), ttl), "a refused claim changes nothing")
		assert.Equal(t, idem.ClaimMismatch, f.claim("k", "b", fpB).Status, "also once completed")
		assert.Equal(t, idem.ClaimDone, f.claim("k", "b", fpA).Status)
	}},
	{"ExpiredLeaseIsTakenOver", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		f.clock.Advance(lease + time.Second)
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimTakenOver, c.Status)
		assert.Equal(t, "a", c.PreviousOwner)
		assert.Equal(t, "b", c.Record.Owner)
		assert.WithinDuration(t, f.clock.Now().Add(lease), c.Record.LeaseUntil, time.Millisecond, "a fresh lease")
		assert.Equal(t, idem.ClaimBusy, f.claim("k", "c", fpA).Status, "the new owner holds it")
		require.ErrorIs(t, f.store.Complete(f.ctx, "k", "a", []byte(`{"result":"late"}`), ttl), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Release(f.ctx, "k", "a"), idem.ErrNotOwner)
		require.NoError(t, f.store.Complete(f.ctx, "k", "b", []byte(`{"result":"b"}`), ttl))
		c = f.claim("k", "c", fpA)
		assert.Equal(t, idem.ClaimDone, c.Status)
		assert.JSONEq(t, `{"result":"b"}`, string(c.Record.Outcome))
	}},
	{"LeaseEndsExactlyAtItsEnd", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		f.clock.Advance(lease - time.Millisecond)
		assert.Equal(t, idem.ClaimBusy, f.claim("k", "b", fpA).Status)
		f.clock.Advance(time.Millisecond)
		assert.Equal(t, idem.ClaimTakenOver, f.claim("k", "b", fpA).Status)
	}},
	{"ExpiredLeaseWithOtherInputIsRefused", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		f.clock.Advance(lease + time.Second)
		assert.Equal(t, idem.ClaimMismatch, f.claim("k", "b", fpB).Status)
	}},
	{"TTLExpiry", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		require.NoError(t, f.store.Complete(f.ctx, "k", "a", []byte(`{"result":1}`), ttl))
		f.clock.Advance(ttl - time.Second)
		assert.Equal(t, idem.ClaimDone, f.claim("k", "b", fpA).Status, "still within the TTL")
		f.clock.Advance(time.Second)
		c := f.claim("k", "b", fpB)
		assert.Equal(t, idem.ClaimNew, c.Status, "after the TTL the key is free, even for another input")
		assert.Empty(t, c.PreviousOwner)
		assert.Empty(t, c.Record.Outcome)
	}},
	{"ClaimExpiresAfterTTL", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		f.clock.Advance(ttl)
		c := f.claim("k", "b", fpB)
		assert.Equal(t, idem.ClaimNew, c.Status, "a crashed claim is forgotten after the TTL")
		assert.Empty(t, c.PreviousOwner)
	}},
	{"AbandonedClaimIsTakenOverAtOnce", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		require.NoError(t, f.store.Abandon(f.ctx, "k", "a"))
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimTakenOver, c.Status)
		assert.Equal(t, "a", c.PreviousOwner)
	}},
	{"ReleasedClaimStartsAfresh", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		require.NoError(t, f.store.Release(f.ctx, "k", "a"))
		require.ErrorIs(t, f.store.Release(f.ctx, "k", "a"), idem.ErrNotOwner, "released twice")
		c := f.claim("k", "b", fpB)
		assert.Equal(t, idem.ClaimNew, c.Status, "a released key is free, even for another input")
		assert.Empty(t, c.PreviousOwner)
	}},
	{"OnlyTheOwnerMayFinish", func(t *testing.T, f *fixture) {
		out := []byte(`{"result":1}`)
		require.ErrorIs(t, f.store.Complete(f.ctx, "missing", "a", out, ttl), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Release(f.ctx, "missing", "a"), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Abandon(f.ctx, "missing", "a"), idem.ErrNotOwner)
		f.claim("k", "a", fpA)
		require.ErrorIs(t, f.store.Complete(f.ctx, "k", "b", out, ttl), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Release(f.ctx, "k", "b"), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Abandon(f.ctx, "k", "b"), idem.ErrNotOwner)
		assert.Equal(t, idem.ClaimBusy, f.claim("k", "b", fpA).Status, "refused calls change nothing")
		require.NoError(t, f.store.Complete(f.ctx, "k", "a", out, ttl))
		require.ErrorIs(t, f.store.Complete(f.ctx, "k", "a", []byte(`{"result":2}`), ttl), idem.ErrNotOwner, "a completed record is final")
		require.ErrorIs(t, f.store.Release(f.ctx, "k", "a"), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Abandon(f.ctx, "k", "a"), idem.ErrNotOwner)
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimDone, c.Status)
		assert.JSONEq(t, string(out), string(c.Record.Outcome))
	}},
	{"KeysAreIndependent", func(t *testing.T, f *fixture) {
		keys := []string{"a/b", "a_b", "A/B", "../etc/passwd", "charge:order-123", "ключ 🔑", strings.Repeat("long", 500)}
		for i, k := range keys {
			c := f.claim(k, "a", fpA)
			require.Equal(t, idem.ClaimNew, c.Status, "key %q", k)
			assert.Equal(t, k, c.Record.Key)
			require.NoError(t, f.store.Complete(f.ctx, k, "a", fmt.Appendf(nil, `{"result":%d}`, i), ttl))
		}
		for i, k := range keys {
			c := f.claim(k, "b", fpA)
			require.Equal(t, idem.ClaimDone, c.Status, "key %q", k)
			assert.JSONEq(t, fmt.Sprintf(`{"result":%d}`, i), string(c.Record.Outcome), "key %q", k)
		}
	}},
	{"InvalidRequestsAreRejected", func(t *testing.T, f *fixture) {
		for name, req := range map[string]idem.ClaimRequest{
			"empty key":   {Fingerprint: fpA, Owner: "a", Lease: lease, TTL: ttl},
			"empty owner": {Key: "k", Fingerprint: fpA, Lease: lease, TTL: ttl},
			"no lease":    {Key: "k", Fingerprint: fpA, Owner: "a", TTL: ttl},
			"no ttl":      {Key: "k", Fingerprint: fpA, Owner: "a", Lease: lease},
		} {
			_, err := f.store.Claim(f.ctx, req)
			assert.Error(t, err, name)
		}
		assert.Equal(t, idem.ClaimNew, f.claim("k", "a", fpA).Status, "rejected requests wrote nothing")
	}},
	{"CancelledContextIsAnError", func(t *testing.T, f *fixture) {
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		_, err := f.store.Claim(ctx, request("k", "a", fpA))
		require.Error(t, err)
		assert.Equal(t, idem.ClaimNew, f.claim("k", "a", fpA).Status)
	}},
	{"SixteenClaimersOneWinner", func(t *testing.T, f *fixture) {
		const n = 16
		statuses := make([]idem.ClaimStatus, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				c, err := f.store.Claim(f.ctx, request("race", fmt.Sprintf("owner-%d", i), fpA))
				statuses[i], errs[i] = c.Status, err
			})
		}
		close(start)
		wg.Wait()
		count := map[idem.ClaimStatus]int{}
		for i := range n {
			require.NoError(t, errs[i])
			count[statuses[i]]++
		}
		assert.Equal(t, map[idem.ClaimStatus]int{idem.ClaimNew: 1, idem.ClaimBusy: n - 1}, count)
	}},
	{"PurgeDeletesExpiredRecords", func(t *testing.T, f *fixture) {
		p, ok := f.store.(idem.Purger)
		if !ok {
			t.Skip("store is not an idem.Purger")
		}
		f.claim("done", "a", fpA)
		require.NoError(t, f.store.Complete(f.ctx, "done", "a", []byte(`{"result":1}`), ttl))
		f.claim("crashed", "a", fpA)
		f.clock.Advance(ttl - time.Minute)
		f.claim("live", "a", fpA)
		f.clock.Advance(time.Minute)
		n, err := p.Purge(f.ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, n, "the completed and the crashed record are past their TTL")
		assert.Equal(t, idem.ClaimTakenOver, f.claim("live", "b", fpA).Status, "the live record is kept")
		n, err = p.Purge(f.ctx)
		require.NoError(t, err)
		assert.Zero(t, n)
	}},
}

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
