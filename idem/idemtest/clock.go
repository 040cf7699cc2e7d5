package idemtest

import (
	"sync"
	"time"
)

// Clock is a manual clock for tests, safe for concurrent use. Pass its Now
// method to [idem.WithClock].
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock at start, or at 2026-01-01 00:00:00 UTC when
// start is zero.
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
