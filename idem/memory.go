package idem

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// MemoryStore keeps records in a map. It is for tests and single-process
// programs: records are lost with the process, so it does not protect
// against a crashed worker whose retry lands in another process.
//
// It is safe for concurrent use. Use [NewMemoryStore]; expired records stay
// in memory until [MemoryStore.Purge] removes them.
type MemoryStore struct {
	cfg storeConfig
	mu  sync.Mutex
	m   map[string]*Record // changed in place under mu; Claim returns copies
}

// NewMemoryStore returns an empty MemoryStore. [WithClock] is the only
// option it uses.
func NewMemoryStore(opts ...StoreOption) *MemoryStore {
	return &MemoryStore{cfg: newStoreConfig(opts), m: make(map[string]*Record)}
}

var _ interface {
	Store
	Purger
} = (*MemoryStore)(nil)

// Claim implements [Store].
func (s *MemoryStore) Claim(ctx context.Context, req ClaimRequest) (Claim, error) {
	if err := ctx.Err(); err != nil {
		return Claim{}, err
	}
	if err := req.validate(); err != nil {
		return Claim{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decide(s.m[req.Key], req, s.cfg.now()), nil
}

// decide applies the claim rule to cur, the record under req.Key, at now,
// and keeps what it writes; s.mu is held.
func (s *MemoryStore) decide(cur *Record, req ClaimRequest, now time.Time) Claim {
	c, next := Decide(cur, req, now)
	if next != nil {
		s.m[req.Key] = next
	}
	return c
}

// claimBy is Claim for [Wrap], which gives the fingerprint unencoded and
// no owner: the owner is made, and the fingerprint encoded, only when the
// claim writes, so a replay allocates neither. It reads the map once.
func (s *MemoryStore) claimBy(ctx context.Context, req ClaimRequest, fp fingerprint) (Claim, error) {
	if err := ctx.Err(); err != nil {
		return Claim{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, now := s.m[req.Key], s.cfg.now()
	if cur != nil && cur.State == StateCompleted && cur.Fingerprint == string(fp[:]) && now.Before(cur.ExpiresAt) {
		return Claim{Status: ClaimDone, Record: *cur, Now: now}, nil // as Decide answers
	}
	req.Fingerprint, req.Owner = string(fp[:]), newOwner()
	if err := req.validate(); err != nil {
		return Claim{}, err
	}
	return s.decide(cur, req, now), nil
}

// Complete implements [Store].
func (s *MemoryStore) Complete(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error {
	return s.completeOwned(ctx, key, owner, bytes.Clone(outcome), ttl)
}

// completeOwned is Complete keeping outcome itself, which the caller no
// longer changes: [Wrap] records its freshly encoded outcome without a copy.
func (s *MemoryStore) completeOwned(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error {
	return s.update(ctx, key, owner, func(r *Record, now time.Time) bool {
		r.State = StateCompleted
		r.LeaseUntil = time.Time{}
		r.ExpiresAt = now.Add(ttl)
		r.Outcome = outcome
		r.Pending = nil
		return true
	})
}

// Renew implements [Store].
func (s *MemoryStore) Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error {
	if err := validRenewal(lease, ttl); err != nil {
		return err
	}
	return s.update(ctx, key, owner, func(r *Record, now time.Time) bool {
		*r = renewed(*r, now, lease, ttl)
		return true
	})
}

// SetPending implements [Store].
func (s *MemoryStore) SetPending(ctx context.Context, key, owner string, pending []byte) error {
	return s.update(ctx, key, owner, func(r *Record, _ time.Time) bool {
		r.Pending = bytes.Clone(pending)
		return true
	})
}

// Release implements [Store].
func (s *MemoryStore) Release(ctx context.Context, key, owner string) error {
	return s.update(ctx, key, owner, func(*Record, time.Time) bool { return false })
}

// Abandon implements [Store].
func (s *MemoryStore) Abandon(ctx context.Context, key, owner string) error {
	return s.update(ctx, key, owner, func(r *Record, now time.Time) bool {
		r.LeaseUntil = now
		return true
	})
}

// update applies f to the live claim that owner holds; f reports whether to
// keep the record (false deletes it).
func (s *MemoryStore) update(ctx context.Context, key, owner string, f func(*Record, time.Time) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.m[key]
	if r == nil || r.State != StateClaimed || r.Owner != owner {
		return ErrNotOwner
	}
	if !f(r, s.cfg.now()) {
		delete(s.m, key)
	}
	return nil
}

// Purge implements [Purger].
func (s *MemoryStore) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.now()
	n := 0
	for k, r := range s.m {
		if !now.Before(r.ExpiresAt) {
			delete(s.m, k)
			n++
		}
	}
	return n, nil
}
