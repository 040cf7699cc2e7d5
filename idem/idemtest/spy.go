package idemtest

import (
	"context"
	"sync"
	"time"

	"github.com/durable-llm/durable-llm/idem"
)

// spyStore watches the renewals of the store under test: when each began on
// the test clock, and how many there were. It can hold renewals at a gate
// (a slow store) or fail them (an unreachable one).
type spyStore struct {
	idem.Store
	clock *Clock

	gate    chan struct{} // when set, Renew waits for it to close
	entered chan struct{} // closed when the first Renew reaches the gate
	fail    error         // when set, Renew fails with it

	mu        sync.Mutex
	renews    int
	renewedAt time.Time // clock time at which the latest successful Renew began
	once      sync.Once
}

func newSpy(f *fixture) *spyStore {
	return &spyStore{Store: f.store, clock: f.clock, entered: make(chan struct{})}
}

func (s *spyStore) Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error {
	s.once.Do(func() { close(s.entered) })
	if s.gate != nil {
		<-s.gate // a slow store: the call outlives its context
		ctx = context.WithoutCancel(ctx)
	}
	at := s.clock.Now()
	err := s.fail
	if err == nil {
		err = s.Store.Renew(ctx, key, owner, lease, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renews++
	if err == nil && at.After(s.renewedAt) {
		s.renewedAt = at
	}
	return err
}

// renewedSince reports whether a renewal that began at or after t succeeded.
func (s *spyStore) renewedSince(t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.renewedAt.Before(t)
}

func (s *spyStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renews
}
