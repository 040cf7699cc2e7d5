package idem

import (
	"context"
	"errors"
	"time"
)

// Store holds idempotency records. [Wrap] is its only caller in normal use;
// [github.com/durable-llm/durable-llm/idem/idemtest.RunStoreTests] checks
// that an implementation keeps the contract below. Implementations must be
// safe for concurrent use, and every method must be atomic with respect to
// the others for the same key, including across processes when the store is
// shared.
type Store interface {
	// Claim reads the record for req.Key and, when nobody else may hold it,
	// makes req.Owner its holder until the lease ends. It decides exactly as
	// [Decide] does, using the store's clock, and writes the record Decide
	// returns.
	Claim(ctx context.Context, req ClaimRequest) (Claim, error)
	// Complete stores outcome (a JSON document) on the record that owner
	// holds and keeps it until ttl has passed. It returns [ErrNotOwner] when
	// owner no longer holds the claim (it was taken over, released or has
	// expired and been replaced).
	Complete(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error
	// Release deletes the claim that owner holds, so that the next Claim
	// starts afresh ([ClaimNew]). It returns [ErrNotOwner] when owner does
	// not hold it.
	Release(ctx context.Context, key, owner string) error
	// Abandon ends owner's lease at once but keeps the record, so that the
	// next Claim is a takeover ([ClaimTakenOver]) and reconciles first. It
	// returns [ErrNotOwner] when owner does not hold the claim.
	Abandon(ctx context.Context, key, owner string) error
}

// Purger is implemented by stores that can delete expired records. Expired
// records are already ignored by Claim; purging only frees space, so call it
// from time to time (a cron job, a ticker in the worker).
type Purger interface {
	// Purge deletes every record whose TTL has passed and says how many.
	Purge(ctx context.Context) (int, error)
}

// ErrNotOwner is returned by [Store.Complete], [Store.Release] and
// [Store.Abandon] when the caller no longer holds the claim, typically
// because its lease ran out and another attempt took the key over.
var ErrNotOwner = errors.New("idem: claim is no longer held by this owner: its lease ended and another attempt took the key over; make the lease longer than the activity's StartToCloseTimeout")

// State is the state of a [Record].
type State string

const (
	// StateClaimed means an attempt holds the key and may be running the body.
	StateClaimed State = "claimed"
	// StateCompleted means the outcome is recorded and is returned to every
	// later attempt until the TTL ends.
	StateCompleted State = "completed"
)

// Record is what a [Store] keeps for one key.
type Record struct {
	// Key is the idempotency key.
	Key string `json:"key"`
	// Fingerprint is the SHA-256 (hex) of the encoded input first used with Key.
	Fingerprint string `json:"fingerprint"`
	// State is claimed or completed.
	State State `json:"state"`
	// Owner identifies the attempt that claimed (and, once completed,
	// completed) the record.
	Owner string `json:"owner"`
	// LeaseUntil is when a claim may be taken over; zero once completed.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// ExpiresAt is when the record is forgotten and the key may be used
	// afresh, with any input.
	ExpiresAt time.Time `json:"expires_at"`
	// Outcome is the JSON document written by Complete; nil while claimed.
	Outcome []byte `json:"outcome,omitempty"`
}

// ClaimRequest asks a [Store] for a key.
type ClaimRequest struct {
	// Key is the idempotency key; it must not be empty.
	Key string
	// Fingerprint identifies the input; a live record with another
	// fingerprint is refused ([ClaimMismatch]).
	Fingerprint string
	// Owner identifies the attempt; it must be unique per attempt.
	Owner string
	// Lease is how long the claim holds before another attempt may take it over.
	Lease time.Duration
	// TTL is how long the record lives (from the claim, and again from completion).
	TTL time.Duration
}

// ClaimStatus says what [Store.Claim] found and did.
type ClaimStatus int

const (
	// ClaimNew means there was no live record; the caller now holds a new
	// claim and runs the body.
	ClaimNew ClaimStatus = iota + 1
	// ClaimTakenOver means a claim whose lease had ended (its owner crashed
	// or gave up) now belongs to the caller. The body may or may not have
	// run: reconcile with the outside system before running it again.
	ClaimTakenOver
	// ClaimBusy means another owner holds a live claim; nothing was changed.
	ClaimBusy
	// ClaimDone means the outcome is recorded; nothing was changed.
	ClaimDone
	// ClaimMismatch means a live record exists for the key with another
	// input fingerprint; nothing was changed.
	ClaimMismatch
)

var statusNames = [...]string{"invalid", "new", "taken over", "busy", "done", "mismatch"}

// String returns a lowercase name such as "taken over".
func (s ClaimStatus) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return statusNames[0]
	}
	return statusNames[s]
}

