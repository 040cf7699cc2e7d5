package idem

import (
	"errors"
	"time"
)

// ClaimRequest asks a [Store] for a key.
type ClaimRequest struct {
	// Key is the idempotency key; it must not be empty.
	Key string
	// Fingerprint identifies the input; a live record with another
	// fingerprint is refused ([ClaimMismatch]).
	Fingerprint string
	// Owner identifies the attempt; it must be unique per attempt.
	Owner string
	// Lease is how long the claim holds before another attempt may take it
	// over, unless the owner renews it ([Store.Renew]).
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
	// or gave up) now belongs to the caller, with the previous owner's
	// pending data. The body may or may not have run: reconcile with the
	// outside system, or resume from the pending data, before running it
	// again.
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
	// Record is the caller's new record for ClaimNew and ClaimTakenOver
	// (with the previous owner's Pending for a takeover), otherwise the
	// existing record, unchanged.
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
//   - a claim whose lease has ended: taken over by req.Owner, keeping its
//     pending data.
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
		r.Pending = cur.Pending
		return Claim{Status: ClaimTakenOver, Record: *r, Now: now, PreviousOwner: cur.Owner}, r
	}
}

// renewed returns r with its lease renewed at now, as [Store.Renew] writes it.
func renewed(r Record, now time.Time, lease, ttl time.Duration) Record {
	r.LeaseUntil = now.Add(lease)
	if exp := now.Add(max(ttl, lease)); exp.After(r.ExpiresAt) {
		r.ExpiresAt = exp
	}
	return r
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

// validRenewal checks the arguments of [Store.Renew].
func validRenewal(lease, ttl time.Duration) error {
	if lease <= 0 || ttl <= 0 {
		return errors.New("idem: renew needs a positive lease and ttl")
	}
	return nil
}
