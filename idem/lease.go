package idem

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// holder is one call's hold on its key while the reconcile hook and the
// body run: it renews the lease, heartbeats, cancels the body when the
// lease is lost, and carries the pending data.
type holder struct {
	store      Store
	key, owner string
	lease, ttl time.Duration
	// claimed is the local time just before the claim: the store's lease
	// began after it, so it lasts at least until claimed + lease.
	claimed time.Time

	cancel context.CancelCauseFunc
	body   bodyCtx
	// The renewer is a timer: a body that returns before the first renewal
	// costs no goroutine. tmu guards timer and stopped; ticks runs while a
	// renewal is in progress; valid is the renewer's own (ticks are serial).
	tmu     sync.Mutex
	timer   *time.Timer
	stopped bool
	ticks   sync.WaitGroup
	valid   time.Time

	mu      sync.Mutex
	pending []byte
	details []any
	lost    error
}

// renewal is how a holder renews: every so often, and whether it heartbeats.
type renewal struct {
	every     time.Duration
	heartbeat bool
}

type holderKey struct{}

func holderFrom(ctx context.Context) *holder {
	h, _ := ctx.Value(holderKey{}).(*holder)
	return h
}

// bodyCtx is the body's context: ctx made cancellable, carrying the key
// ([KeyFrom]) and the holder. One value inside the holder instead of a
// context.WithValue each saves two allocations per call.
type bodyCtx struct {
	context.Context
	h *holder
}

// Value implements [context.Context].
func (c *bodyCtx) Value(k any) any {
	switch k.(type) {
	case keyCtx:
		return c.h.key
	case holderKey:
		return c.h
	}
	return c.Context.Value(k)
}

// start returns the body's context and starts renewing.
func (h *holder) start(ctx context.Context, r renewal) context.Context {
	cctx, cancel := context.WithCancelCause(ctx)
	h.cancel = cancel
	h.body = bodyCtx{Context: cctx, h: h}
	h.tmu.Lock() // the first renewal may not see the timer before it is set
	defer h.tmu.Unlock()
	h.valid = h.claimed.Add(h.lease)
	h.timer = time.AfterFunc(r.every, func() { h.renew(ctx, r) })
	return &h.body
}

// holding reports whether the lease is still renewed (stop has not been called).
func (h *holder) holding() bool {
	h.tmu.Lock()
	defer h.tmu.Unlock()
	return !h.stopped
}

// stop stops renewing and waits for a renewal in progress; the body has
// returned.
func (h *holder) stop() {
	h.tmu.Lock()
	if h.stopped {
		h.tmu.Unlock()
		return
	}
	h.stopped = true
	h.timer.Stop()
	h.tmu.Unlock()
	h.ticks.Wait()
	h.cancel(nil)
}

// renew heartbeats and extends the lease once, then schedules the next
// renewal. A refused renewal (ErrNotOwner) loses the lease and ends the
// renewals; a failed one loses it when the lease could end before the next
// try, and renewals go on, for a body that ignores cancellation.
func (h *holder) renew(ctx context.Context, r renewal) {
	h.tmu.Lock()
	if h.stopped {
		h.tmu.Unlock()
		return
	}
	h.ticks.Add(1)
	h.tmu.Unlock()
	defer h.ticks.Done()

	if r.heartbeat {
		activity.RecordHeartbeat(ctx, h.heartbeatDetails()...)
	}
	began := time.Now()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.every)
	err := h.store.Renew(rctx, h.key, h.owner, h.lease, h.ttl)
	cancel()
	switch {
	case err == nil:
		h.valid = began.Add(h.lease)
	case errors.Is(err, ErrNotOwner):
		logger(ctx).Error("idem: lease lost: another attempt took the key over; cancelling the body", "key", h.key)
		h.lose(fmt.Errorf("%w: %w", ErrLeaseLost, err))
		return
	default:
		logger(ctx).Warn("idem: lease not renewed", "key", h.key, "error", err, "lease_left", time.Until(h.valid))
		if time.Until(h.valid) <= r.every {
			h.lose(fmt.Errorf("%w: the store did not renew it before it could end: %w", ErrLeaseLost, err))
		}
	}
	h.tmu.Lock()
	if !h.stopped {
		h.timer.Reset(r.every)
	}
	h.tmu.Unlock()
}

// lose records why the lease is lost and cancels the body with it.
func (h *holder) lose(err error) {
	h.mu.Lock()
	if h.lost == nil {
		h.lost = err
	}
	h.mu.Unlock()
	h.cancel(err)
}

// failed is the error to return for the body's err: err itself, or an
// ErrTypeLeaseLost error when the lease was lost meanwhile.
func (h *holder) failed(err error) error {
	h.mu.Lock()
	lost := h.lost
	h.mu.Unlock()
	if lost == nil {
		return err
	}
	return leaseLostError(h.key, errors.Join(lost, err))
}

func (h *holder) lostErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost
}

func (h *holder) heartbeatDetails() []any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.details
}

// Heartbeat records an activity heartbeat with details, as
// [activity.RecordHeartbeat] does, and inside a [Wrap]ped body remembers
// details so that Wrap's own heartbeats (see [WithHeartbeats]) repeat them
// instead of replacing them on the server. Call it instead of
// activity.RecordHeartbeat inside wrapped bodies that report progress.
// Outside an activity it does nothing.
func Heartbeat(ctx context.Context, details ...any) {
	if h := holderFrom(ctx); h != nil {
		h.mu.Lock()
		h.details = details
		h.mu.Unlock()
	}
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}
