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
//
// The owner of a claim is its fencing token: every write after the claim
// names it, and a store refuses ([ErrNotOwner]) a write whose owner no longer
// holds the record, so a holder whose lease ended and was taken over can
// never overwrite the new owner's record. Owners are unique per call.
type Store interface {
	// Claim reads the record for req.Key and, when nobody else may hold it,
	// makes req.Owner its holder until the lease ends. It decides exactly as
	// [Decide] does, using the store's clock, and writes the record Decide
	// returns. A claim that changes nothing (done, busy, mismatch) should
	// only read: it is the whole cost of a replayed call.
	Claim(ctx context.Context, req ClaimRequest) (Claim, error)
	// Renew extends the lease of the claim that owner holds to lease from
	// now, and its expiry to at least max(ttl, lease) from now. It succeeds
	// while the record is a claim held by owner, even when the lease has
	// ended (nobody took it over); it returns [ErrNotOwner] otherwise.
	Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error
	// SetPending stores pending (a JSON document, or nil to clear it) on the
	// claim that owner holds, durably: a takeover ([ClaimTakenOver]) receives
	// it in Claim.Record.Pending. It returns [ErrNotOwner] when owner does
	// not hold the claim.
	SetPending(ctx context.Context, key, owner string, pending []byte) error
	// Complete stores outcome (a JSON document) on the record that owner
	// holds, durably, clears its pending data and keeps it until ttl has
	// passed. It returns [ErrNotOwner] when owner no longer holds the claim
	// (it was taken over, released or has expired and been replaced).
	Complete(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error
	// Release deletes the claim that owner holds, so that the next Claim
	// starts afresh ([ClaimNew]). It returns [ErrNotOwner] when owner does
	// not hold it.
	Release(ctx context.Context, key, owner string) error
	// Abandon ends owner's lease at once but keeps the record and its
	// pending data, so that the next Claim is a takeover ([ClaimTakenOver])
	// and reconciles or resumes first. It returns [ErrNotOwner] when owner
	// does not hold the claim.
	Abandon(ctx context.Context, key, owner string) error
}

// Purger is implemented by stores that can delete expired records. Expired
// records are already ignored by Claim; purging only frees space, so call it
// from time to time (a cron job, a ticker in the worker).
type Purger interface {
	// Purge deletes every record whose TTL has passed and says how many.
	Purge(ctx context.Context) (int, error)
}

// ErrNotOwner is returned by the [Store] methods that write after a claim
// when the caller no longer holds it: its lease ended (its renewals stopped
// or failed) and another attempt took the key over, or the claim was
// released, completed or has expired.
var ErrNotOwner = errors.New("idem: claim is no longer held by this owner: its lease ended and another attempt took the key over, or it was released or completed")

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
	// completed) the record. It is the fencing token of the claim.
	Owner string `json:"owner"`
	// LeaseUntil is when a claim may be taken over; zero once completed.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// ExpiresAt is when the record is forgotten and the key may be used
	// afresh, with any input.
	ExpiresAt time.Time `json:"expires_at"`
	// Outcome is the JSON document written by Complete; nil while claimed.
	Outcome []byte `json:"outcome,omitempty"`
	// Pending is the JSON document written by SetPending while claimed (for
	// example the id of a generation running at a provider); it survives
	// takeovers and abandonment and is cleared by Complete.
	Pending []byte `json:"pending,omitempty"`
}
