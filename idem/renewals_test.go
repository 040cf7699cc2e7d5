package idem_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

// renewSignal is a store that reports each renewal of a key on a channel.
type renewSignal struct {
	idem.Store
	mu      sync.Mutex
	renewed map[string]chan struct{}
}

func (s *renewSignal) Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error {
	err := s.Store.Renew(ctx, key, owner, lease, ttl)
	s.mu.Lock()
	ch := s.renewed[key]
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
	default:
	}
	return err
}

// A call with a short lease that starts while a call with a long lease is
// held is renewed on time: the shared schedule moves its timer earlier.
func TestRenewalsOfConcurrentHoldersFollowTheirOwnLeases(t *testing.T) {
	s := &renewSignal{Store: idem.NewMemoryStore(), renewed: map[string]chan struct{}{
		"long": make(chan struct{}, 1), "short": make(chan struct{}, 1),
	}}
	release := make(chan struct{})
	longStarted := make(chan struct{})
	body := func(ctx context.Context, key string) (string, error) {
		if key == "long" {
			close(longStarted)
			<-release
			return key, nil
		}
		for range 2 { // two renewals of the short lease, while "long" still waits
			select {
			case <-s.renewed[key]:
			case <-ctx.Done():
				return "", context.Cause(ctx)
			}
		}
		return key, nil
	}
	key := func(_ context.Context, k string) (string, error) { return k, nil }
	long := idem.Wrap(s, body, idem.WithKey(key), idem.WithLease(time.Hour))
	short := idem.Wrap(s, body, idem.WithKey(key), idem.WithLease(60*time.Millisecond))

	done := make(chan error, 1)
	go func() {
		_, err := long(context.Background(), "long")
		done <- err
	}()
	<-longStarted
	got, err := short(context.Background(), "short")
	require.NoError(t, err)
	require.Equal(t, "short", got)
	close(release)
	require.NoError(t, <-done)
	require.Empty(t, s.renewed["long"], "the hour-long lease is not renewed")
}
