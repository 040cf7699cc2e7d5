package idem

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTable is the table a [PostgresStore] uses unless [WithTable] names another.
const DefaultTable = "idem_records"

// PostgresSchema creates the table of a [PostgresStore] (here with its default
// name, [DefaultTable]). [NewPostgresStore] applies it on first use unless
// [WithoutMigration] is given; apply it with your own migration tool when the
// worker's database role may not create tables, replacing idem_records with
// the name given to [WithTable].
//
// Columns: key is the idempotency key; fingerprint the SHA-256 (hex) of the
// encoded input; state 'claimed' or 'completed'; owner the attempt that holds
// or completed the key; lease_until when a claim may be taken over;
// expires_at when the record is forgotten; outcome the recorded result or
// failure (JSON); pending the in-flight data of a claim (JSON, see
// [SetPending]); taken_over_from the owner a claim was taken over from. The
// ALTER TABLE brings a table created by an earlier version up to date.
const PostgresSchema = `CREATE TABLE IF NOT EXISTS idem_records (
    key             text        PRIMARY KEY,
    fingerprint     text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('claimed', 'completed')),
    owner           text        NOT NULL,
    lease_until     timestamptz,
    expires_at      timestamptz NOT NULL,
    outcome         json,
    pending         json,
    taken_over_from text        NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL
);
ALTER TABLE idem_records ADD COLUMN IF NOT EXISTS pending json;
CREATE INDEX IF NOT EXISTS idem_records_expires_at_idx ON idem_records (expires_at);`

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,50}(\.[a-z_][a-z0-9_]{0,50})?$`)

// PostgresStore keeps records in a PostgreSQL table, for workers on several
// hosts. A claim first reads the record (a SELECT, which is all a replayed
// call costs: no write, no commit to flush); only when the key is free, or
// its lease ended, does it write, with one INSERT ... ON CONFLICT DO UPDATE
// ... WHERE (the record expired, or its lease ended) RETURNING statement, so
// two workers never both win a key. Every write is an ordinary synchronous
// commit: unlike a file store's host, the database can crash while the
// holders live on, so a claim cannot be re-derived after a database crash
// and is kept durable.
//
// Time is the database's now() unless [WithClock] is given, so the workers'
// clocks need not agree. It is safe for concurrent use; it does not own the
// pool. Expired records stay in the table until [PostgresStore.Purge].
type PostgresStore struct {
	cfg  storeConfig
	pool *pgxpool.Pool

	claimSQL, selectSQL, renewSQL, pendingSQL, completeSQL, releaseSQL, abandonSQL, purgeSQL string
}

var _ interface {
	Store
	Purger
} = (*PostgresStore)(nil)

// NewPostgresStore returns a store on pool. Unless [WithoutMigration] is
// given it creates the table ([PostgresSchema], under the name given by
// [WithTable]) when missing, serialized by an advisory lock so that workers
// starting together do not collide. It uses [WithClock], [WithTable] and
// [WithoutMigration].
func NewPostgresStore(ctx context.Context, pool *pgxpool.Pool, opts ...StoreOption) (*PostgresStore, error) {
	if pool == nil {
		return nil, errors.New("idem: NewPostgresStore needs a pgxpool.Pool")
	}
	cfg := newStoreConfig(opts)
	if !tableName.MatchString(cfg.table) {
		return nil, fmt.Errorf("idem: table name %q is not a lowercase identifier (optionally schema-qualified)", cfg.table)
	}
	s := &PostgresStore{cfg: cfg, pool: pool}
	s.prepare()
	if cfg.migrate {
		if err := s.migrate(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// schemaFor renders PostgresSchema for table.
func schemaFor(table string) string {
	base := table[strings.LastIndexByte(table, '.')+1:]
	return strings.NewReplacer(
		"idem_records_expires_at_idx", base+"_expires_at_idx",
		"idem_records", table,
	).Replace(PostgresSchema)
}

func (s *PostgresStore) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "idem:"+s.cfg.table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schemaFor(s.cfg.table))
		return err
	})
	if err != nil {
		return fmt.Errorf("idem: create table %s: %w (or create it from idem.PostgresSchema and pass idem.WithoutMigration)", s.cfg.table, err)
	}
	return nil
}

// nowSQL is the store's clock in SQL: the Go clock when injected (a
// non-NULL parameter), else the database's.
const nowSQL = "coalesce(%s::timestamptz, now())"

func (s *PostgresStore) prepare() {
	t := s.cfg.table
	s.claimSQL = fmt.Sprintf(`INSERT INTO %[1]s AS r (key, fingerprint, state, owner, lease_until, expires_at, outcome, pending, taken_over_from, updated_at)
