package idem_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

func TestPostgresStoreUsesTheDatabaseClock(t *testing.T) {
	ctx := context.Background()
	s := postgresStore(t, postgresPool(t)) // no WithClock: now() of the database
	req := idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: 150 * time.Millisecond, TTL: time.Hour}
	c, err := s.Claim(ctx, req)
	require.NoError(t, err)
	require.Equal(t, idem.ClaimNew, c.Status)
	assert.WithinDuration(t, time.Now(), c.Now, 5*time.Second, "the database clock is close to ours")

	req.Owner = "b"
	c, err = s.Claim(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, idem.ClaimBusy, c.Status)
	assert.Positive(t, c.Remaining())

	require.Eventually(t, func() bool {
		c, err = s.Claim(ctx, req)
		return err == nil && c.Status != idem.ClaimBusy
	}, 5*time.Second, 20*time.Millisecond, "the 150ms lease ends by the database clock")
	assert.Equal(t, idem.ClaimTakenOver, c.Status)
	assert.Equal(t, "a", c.PreviousOwner)
}

func TestPostgresStoreMigration(t *testing.T) {
	ctx := context.Background()
	pool := postgresPool(t)
	s := postgresStore(t, pool)
	_, err := s.Claim(ctx, idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour})
	require.NoError(t, err)

	t.Run("InvalidTableName", func(t *testing.T) {
		for _, name := range []string{"", "Robert'); DROP TABLE students;--", "a.b.c", "UPPER"} {
			_, err := idem.NewPostgresStore(ctx, pool, idem.WithTable(name))
			assert.Error(t, err, name)
		}
	})
	t.Run("MissingTableWithoutMigration", func(t *testing.T) {
		s, err := idem.NewPostgresStore(ctx, pool, idem.WithTable("idem_never_created"), idem.WithoutMigration())
		require.NoError(t, err)
		_, err = s.Claim(ctx, idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "idem_never_created")
	})
	t.Run("DocumentedSchemaInAnotherSchema", func(t *testing.T) {
		schema := "idem_schema_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
		conn, err := pool.Acquire(ctx)
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			assert.NoError(t, err)
		})
		// The constant, applied as a migration tool would.
		_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema+"; SET search_path TO "+schema+"; "+idem.PostgresSchema+"; RESET search_path")
		conn.Release()
		require.NoError(t, err)

		s, err := idem.NewPostgresStore(ctx, pool, idem.WithTable(schema+"."+idem.DefaultTable), idem.WithoutMigration())
		require.NoError(t, err)
		c, err := s.Claim(ctx, idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour})
		require.NoError(t, err)
		assert.Equal(t, idem.ClaimNew, c.Status)
		require.NoError(t, s.Complete(ctx, "k", "a", []byte(`{"result":1}`), time.Hour))

		var state string
		require.NoError(t, pool.QueryRow(ctx, "SELECT state FROM "+schema+".idem_records WHERE key = 'k'").Scan(&state))
		assert.Equal(t, "completed", state)

		// Migrating over an existing table is a no-op.
		_, err = idem.NewPostgresStore(ctx, pool, idem.WithTable(schema+"."+idem.DefaultTable))
		require.NoError(t, err)
	})
}

// A table created by the previous version (no pending column) gets it when
// the store migrates, and keeps its records.
func TestPostgresStoreMigratesATableOfThePreviousVersion(t *testing.T) {
	ctx := context.Background()
	pool := postgresPool(t)
	table := "idem_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
		assert.NoError(t, err)
	})
	_, err := pool.Exec(ctx, `CREATE TABLE `+table+` (
    key text PRIMARY KEY, fingerprint text NOT NULL, state text NOT NULL, owner text NOT NULL,
    lease_until timestamptz, expires_at timestamptz NOT NULL, outcome json,
    taken_over_from text NOT NULL DEFAULT '', updated_at timestamptz NOT NULL);
INSERT INTO `+table+` VALUES ('done', 'fp', 'completed', 'old', NULL, now() + interval '1 hour', '{"result":"old"}', '', now())`)
	require.NoError(t, err)

	s, err := idem.NewPostgresStore(ctx, pool, idem.WithTable(table))
	require.NoError(t, err)
	c, err := s.Claim(ctx, idem.ClaimRequest{Key: "done", Fingerprint: "fp", Owner: "new", Lease: time.Minute, TTL: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, idem.ClaimDone, c.Status)
	assert.JSONEq(t, `{"result":"old"}`, string(c.Record.Outcome))
	_, err = s.Claim(ctx, idem.ClaimRequest{Key: "k", Fingerprint: "fp", Owner: "a", Lease: time.Minute, TTL: time.Hour})
	require.NoError(t, err)
	require.NoError(t, s.SetPending(ctx, "k", "a", []byte(`{"id":"gen_1"}`)))
}
