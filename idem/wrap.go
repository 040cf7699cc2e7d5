package idem

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// storeTimeout bounds the store calls made after the body returned, which
// run on a context that is not cancelled with the activity's.
const storeTimeout = 10 * time.Second

// Wrap returns an activity function with fn's signature that runs fn at most
// once per key and returns the recorded outcome to every later call with the
// key, until the TTL ends. Register the result like any activity:
//
//	w.RegisterActivityWithOptions(idem.Wrap(store, acts.Charge, idem.WithKey(chargeKey)),
//		activity.RegisterOptions{Name: "Charge"})
//
// Each call derives the key ([WithKey], else [DefaultKey]) and a fingerprint
// of in (SHA-256 of its JSON), then claims the key in store:
//
//   - a new claim (or one taken over from a crashed owner, after the
//     [WithReconcile] hook) runs fn with the key in its context ([KeyFrom])
//     and, if taken over, the previous owner's pending data ([Pending]);
//     its result, or its non-retryable failure, is recorded and returned;
//     a retryable failure (or a panic) releases the claim so the next
//     attempt runs fn again, or abandons it to a takeover when the outcome
//     is uncertain (a reconcile hook is set, or pending data is recorded);
//   - a recorded outcome is decoded and returned without running fn;
//   - a live claim held by another attempt returns a retryable
//     [ErrTypeInProgress] error whose NextRetryDelay is the remaining lease;
//   - a record with another fingerprint returns a non-retryable
//     [ErrTypeKeyReused] error.
//
// While fn (or the reconcile hook) runs, Wrap renews the claim's lease
// every third of it ([WithLease]) and, in an activity with a
// HeartbeatTimeout, heartbeats ([WithHeartbeats]). If the store refuses a
// renewal (the key was taken over) or cannot renew before the lease could
// end, fn's context is cancelled with cause [ErrLeaseLost], and the store
// refuses to record its outcome if another attempt holds the key.
//
// Results and recorded failures are stored as JSON (encoding/json, as the
// SDK's default data converter encodes non-proto values). If the store fails
// after fn succeeded, the result is still returned (Temporal records it) and
// the failure is logged.
//
// Wrap panics when store or fn is nil or an option's type parameters do not
// match In and Out. The returned function is safe for concurrent use. It
// also works outside an activity when [WithKey] is given.
func Wrap[In, Out any](store Store, fn func(context.Context, In) (Out, error), opts ...Option) func(context.Context, In) (Out, error) {
	if store == nil || fn == nil {
		panic("idem: Wrap needs a store and a function")
	}
	cfg := newConfig(opts)
	w := &wrapper[In, Out]{store: store, fn: fn, cfg: cfg, complete: store.Complete}
	if s, ok := store.(outcomeKeeper); ok {
		w.complete = s.completeOwned
	}
	if s, ok := store.(fingerprintClaimer); ok {
		w.claimBy = s.claimBy
	}
	w.key, w.reconcile = typed[In, Out](cfg)
	if w.cfg.ttl <= 0 {
		w.cfg.ttl = DefaultTTL
	}
	return w.call
}

