package llmtest

import (
	"maps"
	"time"
)

// Call is one generation the server started: a chat completion or a
// response, as recorded by [Handler.Calls]. A generation runs on the
// server like a provider's: it goes on when its client goes away, and it
// is billed once, when it ends.
type Call struct {
	// ID is "chatcmpl-llmtest-<n>" or "resp_llmtest_<n>", n being the
	// arrival number of the request that started it.
	ID string
	// Endpoint is [EndpointChat] or [EndpointResponses].
	Endpoint Endpoint
	// Model is the requested model.
	Model string
	// Request is the index in [Handler.Requests] of the request that
	// started the generation.
	Request int
	// Background and Stream are the request's flags.
	Background, Stream bool
	// Status is the generation's status: [StatusQueued] (background, not
	// started), [StatusInProgress], then [StatusCompleted],
	// [StatusIncomplete], [StatusFailed] or [StatusCancelled].
	Status string
	// Billed reports whether the generation was billed: every generation
	// that ended, and a cancelled one that had left the queue. A
	// generation stopped by [Handler.Close] is not billed.
	Billed bool
	// InputTokens and OutputTokens are the tokens billed: the whole answer
	// when it ran to its end, the pieces produced before a cancel.
	InputTokens, OutputTokens int
	// Held reports that the generation is paused at its [Reply.Hold]:
	// every piece before the last was produced (and streamed). It turns
	// false when the hold ends.
	Held bool
	// Abandoned reports that a client waiting for this generation's answer
	// (the creating request, or a stream of its events) went away before
	// receiving all of it. The generation went on and was billed anyway.
	Abandoned bool
	// Delivered reports that some client received the generation's final
	// state: the whole answer, the terminal stream event, or a terminal
	// response object (from create, retrieve or cancel).
	Delivered bool
	// DeliveredAt is when the final state was first delivered, zero when
	// it was not.
	DeliveredAt time.Time
	// Cancelled reports a cancelled response.
	Cancelled bool
	// IdempotencyKey is the Idempotency-Key header of the creating
	// request, "" when absent.
	IdempotencyKey string
	// Metadata is the creating request's metadata, nil when absent.
	Metadata map[string]string
	// Created is when the request arrived; Finished when the generation
	// ended (zero while it runs).
	Created, Finished time.Time
}

// Stats are totals over every [Call], from [Handler.Stats].
type Stats struct {
	// Calls counts generations started.
	Calls int
	// Billed counts generations billed; InputTokens and OutputTokens sum
	// their billed tokens.
	Billed, InputTokens, OutputTokens int
	// Abandoned and Cancelled count calls with those flags.
	Abandoned, Cancelled int
	// InFlight counts generations not ended yet (queued or in progress).
	InFlight int
}

// callRecord is the handler's side of a generation, guarded by h.mu.
type callRecord struct {
	call    Call
	gen     *generation
	settled bool // ended, or stopped by Close
}

func (h *Handler) addCall(g *generation, reqIdx int) *callRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.initLocked()
	rec := &callRecord{gen: g, call: Call{
		ID: g.id, Endpoint: g.ep, Model: g.req.Model, Request: reqIdx,
		Background: g.background, Stream: g.req.Stream, Status: g.status,
		IdempotencyKey: g.req.IdempotencyKey, Metadata: maps.Clone(g.req.Metadata), Created: g.created,
	}}
	h.calls = append(h.calls, rec)
	h.byID[g.id] = rec
	h.requests[reqIdx].CallID = g.id
	h.notifyLocked()
	return rec
}

func (h *Handler) setCallStatus(rec *callRecord, status string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec.call.Status = status
	h.notifyLocked()
}

// finishCall records the end of a generation and its billing.
func (h *Handler) finishCall(rec *callRecord, status string, billed bool, input, output int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := &rec.call
	c.Status, c.Finished, c.Cancelled = status, time.Now(), status == StatusCancelled
	rec.settled = true
	if billed {
		c.Billed, c.InputTokens, c.OutputTokens = true, input, output
		h.billed++
		rq := &h.requests[c.Request]
		rq.Billed, rq.PromptTokens, rq.CompletionTokens = true, input, output
	}
	h.notifyLocked()
}

