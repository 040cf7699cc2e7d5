package durabletest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvPostgres names the variable with the DSN of the test database that
// [Postgres] connects to. CI and `make test` export it.
const EnvPostgres = "IDEM_POSTGRES_DSN"

// DefaultPostgresDSN is used when $IDEM_POSTGRES_DSN is unset: the local
// server with trust auth and database "test".
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Postgres connects to the test database and closes the pool when the test
// ends. When the database is unreachable the test is skipped with how to
// point it at one, or failed when DURABLE_INTEGRATION=1. Tests should create
// tables of their own (a random name or prefix) and drop them.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		dsn = DefaultPostgresDSN
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is unreachable (%v): start it (trust auth, database test) or set %s to a database this test may create tables in", dsn, err, EnvPostgres)
		if os.Getenv(EnvIntegration) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (" + EnvIntegration + "=1 makes this a failure)")
	}
	t.Cleanup(pool.Close)
	return pool
}