// outcomeKeeper is a store whose Complete may keep the outcome slice it is
// given (Wrap encodes a new one per call and never changes it), saving a copy.
type outcomeKeeper interface {
	completeOwned(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error
}

// fingerprintClaimer is a store whose claim takes the fingerprint
// unencoded and makes the owner itself (newOwner), only when it writes: a
// replay then allocates neither. The claim's owner is c.Record.Owner.
type fingerprintClaimer interface {
	claimBy(ctx context.Context, req ClaimRequest, fp fingerprint) (Claim, error)
}

type wrapper[In, Out any] struct {
	store     Store
	claimBy   func(ctx context.Context, req ClaimRequest, fp fingerprint) (Claim, error)
	complete  func(ctx context.Context, key, owner string, outcome []byte, ttl time.Duration) error
	fn        func(context.Context, In) (Out, error)
	cfg       config
	key       func(context.Context, In) (string, error)
	reconcile func(context.Context, string, In) (Out, bool, error)
}

func (w *wrapper[In, Out]) call(ctx context.Context, in In) (Out, error) {
	var zero Out
	key, err := w.keyOf(ctx, in)
	if err != nil {
		return zero, err
	}
	var sum fingerprint
	if err := sum.of(in); err != nil {
		return zero, invalidError("idem: fingerprint the input of key %q: %v: the input must encode as JSON", key, err)
	}
	lease := w.lease(ctx)
	c, owner, claimed, err := w.claim(ctx, key, &sum, lease)
	if err != nil {
		return zero, storeError(key, err)
	}
	switch c.Status {
	case ClaimDone:
		return decodeOutcome[Out](key, c.Record.Outcome)
	case ClaimBusy:
		return zero, inProgressError(key, c)
	case ClaimMismatch:
		return zero, keyReusedError(key, c.Record.Fingerprint, string(sum[:]))
	case ClaimNew, ClaimTakenOver:
		h := &holder{store: w.store, key: key, owner: owner, lease: lease, ttl: w.cfg.ttl, claimed: claimed, pending: c.Record.Pending}
		return w.hold(ctx, h, c.Status == ClaimTakenOver, c.PreviousOwner, in)
	default:
		return zero, storeError(key, fmt.Errorf("store returned unknown claim status %d", c.Status))
	}
}

// claim claims key for owner and says when it asked (the store's lease
// began after that). A busy claim whose holder has missed a renewal (less
// than two thirds of a lease left) is probably dead: the call waits for the
// rest of its lease once, in this attempt, and claims again, rather than
// going back to the server for a retry.
func (w *wrapper[In, Out]) claim(ctx context.Context, key string, sum *fingerprint, lease time.Duration) (c Claim, owner string, claimed time.Time, err error) {
	req := ClaimRequest{Key: key, Lease: lease, TTL: w.cfg.ttl}
	if w.claimBy == nil {
		req.Fingerprint, req.Owner = string(sum[:]), newOwner()
	}
	for waited := false; ; waited = true {
		claimed = monoNow()
		if w.claimBy != nil {
			c, err = w.claimBy(ctx, req, *sum)
			owner = c.Record.Owner // the caller's when it claimed
		} else {
			c, err = w.store.Claim(ctx, req)
			owner = req.Owner
		}
		if err != nil || c.Status != ClaimBusy || waited {
			return c, owner, claimed, err
		}
		left := c.Remaining()
		if left <= 0 || left >= lease*2/3 {
			return c, owner, claimed, nil // the holder renews: a live holder
		}
		if d := deadline(ctx); !d.IsZero() && time.Until(d) < 2*left {
			return c, owner, claimed, nil
		}
		heartbeat := w.renewal(ctx, lease).heartbeat
		if heartbeat {
			activity.RecordHeartbeat(ctx)
		}
		t := time.NewTimer(left)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return c, owner, claimed, nil
		}
		if heartbeat { // the wait may take most of a HeartbeatTimeout
			activity.RecordHeartbeat(ctx)
		}
	}
}

// hold runs the reconcile hook and fn while h keeps the lease, then records
// the outcome or gives the claim up.
func (w *wrapper[In, Out]) hold(ctx context.Context, h *holder, takenOver bool, prev string, in In) (Out, error) {
	bctx := h.start(ctx, w.renewal(ctx, h.lease))
	defer func() {
		if h.holding() { // fn or the hook panicked: the outcome is unknown
			h.stop()
			w.giveUp(ctx, h, true)
		}
	}()
	if takenOver {
		logger(ctx).Warn("idem: taking over a claim whose lease ended", "key", h.key, "previous_owner", prev,
			"pending", len(h.pending) > 0)
	}
	if w.reconcile != nil && (takenOver || attempt(ctx) > 1) {
		// A retry that finds no record may follow a claim lost with its host
		// (see FileStore): reconcile as after a takeover.
		out, found, err := w.reconcile(bctx, h.key, in)
		if err != nil {
			h.stop()
			w.giveUp(ctx, h, true)
			return out, h.failed(err)
		}
		if found {
			h.stop()
			w.finish(ctx, h, out, nil)
			return out, nil
		}
	}
	out, err := w.fn(bctx, in)
	h.stop()
	if err == nil {
		w.finish(ctx, h, out, nil)
		return out, nil
	}
	// Only a top-level ApplicationError is non-retryable to Temporal.
	if ae, ok := err.(*temporal.ApplicationError); ok && ae.NonRetryable() && !w.cfg.skipFailures {
		w.finish(ctx, h, out, ae)
		return out, err
	}
	w.giveUp(ctx, h, w.reconcile != nil)
	return out, h.failed(err)
}

