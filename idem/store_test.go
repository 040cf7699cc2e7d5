package idem_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

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

// EnvPostgres names the variable with the DSN of the test database.
const EnvPostgres = "IDEM_POSTGRES_DSN"

const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgresPool connects to the test database, or skips (fails with
// DURABLE_INTEGRATION=1) when it cannot.
func postgresPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		dsn = defaultDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err == nil {
		err = pool.Ping(ctx)
		if err != nil {
			pool.Close()
		}
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (%v): set %s to a database this test may create tables in", dsn, err, EnvPostgres)
		if os.Getenv(durabletest.EnvIntegration) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (" + durabletest.EnvIntegration + "=1 makes this a failure)")
	}
	t.Cleanup(pool.Close)
	return pool
}

// postgresStore returns a store on a table of its own, dropped after the test.
func postgresStore(t testing.TB, pool *pgxpool.Pool, opts ...idem.StoreOption) *idem.PostgresStore {
	t.Helper()
	table := "idem_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	ctx := context.Background()
	s, err := idem.NewPostgresStore(ctx, pool, append(opts, idem.WithTable(table))...)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
		assert.NoError(t, err)
	})
	return s
}
