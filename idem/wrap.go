package idem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
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
//     [WithReconcile] hook) runs fn with the key in its context ([KeyFrom]);
//     its result, or its non-retryable failure, is recorded and returned;
//     a retryable failure (or a panic) releases the claim so the next
//     attempt runs fn again;
//   - a recorded outcome is decoded and returned without running fn;
//   - a live claim held by another attempt returns a retryable
//     [ErrTypeInProgress] error whose NextRetryDelay is the remaining lease;
//   - a record with another fingerprint returns a non-retryable
//     [ErrTypeKeyReused] error.
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
	w := &wrapper[In, Out]{store: store, fn: fn, cfg: cfg}
	w.key, w.reconcile = typed[In, Out](cfg)
	if w.cfg.ttl <= 0 {
		w.cfg.ttl = DefaultTTL
	}
	return w.call
}

type wrapper[In, Out any] struct {
	store     Store
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
	fp, err := Fingerprint(in)
	if err != nil {
		return zero, invalidError("idem: fingerprint the input of key %q: %v: the input must encode as JSON", key, err)
	}
	owner := newOwner()
	c, err := w.store.Claim(ctx, ClaimRequest{Key: key, Fingerprint: fp, Owner: owner, Lease: w.lease(ctx), TTL: w.cfg.ttl})
	if err != nil {
		return zero, storeError(key, err)
	}
	switch c.Status {
	case ClaimDone:
		return decodeOutcome[Out](key, c.Record.Outcome)
	case ClaimBusy:
		return zero, inProgressError(key, c)
	case ClaimMismatch:
		return zero, keyReusedError(key, c.Record.Fingerprint, fp)
	case ClaimTakenOver:
		logger(ctx).Warn("idem: taking over a claim whose lease ended", "key", key, "previous_owner", c.PreviousOwner)
		if w.reconcile != nil {
			out, found, err := w.reconcile(WithKeyContext(ctx, key), key, in)
			if err != nil {
				w.giveUp(ctx, key, owner, true)
				return zero, err
			}
			if found {
				w.finish(ctx, key, owner, out, nil)
				return out, nil
			}
		}
	case ClaimNew:
	default:
		return zero, storeError(key, fmt.Errorf("store returned unknown claim status %d", c.Status))
	}
	return w.run(ctx, key, owner, in)
}

func (w *wrapper[In, Out]) run(ctx context.Context, key, owner string, in In) (out Out, err error) {
	returned := false
	defer func() {
		if !returned { // fn panicked: the outcome is unknown
			w.giveUp(ctx, key, owner, w.reconcile != nil)
		}
	}()
	out, err = w.fn(WithKeyContext(ctx, key), in)
	returned = true
	if err == nil {
		w.finish(ctx, key, owner, out, nil)
		return out, nil
	}
	// Only a top-level ApplicationError is non-retryable to Temporal.
	if ae, ok := err.(*temporal.ApplicationError); ok && ae.NonRetryable() && !w.cfg.skipFailures {
		w.finish(ctx, key, owner, out, ae)
		return out, err
	}
	w.giveUp(ctx, key, owner, w.reconcile != nil)
	return out, err
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

// lease is WithLease, or the attempt's remaining time plus LeaseMargin.
func (w *wrapper[In, Out]) lease(ctx context.Context) time.Duration {
	if w.cfg.lease > 0 {
		return w.cfg.lease
	}
	if activity.IsActivity(ctx) {
		if d := activity.GetInfo(ctx).Deadline; !d.IsZero() {
			return time.Until(d) + LeaseMargin
		}
	}
	return DefaultLease
}

// finish records the outcome: out, or failure when it is non-nil.
func (w *wrapper[In, Out]) finish(ctx context.Context, key, owner string, out Out, failure *temporal.ApplicationError) {
	b, err := encodeOutcome(out, failure)
	if err != nil {
		logger(ctx).Error("idem: result does not encode as JSON and is not recorded; a later attempt reconciles or runs the body again",
			"key", key, "error", err)
		w.giveUp(ctx, key, owner, true)
		return
	}
	sctx, cancel := detach(ctx)
	defer cancel()
	if err := w.store.Complete(sctx, key, owner, b, w.cfg.ttl); err != nil {
		logger(ctx).Error("idem: outcome not recorded; Temporal still gets it from this attempt", "key", key, "error", err)
	}
}

// giveUp releases the claim (the next attempt runs the body), or abandons it
// when the outcome is uncertain and a reconcile hook can settle it.
func (w *wrapper[In, Out]) giveUp(ctx context.Context, key, owner string, abandon bool) {
	sctx, cancel := detach(ctx)
	defer cancel()
	var err error
	if abandon {
		err = w.store.Abandon(sctx, key, owner)
	} else {
		err = w.store.Release(sctx, key, owner)
	}
	if err != nil {
		logger(ctx).Warn("idem: claim not released; the next attempt waits for its lease", "key", key, "error", err)
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

// Fingerprint is the input fingerprint [Wrap] records with a key: the
// SHA-256 (hex) of in's JSON encoding. Map keys are sorted by encoding/json,
// so equal inputs have equal fingerprints.
func Fingerprint(in any) (string, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}

// The recorded outcome is a JSON document, {"result": ...} or
// {"error": {"type": ..., "message": ..., "category": ...}}.
type failure struct {
	Type     string `json:"type"`
	Message  string `json:"message"`
	Category int    `json:"category,omitempty"`
}

func encodeOutcome[Out any](out Out, f *temporal.ApplicationError) ([]byte, error) {
	if f != nil {
		return json.Marshal(struct {
			Error failure `json:"error"`
		}{failure{Type: f.Type(), Message: f.Message(), Category: int(f.Category())}})
	}
	return json.Marshal(struct {
		Result Out `json:"result"`
	}{out})
}

func decodeOutcome[Out any](key string, b []byte) (Out, error) {
	var o struct {
		Result Out      `json:"result"`
		Error  *failure `json:"error"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o.Result, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("idem: recorded result of key %q does not decode into %T: %v: delete the record or wait for its TTL", key, o.Result, err),
			ErrTypeUnreadable, nil)
	}
	if o.Error != nil {
		var zero Out
		return zero, temporal.NewApplicationErrorWithOptions(o.Error.Message, o.Error.Type, temporal.ApplicationErrorOptions{
			NonRetryable: true, Category: temporal.ApplicationErrorCategory(o.Error.Category),
		})
	}
	return o.Result, nil
}

// Owners are unique per call: host, process, process start and a counter.
var (
	ownerPrefix = func() string {
		host, _ := os.Hostname()
		return host + ":" + strconv.Itoa(os.Getpid()) + ":" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	}()
	ownerSeq atomic.Uint64
)

func newOwner() string {
	return ownerPrefix + strconv.FormatUint(ownerSeq.Add(1), 10)
}

func logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(slog.Default())
}