SELECT $1, $2, 'claimed', $3, n.now + $4::bigint * interval '1 microsecond', n.now + $5::bigint * interval '1 microsecond', NULL, NULL, '', n.now
FROM (SELECT `+fmt.Sprintf(nowSQL, "$6")+` AS now) n
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, state = 'claimed', owner = excluded.owner,
    lease_until = excluded.lease_until, expires_at = excluded.expires_at, outcome = NULL,
    pending = CASE WHEN r.expires_at <= excluded.updated_at THEN NULL ELSE r.pending END,
    taken_over_from = CASE WHEN r.expires_at <= excluded.updated_at THEN '' ELSE r.owner END,
    updated_at = excluded.updated_at
WHERE r.expires_at <= excluded.updated_at
   OR (r.state = 'claimed' AND r.lease_until <= excluded.updated_at AND r.fingerprint = excluded.fingerprint)
RETURNING updated_at, lease_until, expires_at, taken_over_from, pending`, t)
	s.selectSQL = fmt.Sprintf(`SELECT `+fmt.Sprintf(nowSQL, "$2")+`, fingerprint, state, owner, lease_until, expires_at, outcome, pending
FROM %s WHERE key = $1`, t)
	s.renewSQL = fmt.Sprintf(`UPDATE %s AS r SET lease_until = n.now + $3::bigint * interval '1 microsecond',
    expires_at = greatest(r.expires_at, n.now + $4::bigint * interval '1 microsecond'), updated_at = n.now
FROM (SELECT `+fmt.Sprintf(nowSQL, "$5")+` AS now) n
WHERE r.key = $1 AND r.owner = $2 AND r.state = 'claimed'`, t)
	s.pendingSQL = fmt.Sprintf(`UPDATE %s AS r SET pending = $3, updated_at = n.now
FROM (SELECT `+fmt.Sprintf(nowSQL, "$4")+` AS now) n
WHERE r.key = $1 AND r.owner = $2 AND r.state = 'claimed'`, t)
	s.completeSQL = fmt.Sprintf(`UPDATE %s AS r SET state = 'completed', outcome = $3, pending = NULL, lease_until = NULL,
    expires_at = n.now + $4::bigint * interval '1 microsecond', updated_at = n.now
FROM (SELECT `+fmt.Sprintf(nowSQL, "$5")+` AS now) n
WHERE r.key = $1 AND r.owner = $2 AND r.state = 'claimed'`, t)
	s.releaseSQL = fmt.Sprintf(`DELETE FROM %s WHERE key = $1 AND owner = $2 AND state = 'claimed'`, t)
	s.abandonSQL = fmt.Sprintf(`UPDATE %s AS r SET lease_until = n.now, updated_at = n.now
