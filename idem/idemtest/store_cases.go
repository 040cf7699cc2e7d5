package idemtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

// storeCases check the claim states and their transitions.
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