// Claim is the answer of [Store.Claim].
type Claim struct {
	// Status says what was found and done.
	Status ClaimStatus
	// Record is the caller's new record for ClaimNew and ClaimTakenOver,
	// otherwise the existing record, unchanged.
	Record Record
	// Now is the store's clock at the claim; Record.LeaseUntil minus Now is
	// the remaining lease of a busy claim.
	Now time.Time
	// PreviousOwner is the owner whose claim was taken over (ClaimTakenOver only).
	PreviousOwner string
}

// Remaining is the time left on the lease of the claimed record, or zero.
func (c Claim) Remaining() time.Duration {
	if c.Record.State != StateClaimed {
		return 0
	}
	return max(c.Record.LeaseUntil.Sub(c.Now), 0)
}

// Decide is the claim rule every [Store] applies, exported for store
// implementations: given the current record (nil when there is none) and the
// store's time now, it returns the claim and the record to write (nil when
// nothing changes).
//
//   - no record, or its TTL has passed: a new claim;
//   - a live record with another fingerprint: mismatch;
//   - a completed record: done;
//   - a claim whose lease has not ended: busy;
//   - a claim whose lease has ended: taken over by req.Owner.
func Decide(cur *Record, req ClaimRequest, now time.Time) (Claim, *Record) {
	fresh := func() *Record {
		return &Record{
			Key:         req.Key,
			Fingerprint: req.Fingerprint,
			State:       StateClaimed,
			Owner:       req.Owner,
			LeaseUntil:  now.Add(req.Lease),
			ExpiresAt:   now.Add(max(req.TTL, req.Lease)),
		}
	}
	switch {
	case cur == nil || !now.Before(cur.ExpiresAt):
		r := fresh()
		return Claim{Status: ClaimNew, Record: *r, Now: now}, r
	case cur.Fingerprint != req.Fingerprint:
		return Claim{Status: ClaimMismatch, Record: *cur, Now: now}, nil
	case cur.State == StateCompleted:
		return Claim{Status: ClaimDone, Record: *cur, Now: now}, nil
	case now.Before(cur.LeaseUntil):
		return Claim{Status: ClaimBusy, Record: *cur, Now: now}, nil
	default:
		r := fresh()
		return Claim{Status: ClaimTakenOver, Record: *r, Now: now, PreviousOwner: cur.Owner}, r
	}
}

// validate checks a request before a store acts on it.
func (req ClaimRequest) validate() error {
	switch {
	case req.Key == "":
		return errors.New("idem: claim request has an empty key: give Wrap a key (WithKey) or run it in an activity")
	case req.Owner == "":
		return errors.New("idem: claim request has an empty owner")
	case req.Lease <= 0:
		return errors.New("idem: claim request has a non-positive lease")
	case req.TTL <= 0:
		return errors.New("idem: claim request has a non-positive ttl")
	}
	return nil
}

// StoreOption configures a store.
type StoreOption func(*storeConfig)

type storeConfig struct {
	clock   func() time.Time
	table   string
	migrate bool
}

func newStoreConfig(opts []StoreOption) storeConfig {
	c := storeConfig{table: DefaultTable, migrate: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// now is the Go clock: the injected one or time.Now.
func (c storeConfig) now() time.Time {
	if c.clock != nil {
		return c.clock()
	}
	return time.Now()
}

// WithClock makes a store read the time from clock instead of the system
// clock, so tests can move past leases and TTLs without sleeping. The
// [PostgresStore] uses the database's now() unless this option is given.
func WithClock(clock func() time.Time) StoreOption {
	return func(c *storeConfig) { c.clock = clock }
}

// WithTable sets the table of a [PostgresStore] (default [DefaultTable]); it
// may be schema-qualified ("billing.idem_records"). Other stores ignore it.
func WithTable(name string) StoreOption {
	return func(c *storeConfig) { c.table = name }
}

// WithoutMigration stops [NewPostgresStore] from creating its table; apply
// [PostgresSchema] yourself. Other stores ignore it.
func WithoutMigration() StoreOption {
	return func(c *storeConfig) { c.migrate = false }
}