FROM (SELECT `+fmt.Sprintf(nowSQL, "$3")+` AS now) n
WHERE r.key = $1 AND r.owner = $2 AND r.state = 'claimed'`, t)
	s.purgeSQL = fmt.Sprintf(`DELETE FROM %s WHERE expires_at <= `+fmt.Sprintf(nowSQL, "$1"), t)
}

// clock returns the injected time, or nil to use the database's.
func (s *PostgresStore) clock() *time.Time {
	if s.cfg.clock == nil {
		return nil
	}
	t := s.cfg.clock()
	return &t
}

// Claim implements [Store]: it reads first and writes only when Decide
// says the key is the caller's.
func (s *PostgresStore) Claim(ctx context.Context, req ClaimRequest) (Claim, error) {
	if err := req.validate(); err != nil {
		return Claim{}, err
	}
	for range 20 {
		cur, now, err := s.get(ctx, req.Key)
		if err != nil {
			return Claim{}, err
		}
		c, next := Decide(cur, req, now)
		if next == nil {
			return c, nil
		}
		var (
			lease   *time.Time
			expires time.Time
			prev    string
			pending []byte
		)
		err = s.pool.QueryRow(ctx, s.claimSQL, req.Key, req.Fingerprint, req.Owner,
			req.Lease.Microseconds(), max(req.TTL, req.Lease).Microseconds(), s.clock()).
			Scan(&now, &lease, &expires, &prev, &pending)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // another claimer changed the record since it was read: read again
		}
		if err != nil {
			return Claim{}, fmt.Errorf("idem: claim %q in postgres: %w", req.Key, err)
		}
		c = Claim{Status: ClaimNew, Now: now, PreviousOwner: prev, Record: Record{
			Key: req.Key, Fingerprint: req.Fingerprint, State: StateClaimed, Owner: req.Owner,
			LeaseUntil: *lease, ExpiresAt: expires, Pending: pending,
		}}
		if prev != "" {
			c.Status = ClaimTakenOver
		}
		return c, nil
	}
	return Claim{}, fmt.Errorf("idem: claim %q in postgres: the record kept changing; retry", req.Key)
}

// get reads the record of key (nil when there is none) and the store's time.
func (s *PostgresStore) get(ctx context.Context, key string) (*Record, time.Time, error) {
	var (
		now   time.Time
		cur   = Record{Key: key}
		state string
		lease *time.Time
	)
	err := s.pool.QueryRow(ctx, s.selectSQL, key, s.clock()).
		Scan(&now, &cur.Fingerprint, &state, &cur.Owner, &lease, &cur.ExpiresAt, &cur.Outcome, &cur.Pending)
	if errors.Is(err, pgx.ErrNoRows) {
		// No row, so no database time either: Decide only needs it to see
		// that a write is due, and the write reads the database's clock.
		return nil, s.cfg.now(), nil
	}
	if err != nil {
		return nil, now, fmt.Errorf("idem: read %q in postgres: %w", key, err)
	}
	cur.State = State(state)
	if lease != nil {
		cur.LeaseUntil = *lease
	}
	return &cur, now, nil
}

// Renew implements [Store].
func (s *PostgresStore) Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error {
	if err := validRenewal(lease, ttl); err != nil {
		return err
	}
	return s.exec(ctx, "renew", key, s.renewSQL, key, owner, lease.Microseconds(), max(ttl, lease).Microseconds(), s.clock())
}

// SetPending implements [Store].
func (s *PostgresStore) SetPending(ctx context.Context, key, owner string, pending []byte) error {
	return s.exec(ctx, "set pending data of", key, s.pendingSQL, key, owner, pending, s.clock())
}

// Complete implements [Store].
func (s *PostgresStore) Complete(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error {
	return s.exec(ctx, "complete", key, s.completeSQL, key, owner, outcome, ttl.Microseconds(), s.clock())
}

// Release implements [Store].
func (s *PostgresStore) Release(ctx context.Context, key, owner string) error {
	return s.exec(ctx, "release", key, s.releaseSQL, key, owner)
}

// Abandon implements [Store].
func (s *PostgresStore) Abandon(ctx context.Context, key, owner string) error {
	return s.exec(ctx, "abandon", key, s.abandonSQL, key, owner, s.clock())
}

func (s *PostgresStore) exec(ctx context.Context, what, key, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("idem: %s %q in postgres: %w", what, key, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotOwner
	}
	return nil
}

// Purge implements [Purger].
func (s *PostgresStore) Purge(ctx context.Context) (int, error) {
	tag, err := s.pool.Exec(ctx, s.purgeSQL, s.clock())
	if err != nil {
		return 0, fmt.Errorf("idem: purge postgres table %s: %w", s.cfg.table, err)
	}
	return int(tag.RowsAffected()), nil
}
