package idem

import (
	"context"
	"fmt"
	"reflect"
	"time"
)

const (
	// DefaultLease is the lease [Wrap] takes without [WithLease] outside an
	// activity or when the activity has no HeartbeatTimeout (with one, the
	// lease is the HeartbeatTimeout). When the attempt's deadline is nearer,
	// the lease is the time left until it, but at least [MinLease]. The
	// lease is renewed while the body runs, so it bounds how long a crashed
	// holder blocks the key, not how long the body may run.
	DefaultLease = 30 * time.Second
	// MinLease is the shortest lease [Wrap] derives from an activity's
	// deadline.
	MinLease = time.Second
	// DefaultTTL is how long [Wrap] keeps a record without [WithTTL].
	DefaultTTL = 24 * time.Hour
)

// Option configures [Wrap].
type Option func(*config)

type config struct {
	key          any // func(context.Context, In) (string, error)
	keyType      reflect.Type
	reconcile    any // func(context.Context, string, In) (Out, bool, error)
	recType      [2]reflect.Type
	lease, ttl   time.Duration
	skipFailures bool
	noHeartbeats bool
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithKey makes f compute the key from the input: a business key such as
// "charge:order-123" stays the same across retries, continue-as-new, resets
// and even other workflows, so the side effect happens once per business
// request. Put the kind of request in the key: all wrapped activities
// sharing a store share one key space.
//
// In must be the input type of the function given to [Wrap], which panics
// otherwise. An error from f fails the call with a non-retryable
// [ErrTypeInvalid] error, unless it is itself a [temporal.ApplicationError],
// which is returned as is.
func WithKey[In any](f func(ctx context.Context, in In) (string, error)) Option {
	return func(c *config) {
		c.key, c.keyType = f, reflect.TypeFor[In]()
	}
}

// WithReconcile sets a hook that runs when a claim was taken over from an
// owner whose lease ended (it crashed, or its attempt failed in a way that
// leaves the outcome unknown), and when an attempt after the first finds no
// record (a claim lost with its host), before the body runs again. It asks
// the outside system what happened, for example a payment lookup by key:
// found=true records out as the result without running the body;
// found=false runs the body; an error is returned and the claim is abandoned
// so that the next attempt reconciles again. [KeyFrom] and [Pending] work
// in f, and the lease is renewed while it runs.
//
// With a reconcile hook, a retryable failure of the body abandons the claim
// instead of releasing it (the side effect may have happened), so the next
// attempt reconciles too.
//
// In and Out must match the function given to [Wrap], which panics otherwise.
func WithReconcile[In, Out any](f func(ctx context.Context, key string, in In) (out Out, found bool, err error)) Option {
	return func(c *config) {
		c.reconcile, c.recType = f, [2]reflect.Type{reflect.TypeFor[In](), reflect.TypeFor[Out]()}
	}
}

// WithLease sets the lease of a claim: how long after its holder's last
// renewal another attempt may take the key over. [Wrap] renews the lease
// every third of it while the body runs, so a live holder keeps its key
// however long the body takes, and a crashed one blocks the key for at most
// d. Without it (or with d <= 0) the lease is the activity's
// HeartbeatTimeout when set, else [DefaultLease] or the time left until
// the attempt's deadline when shorter (at least [MinLease]).
//
// A shorter lease means a faster takeover after a crash and more store
// writes (one renewal per d/3 per running call); a lease much longer than
// the HeartbeatTimeout delays the retry after a crash by the difference.
func WithLease(d time.Duration) Option {
	return func(c *config) { c.lease = d }
}

// WithTTL sets how long a record is kept after its claim and again after
// completion ([DefaultTTL] without it, or with d <= 0). Within the TTL every
// call with the key returns the recorded outcome; after it the key is
// forgotten and may be used afresh, with any input. Make it longer than the
// activity's ScheduleToCloseTimeout, and for business keys longer than any
// window in which a duplicate request may arrive.
func WithTTL(d time.Duration) Option {
	return func(c *config) { c.ttl = d }
}

// WithRecordFailures says whether a non-retryable failure of the body (a
// top-level [temporal.ApplicationError] with NonRetryable set) is recorded
// and returned to later calls with the key instead of running the body again
// (the default, true). The recorded error keeps its type, message and
// category but not its details or cause.
func WithRecordFailures(record bool) Option {
	return func(c *config) { c.skipFailures = !record }
}

// WithHeartbeats says whether [Wrap] heartbeats on its own while the body
// runs (default true). It does so, with each lease renewal, only in a
// regular (not local) activity that has a HeartbeatTimeout, so that a body
// which does not heartbeat keeps its attempt alive and a crashed worker is
// detected after the HeartbeatTimeout. A heartbeat replaces the details
// the server holds, so a body that reports details must report them with
// [Heartbeat], whose last details Wrap's own heartbeats repeat, or pass
// WithHeartbeats(false) and heartbeat often enough itself.
func WithHeartbeats(on bool) Option {
	return func(c *config) { c.noHeartbeats = !on }
}

// typed checks the generic options against Wrap's types. It panics, at Wrap
// time, on a mismatch.
func typed[In, Out any](c config) (func(context.Context, In) (string, error), func(context.Context, string, In) (Out, bool, error)) {
	var (
		key func(context.Context, In) (string, error)
		rec func(context.Context, string, In) (Out, bool, error)
		ok  bool
	)
	if c.key != nil {
		if key, ok = c.key.(func(context.Context, In) (string, error)); !ok {
			panic(fmt.Sprintf("idem: WithKey[%s] given to Wrap of a function taking %s", c.keyType, reflect.TypeFor[In]()))
		}
	}
	if c.reconcile != nil {
		if rec, ok = c.reconcile.(func(context.Context, string, In) (Out, bool, error)); !ok {
			panic(fmt.Sprintf("idem: WithReconcile[%s, %s] given to Wrap of a function from %s to %s",
				c.recType[0], c.recType[1], reflect.TypeFor[In](), reflect.TypeFor[Out]()))
		}
	}
	return key, rec
}
