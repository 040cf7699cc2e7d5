package idem_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/idem/idemtest"
)

func TestMemoryStore(t *testing.T) {
	idemtest.RunStoreTests(t, func(_ *testing.T, opts ...idem.StoreOption) idem.Store {
		return idem.NewMemoryStore(opts...)
	})
}

func TestFileStore(t *testing.T) {
	idemtest.RunStoreTests(t, func(t *testing.T, opts ...idem.StoreOption) idem.Store {
		s, err := idem.NewFileStore(t.TempDir(), opts...)
		require.NoError(t, err)
		return s
	})
}

func TestPostgresStore(t *testing.T) {
	pool := postgresPool(t)
	idemtest.RunStoreTests(t, func(t *testing.T, opts ...idem.StoreOption) idem.Store {
		return postgresStore(t, pool, opts...)
	})
}

// postgresPool connects to the test database, or skips (fails with
// DURABLE_INTEGRATION=1) when it cannot.
func postgresPool(t testing.TB) *pgxpool.Pool { return durabletest.Postgres(t) }

// postgresStore returns a store on a table of its own, dropped after the test.
func postgresStore(t testing.TB, pool *pgxpool.Pool, opts ...idem.StoreOption) *idem.PostgresStore {
	s, _ := postgresTableStore(t, pool, opts...)
	return s
}

// postgresTableStore is postgresStore that also names the table.
func postgresTableStore(t testing.TB, pool *pgxpool.Pool, opts ...idem.StoreOption) (*idem.PostgresStore, string) {
	t.Helper()
	table := "idem_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	ctx := context.Background()
	s, err := idem.NewPostgresStore(ctx, pool, append(opts, idem.WithTable(table))...)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
		assert.NoError(t, err)
	})
	return s, table
}