func (w *wrapper[In, Out]) keyOf(ctx context.Context, in In) (string, error) {
	if w.key == nil {
		if k := DefaultKey(ctx); k != "" {
			return k, nil
		}
		return "", invalidError("idem: no key: Wrap without WithKey runs only inside an activity")
	}
	k, err := w.key(ctx, in)
	if err != nil {
		// Only a top-level ApplicationError keeps its retry semantics.
		if ae, ok := err.(*temporal.ApplicationError); ok {
			return "", ae
		}
		return "", invalidError("idem: key function failed: %v: fix the input or the key function", err)
	}
	if k == "" {
		return "", invalidError("idem: key function returned an empty key: fix the input or the key function")
	}
	return k, nil
}

// lease is WithLease; else the activity's HeartbeatTimeout; else
// DefaultLease, or the time left until the attempt's deadline when
// shorter, but at least MinLease.
func (w *wrapper[In, Out]) lease(ctx context.Context) time.Duration {
	if w.cfg.lease > 0 {
		return w.cfg.lease
	}
	if !activity.IsActivity(ctx) {
		return DefaultLease
	}
	info := activity.GetInfo(ctx)
	if info.HeartbeatTimeout > 0 && !info.IsLocalActivity {
		return info.HeartbeatTimeout
	}
	if !info.Deadline.IsZero() {
		return min(DefaultLease, max(time.Until(info.Deadline), MinLease))
	}
	return DefaultLease
}

// renewal says how often a holder of lease renews it (a third of the
// lease, or of the HeartbeatTimeout when shorter) and whether it heartbeats.
func (w *wrapper[In, Out]) renewal(ctx context.Context, lease time.Duration) renewal {
	r := renewal{every: lease / 3}
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		if hb := info.HeartbeatTimeout; hb > 0 && !info.IsLocalActivity {
			r.every = min(r.every, hb/3)
			r.heartbeat = !w.cfg.noHeartbeats
		}
	}
	r.every = max(r.every, time.Millisecond)
	return r
}

// finish records the outcome: out, or failure when it is non-nil.
func (w *wrapper[In, Out]) finish(ctx context.Context, h *holder, out Out, failure *temporal.ApplicationError) {
	b, err := encodeOutcome(out, failure)
	if err != nil {
		logger(ctx).Error("idem: result does not encode as JSON and is not recorded; a later attempt reconciles or runs the body again",
			"key", h.key, "error", err)
		w.giveUp(ctx, h, true)
		return
	}
	sctx, cancel := detach(ctx)
	defer cancel()
	if err := w.complete(sctx, h.key, h.owner, b, h.ttl); err != nil {
		logger(ctx).Error("idem: outcome not recorded; Temporal still gets it from this attempt", "key", h.key, "error", err)
	}
}

// giveUp releases the claim (the next attempt runs the body afresh), or
// abandons it to a takeover when the outcome is uncertain or pending data
// lets the next attempt resume.
func (w *wrapper[In, Out]) giveUp(ctx context.Context, h *holder, uncertain bool) {
	sctx, cancel := detach(ctx)
	defer cancel()
	var err error
	if uncertain || h.hasPending() {
		err = w.store.Abandon(sctx, h.key, h.owner)
	} else {
		err = w.store.Release(sctx, h.key, h.owner)
	}
	if err != nil {
		logger(ctx).Warn("idem: claim not given up; the next attempt waits for its lease", "key", h.key, "error", err)
	}
}

// detach returns a context for the store calls that follow the body: not
// cancelled with ctx (the body's outcome must be recorded even when the
// activity is being cancelled) but bounded by storeTimeout.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Done() == nil { // never cancelled: no timer needed
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

func deadline(ctx context.Context) time.Time {
	if activity.IsActivity(ctx) {
		return activity.GetInfo(ctx).Deadline
	}
	return time.Time{}
}

func attempt(ctx context.Context) int32 {
	if activity.IsActivity(ctx) {
		return activity.GetInfo(ctx).Attempt
	}
	return 1
}

// clockBase anchors monoNow.
var clockBase = time.Now()

// monoNow is time.Now for local durations: it reads only the monotonic
// clock (half the cost of time.Now), so its wall reading ignores clock
// steps since the process started. Compare it with time.Since and
// time.Until only.
func monoNow() time.Time { return clockBase.Add(time.Since(clockBase)) }