func (h *Handler) settleCall(rec *callRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec.settled = true
	h.notifyLocked()
}

func (h *Handler) setHeld(rec *callRecord, held bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec.call.Held = held
	h.notifyLocked()
}

func (h *Handler) markAbandoned(rec *callRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec.call.Abandoned = true
	h.notifyLocked()
}

func (h *Handler) markDelivered(rec *callRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !rec.call.Delivered {
		rec.call.Delivered, rec.call.DeliveredAt = true, time.Now()
	}
	h.notifyLocked()
}

// recordStatus sets the HTTP status answered to request idx.
func (h *Handler) recordStatus(idx, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests[idx].Status = status
	h.notifyLocked()
}

// response returns the stored response id, nil when there is none (or it
// was created with store=false).
func (h *Handler) response(id string) *generation {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec := h.byID[id]
	if rec == nil || rec.call.Endpoint != EndpointResponses || !rec.gen.echo.store {
		return nil
	}
	return rec.gen
}

// Requests returns every request received so far, in arrival order,
// including pending ones and ones answered with an error.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Request, len(h.requests))
	copy(out, h.requests)
	return out
}

// Billed returns how many generations were billed (see [Call.Billed]). A
// generation is billed when it ends, before the client can see the end of
// its answer (the body, the finish chunk, the terminal event), so the
// count is exact as soon as a client has a whole answer; for answers no
// client waited for, wait with [Handler.WaitSettled] first.
func (h *Handler) Billed() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.billed
}

// Calls returns every generation started so far, in start order.
func (h *Handler) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Call, len(h.calls))
	for i, rec := range h.calls {
		out[i] = rec.call
		out[i].Metadata = maps.Clone(rec.call.Metadata)
	}
	return out
}

// Call returns the generation with the given id and whether there is one.
func (h *Handler) Call(id string) (Call, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec := h.byID[id]
	if rec == nil {
		return Call{}, false
	}
	c := rec.call
	c.Metadata = maps.Clone(c.Metadata)
	return c, true
}

// Stats returns totals over every generation started so far.
func (h *Handler) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	var s Stats
	for _, rec := range h.calls {
		c := rec.call
		s.Calls++
		if c.Billed {
			s.Billed++
			s.InputTokens += c.InputTokens
			s.OutputTokens += c.OutputTokens
		}
		if c.Abandoned {
			s.Abandoned++
		}
		if c.Cancelled {
			s.Cancelled++
		}
		if !rec.settled {
			s.InFlight++
		}
	}
	return s
}

// WaitRequests waits until at least n requests have arrived, or timeout
// passes. It reports whether n requests arrived.
func (h *Handler) WaitRequests(n int, timeout time.Duration) bool {
	return h.wait(func() bool { return len(h.requests) >= n }, timeout)
}

// WaitHandled waits until at least n requests have been fully handled (the
// handler returned, their Status is final), or timeout passes. Use it after
// a client gave up, to observe [StatusClientClosedRequest].
func (h *Handler) WaitHandled(n int, timeout time.Duration) bool {
	return h.wait(func() bool { return h.handled >= n }, timeout)
}

// WaitSettled waits until no generation is in flight (every one ended and
// was billed, or was stopped by Close), or timeout passes. It reports
// whether they all settled. Use it before asserting on billing when a
// client went away mid-generation. A background response held queued by
// Hang stays in flight until it is cancelled.
func (h *Handler) WaitSettled(timeout time.Duration) bool {
	return h.wait(func() bool {
		for _, rec := range h.calls {
			if !rec.settled {
				return false
			}
		}
		return true
	}, timeout)
}

// WaitBilled waits until at least n generations were billed, or timeout
// passes. It reports whether n were billed.
func (h *Handler) WaitBilled(n int, timeout time.Duration) bool {
	return h.wait(func() bool { return h.billed >= n }, timeout)
}

// wait polls cond (called with h.mu held) on every state change.
func (h *Handler) wait(cond func() bool, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		h.mu.Lock()
		h.initLocked()
		ok, ch := cond(), h.changed
		h.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		}
	}
}
