package idemtest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

// leaseCases check renewal, expiry once renewals stop, fencing of a stale
// holder and pending data at the store level.
var leaseCases = []testCase{
	{"RenewExtendsTheLease", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		for range 3 {
			f.clock.Advance(lease - time.Second)
			require.NoError(t, f.store.Renew(f.ctx, "k", "a", lease, ttl))
		}
		f.clock.Advance(lease - time.Second) // four leases after the claim
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimBusy, c.Status, "renewed, so still held")
		assert.Equal(t, "a", c.Record.Owner)
		assert.InDelta(t, time.Second.Seconds(), c.Remaining().Seconds(), 0.01, "the lease runs from the last renewal")
	}},
	{"LeaseEndsOneLeaseAfterTheLastRenewal", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		f.clock.Advance(lease / 2)
		require.NoError(t, f.store.Renew(f.ctx, "k", "a", lease, ttl))
		// The holder dies: no more renewals.
		f.clock.Advance(lease - time.Millisecond)
		assert.Equal(t, idem.ClaimBusy, f.claim("k", "b", fpA).Status)
		f.clock.Advance(time.Millisecond)
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimTakenOver, c.Status, "taken over exactly one lease after the last renewal")
		assert.Equal(t, "a", c.PreviousOwner)
	}},
	{"RenewalsOutliveTheTTL", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		for range 5 { // 2.5 TTLs
			f.clock.Advance(ttl / 2)
			require.NoError(t, f.store.Renew(f.ctx, "k", "a", lease, ttl))
		}
		assert.Equal(t, idem.ClaimMismatch, f.claim("k", "b", fpB).Status, "a renewed claim is never forgotten")
		f.clock.Advance(lease)
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimTakenOver, c.Status, "once renewals stop, it is taken over, not forgotten")
		assert.Equal(t, "a", c.PreviousOwner)
	}},
	{"RenewAfterTheLeaseEndedKeepsAnUntakenKey", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		f.clock.Advance(2 * lease)
		require.NoError(t, f.store.Renew(f.ctx, "k", "a", lease, ttl), "nobody took it over")
		c := f.claim("k", "b", fpA)
		assert.Equal(t, idem.ClaimBusy, c.Status)
		assert.InDelta(t, lease.Seconds(), c.Remaining().Seconds(), 0.01)
	}},
	{"OnlyTheHolderRenewsOrSetsPending", func(t *testing.T, f *fixture) {
		doc := []byte(`{"id":"x"}`)
		require.ErrorIs(t, f.store.Renew(f.ctx, "missing", "a", lease, ttl), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.SetPending(f.ctx, "missing", "a", doc), idem.ErrNotOwner)
		f.claim("k", "a", fpA)
		require.ErrorIs(t, f.store.Renew(f.ctx, "k", "b", lease, ttl), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.SetPending(f.ctx, "k", "b", doc), idem.ErrNotOwner)
		assert.Empty(t, f.claim("k", "b", fpA).Record.Pending, "refused calls change nothing")
		require.NoError(t, f.store.Complete(f.ctx, "k", "a", []byte(`{"result":1}`), ttl))
		require.ErrorIs(t, f.store.Renew(f.ctx, "k", "a", lease, ttl), idem.ErrNotOwner, "a completed record is final")
		require.ErrorIs(t, f.store.SetPending(f.ctx, "k", "a", doc), idem.ErrNotOwner)
		_, err := f.store.Claim(f.ctx, request("j", "a", fpA))
		require.NoError(t, err)
		require.Error(t, f.store.Renew(f.ctx, "j", "a", 0, ttl), "a renewal needs a lease")
	}},
	{"StaleHolderIsFenced", func(t *testing.T, f *fixture) {
		f.claim("k", "a", fpA)
		require.NoError(t, f.store.SetPending(f.ctx, "k", "a", []byte(`{"id":"a"}`)))
		f.clock.Advance(lease) // a stops renewing (a long pause, a partition)
		c := f.claim("k", "b", fpA)
		require.Equal(t, idem.ClaimTakenOver, c.Status)
		require.NoError(t, f.store.SetPending(f.ctx, "k", "b", []byte(`{"id":"b"}`)))

		// a wakes up and writes as if it still held the key: every write is refused.
		require.ErrorIs(t, f.store.Renew(f.ctx, "k", "a", lease, ttl), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.SetPending(f.ctx, "k", "a", []byte(`{"id":"stale"}`)), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Complete(f.ctx, "k", "a", []byte(`{"result":"stale"}`), ttl), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Abandon(f.ctx, "k", "a"), idem.ErrNotOwner)
		require.ErrorIs(t, f.store.Release(f.ctx, "k", "a"), idem.ErrNotOwner)

		c = f.claim("k", "c", fpA)
		assert.Equal(t, idem.ClaimBusy, c.Status, "b's lease is untouched")
		assert.Equal(t, "b", c.Record.Owner)
		assert.InDelta(t, lease.Seconds(), c.Remaining().Seconds(), 0.01)
		assert.JSONEq(t, `{"id":"b"}`, string(c.Record.Pending))
		require.NoError(t, f.store.Complete(f.ctx, "k", "b", []byte(`{"result":"b"}`), ttl))
		c = f.claim("k", "c", fpA)
		assert.Equal(t, idem.ClaimDone, c.Status)
		assert.JSONEq(t, `{"result":"b"}`, string(c.Record.Outcome))
	}},
	{"RenewRacesATakeover", func(t *testing.T, f *fixture) {
		f.claim("race", "holder", fpA)
		f.clock.Advance(lease) // ended: the holder's renewal and 8 takers race
		const n = 8
		var (
			wg       sync.WaitGroup
			renewErr error
			statuses = make([]idem.ClaimStatus, n)
			errs     = make([]error, n)
			start    = make(chan struct{})
		)
		wg.Go(func() { <-start; renewErr = f.store.Renew(f.ctx, "race", "holder", lease, ttl) })
		for i := range n {
			wg.Go(func() {
				<-start
				c, err := f.store.Claim(f.ctx, request("race", fmt.Sprintf("taker-%d", i), fpA))
				statuses[i], errs[i] = c.Status, err
			})
		}
		close(start)
		wg.Wait()
		takeovers := 0
		for i := range n {
			require.NoError(t, errs[i])
			if statuses[i] == idem.ClaimTakenOver {
				takeovers++
			} else {
				assert.Equal(t, idem.ClaimBusy, statuses[i])
			}
		}
		if renewErr == nil {
			assert.Zero(t, takeovers, "the holder renewed first: every taker found it busy")
		} else {
			require.ErrorIs(t, renewErr, idem.ErrNotOwner)
			assert.Equal(t, 1, takeovers, "the renewal lost to exactly one taker")
		}
	}},
	{"PendingReachesEveryTakeover", func(t *testing.T, f *fixture) {
		const doc = `{"response_id":"resp_naïve 🚀","after":42}`
		f.claim("k", "a", fpA)
		require.NoError(t, f.store.SetPending(f.ctx, "k", "a", []byte(doc)))
		c := f.claim("k", "b", fpA)
		require.Equal(t, idem.ClaimBusy, c.Status)
		assert.JSONEq(t, doc, string(c.Record.Pending), "a busy claim shows its record")
		require.NoError(t, f.store.Renew(f.ctx, "k", "a", lease, ttl))
		f.clock.Advance(lease)
		c = f.claim("k", "b", fpA)
		require.Equal(t, idem.ClaimTakenOver, c.Status)
		assert.JSONEq(t, doc, string(c.Record.Pending), "renewals keep it, the taker receives it")

		require.NoError(t, f.store.SetPending(f.ctx, "k", "b", []byte(`{"response_id":"resp_2"}`)))
		require.NoError(t, f.store.Abandon(f.ctx, "k", "b"))
		c = f.claim("k", "c", fpA)
		require.Equal(t, idem.ClaimTakenOver, c.Status, "abandoned at once")
		assert.JSONEq(t, `{"response_id":"resp_2"}`, string(c.Record.Pending), "the latest replaces it and abandoning keeps it")

		require.NoError(t, f.store.SetPending(f.ctx, "k", "c", nil))
		require.NoError(t, f.store.Abandon(f.ctx, "k", "c"))
		c = f.claim("k", "d", fpA)
		require.Equal(t, idem.ClaimTakenOver, c.Status)
		assert.Empty(t, c.Record.Pending, "nil clears it")
	}},
	{"PendingEndsWithTheClaim", func(t *testing.T, f *fixture) {
		doc := []byte(`{"id":"x"}`)
		for _, end := range []struct {
			name   string
			finish func(key string)
			want   idem.ClaimStatus
		}{
			{"complete", func(k string) {
				require.NoError(t, f.store.Complete(f.ctx, k, "a", []byte(`{"result":1}`), ttl))
			}, idem.ClaimDone},
			{"release", func(k string) { require.NoError(t, f.store.Release(f.ctx, k, "a")) }, idem.ClaimNew},
			{"ttl", func(string) { f.clock.Advance(ttl) }, idem.ClaimNew},
		} {
			f.claim(end.name, "a", fpA)
			require.NoError(t, f.store.SetPending(f.ctx, end.name, "a", doc))
			end.finish(end.name)
			c := f.claim(end.name, "b", fpA)
			assert.Equal(t, end.want, c.Status, end.name)
			assert.Empty(t, c.Record.Pending, "after %s", end.name)
		}
	}},
}
