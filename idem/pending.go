package idem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxPendingSize is the largest pending document [SetPending] records, in
// bytes of JSON: enough for ids and cursors, which is what belongs there.
const MaxPendingSize = 64 << 10

// SetPending records v (encoded as JSON) under the key of the wrapped call
// running with ctx, durably, as the in-flight marker of a paid effect that
// has started and not finished: typically the id of a generation a
// provider runs in the background. If the call dies (its worker crashes,
// or the body fails retryably), the attempt that takes the key over
// receives v through [Pending] and can resume the effect instead of paying
// for it again. A nil v clears the marker; a later SetPending replaces it.
// The marker lives until the outcome is recorded.
//
// Call it as soon as the effect has an id, before waiting for it: a crash
// between starting the effect and SetPending loses the id. With a marker
// recorded, a retryable failure of the body abandons the claim instead of
// releasing it, so the next attempt is a takeover that sees the marker.
//
// It returns [ErrNotWrapped] outside a wrapped body or reconcile hook, an
// error wrapping [ErrLeaseLost] (and [ErrNotOwner] when another attempt
// holds the key) when this call no longer holds the key, and an error when
// v does not encode, is larger than [MaxPendingSize], or the store fails.
// On any error the marker is not recorded: cancel the effect if you can
// and return the error.
func SetPending(ctx context.Context, v any) error {
	h := holderFrom(ctx)
	if h == nil {
		return ErrNotWrapped
	}
	var b []byte
	if v != nil {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return fmt.Errorf("idem: pending data of key %q does not encode as JSON: %w", h.key, err)
		}
		if len(b) > MaxPendingSize {
			return fmt.Errorf("idem: pending data of key %q is %d bytes, more than MaxPendingSize (%d): record an id or a cursor, not the content",
				h.key, len(b), MaxPendingSize)
		}
		if string(b) == "null" {
			b = nil
		}
	}
	if err := h.lostErr(); err != nil {
		return fmt.Errorf("idem: pending data of key %q not recorded: %w", h.key, err)
	}
	sctx, cancel := detach(ctx)
	defer cancel()
	err := h.store.SetPending(sctx, h.key, h.owner, b)
	if errors.Is(err, ErrNotOwner) {
		err = fmt.Errorf("%w: %w", ErrLeaseLost, err)
		h.lose(err)
	}
	if err != nil {
		return fmt.Errorf("idem: pending data of key %q not recorded: %w", h.key, err)
	}
	h.mu.Lock()
	h.pending = b
	h.mu.Unlock()
	return nil
}

// Pending decodes the in-flight marker of the wrapped call running with ctx
// into a T: the one the previous owner recorded with [SetPending] when this
// call took its key over, or the one this call recorded since. ok is false
// when there is none, and outside a wrapped body or reconcile hook.
func Pending[T any](ctx context.Context) (v T, ok bool, err error) {
	h := holderFrom(ctx)
	if h == nil {
		return v, false, nil
	}
	h.mu.Lock()
	b := h.pending
	h.mu.Unlock()
	if len(b) == 0 {
		return v, false, nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, false, fmt.Errorf("idem: pending data of key %q does not decode into %T: %w", h.key, v, err)
	}
	return v, true, nil
}

func (h *holder) hasPending() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pending) > 0
}
