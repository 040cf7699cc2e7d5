package idemtest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
// store is an [idem.Purger]; lease renewal, expiry once renewals stop,
// fencing of a stale holder and pending data; and the same guarantees seen
// through [idem.Wrap], including a live holder kept by its renewals, a body
// cancelled when its lease is lost, and a takeover resuming from pending
// data.
func RunStoreTests(t *testing.T, newStore NewStoreFunc) {
	setup := func(t *testing.T) *fixture {
		clock := NewClock(time.Time{})
		return &fixture{t: t, ctx: context.Background(), clock: clock, store: newStore(t, idem.WithClock(clock.Now))}
	}
	for _, tc := range append(storeCases, leaseCases...) {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, setup(t)) })
	}
	for _, tc := range append(wrapCases, wrapLeaseCases...) {
		t.Run("Wrap/"+tc.name, func(t *testing.T) { tc.run(t, setup(t)) })
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}
