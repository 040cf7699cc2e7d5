package idemlinks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/idemlinks"
	"github.com/durable-llm/durable-llm/idem"
)

// replicas returns two link stores that share one idem store, as two
// replicas of the review handler would.
type replicas func(t *testing.T) (*idemlinks.Store, *idemlinks.Store)

func stores(t *testing.T) map[string]replicas {
	t.Helper()
	return map[string]replicas{
		"memory": func(*testing.T) (*idemlinks.Store, *idemlinks.Store) {
			s := idem.NewMemoryStore()
			return idemlinks.New(s), idemlinks.New(s)
		},
		"file": func(t *testing.T) (*idemlinks.Store, *idemlinks.Store) {
			dir := t.TempDir()
			a, err := idem.NewFileStore(dir)
			require.NoError(t, err)
			b, err := idem.NewFileStore(dir) // a second process's view of the shared directory
			require.NoError(t, err)
			return idemlinks.New(a), idemlinks.New(b)
		},
		"postgres": func(t *testing.T) (*idemlinks.Store, *idemlinks.Store) {
			pool := durabletest.Postgres(t)
			table := "idemlinks_test_" + randHex(t)
			t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })
			a, err := idem.NewPostgresStore(t.Context(), pool, idem.WithTable(table))
			require.NoError(t, err)
			b, err := idem.NewPostgresStore(t.Context(), pool, idem.WithTable(table))
			require.NoError(t, err)
			return idemlinks.New(a), idemlinks.New(b)
		},
	}
}

func randHex(t *testing.T) string {
	t.Helper()
	var b [8]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return hex.EncodeToString(b[:])
}

func TestALinkOpensOnceAcrossReplicas(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			a, b := mk(t)
			ctx := t.Context()
			exp := time.Now().Add(time.Hour)

			first, err := a.Redeem(ctx, "link-1", exp)
			require.NoError(t, err)
			assert.True(t, first, "the first use opens the link")

			again, err := b.Redeem(ctx, "link-1", exp)
			require.NoError(t, err)
			assert.False(t, again, "the other replica refuses a used link")
			again, err = a.Redeem(ctx, "link-1", exp)
			require.NoError(t, err)
			assert.False(t, again, "and so does the first")

			other, err := b.Redeem(ctx, "link-2", exp)
			require.NoError(t, err)
			assert.True(t, other, "another link is its own")

			expired, err := a.Redeem(ctx, "link-3", time.Now().Add(-time.Second))
			require.NoError(t, err)
			assert.False(t, expired, "an expired link never opens")
		})
	}
}

func TestConcurrentUsesOpenOnce(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			a, b := mk(t)
			exp := time.Now().Add(time.Hour)
			var opened atomic.Int32
			var wg sync.WaitGroup
			for i := range 16 {
				s := a
				if i%2 == 1 {
					s = b
				}
				wg.Go(func() {
					ok, err := s.Redeem(t.Context(), "contended", exp)
					assert.NoError(t, err)
					if ok {
						opened.Add(1)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int32(1), opened.Load(), "16 simultaneous uses on two replicas open the link once")
		})
	}
}

// failing is an idem store whose every call fails.
type failing struct{ idem.Store }

var errDown = errors.New("store down")

func (failing) Claim(context.Context, idem.ClaimRequest) (idem.Claim, error) {
	return idem.Claim{}, errDown
}

func TestAStoreErrorRefusesTheLink(t *testing.T) {
	ok, err := idemlinks.New(failing{}).Redeem(t.Context(), "l", time.Now().Add(time.Hour))
	require.ErrorIs(t, err, errDown)
	assert.False(t, ok)

	var zero *idemlinks.Store
	ok, err = zero.Redeem(t.Context(), "l", time.Now().Add(time.Hour))
	require.ErrorIs(t, err, idemlinks.ErrNoStore)
	assert.False(t, ok)
}
