package llmtest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Handler is an OpenAI-compatible chat-completions endpoint that answers from
// a script of [Reply] values and records every request. It serves
// POST .../chat/completions (any prefix, so a base URL ending in "/v1/"
// works) and answers 404 or 405 with an OpenAI error for anything else.
//
// Use it directly on a real listener (see [Listen]) or through [Server] in
// tests. The zero Handler is ready to use and a Handler is safe for
// concurrent use.
type Handler struct {
	mu       sync.Mutex
	script   []Reply
	fallback func(Request) Reply
	requests []Request
	handled  int
	billed   int
	changed  chan struct{} // closed and replaced on every state change
	done     chan struct{} // closed by Close
	closed   bool
}

// NewHandler returns an empty Handler: with no script it answers every
// request with the default echo reply.
func NewHandler() *Handler {
	h := &Handler{}
	h.mu.Lock()
	h.initLocked()
	h.mu.Unlock()
	return h
}

func (h *Handler) initLocked() {
	if h.changed == nil {
		h.changed = make(chan struct{})
	}
	if h.done == nil {
		h.done = make(chan struct{})
	}
}

// notifyLocked wakes every waiter; h.mu must be held.
func (h *Handler) notifyLocked() {
	h.initLocked()
	close(h.changed)
	h.changed = make(chan struct{})
}

// Enqueue appends replies to the script. Requests take replies in FIFO
// order; once the script is empty, the default applies (see
// [Handler.SetDefault]).
func (h *Handler) Enqueue(replies ...Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.script = append(h.script, replies...)
}

// SetDefault sets the function that chooses the reply when the script is
// empty; it sees the parsed request (Status not yet set). It must be safe
// for concurrent use. Nil restores the built-in default: the echo reply,
// content "echo: <last user message>", tokens counted as words.
func (h *Handler) SetDefault(f func(Request) Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fallback = f
}

// Pending returns how many scripted replies have not been used yet.
func (h *Handler) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.script)
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

// Billed returns how many requests produced a paid completion: answers
// with a 2xx status that were started, truncated, stalled and dropped
// streams included. Errors, and requests whose client left during Delay or
// Hang, are not billed. The count is updated before the first byte of the
// answer is written, so it is exact as soon as the client has an answer.
func (h *Handler) Billed() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.billed
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

// Close releases requests that are hanging, delayed or stalled: their
// connections are cut without an answer and their Status stays 0. After
// Close, replies that wait (Hang, Delay, Stall, ChunkDelay) cut their
// connection at once; other replies are still served. Close is idempotent.
func (h *Handler) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.initLocked()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Header: r.Header.Clone(), Body: body, Time: time.Now()}

	var early *Reply
	switch {
	case !strings.HasSuffix(r.URL.Path, "/chat/completions"):
		early = &Reply{Status: http.StatusNotFound, Error: &APIError{
			Message: fmt.Sprintf("Invalid URL (%s %s): llmtest serves only POST .../chat/completions.", r.Method, r.URL.Path),
			Type:    "invalid_request_error",
		}}
	case r.Method != http.MethodPost:
		early = &Reply{Status: http.StatusMethodNotAllowed, Error: &APIError{
			Message: fmt.Sprintf("Method %s not allowed: use POST.", r.Method),
			Type:    "invalid_request_error",
		}}
	default:
		if err := parseRequest(&req); err != nil {
			early = &Reply{Status: http.StatusBadRequest, Error: &APIError{
				Message: "We could not parse the JSON body of your request: " + err.Error(),
				Type:    "invalid_request_error",
			}}
		}
	}

	h.mu.Lock()
	h.initLocked()
	idx := len(h.requests)
	h.requests = append(h.requests, req)
	var reply Reply
	switch {
	case early != nil:
		reply = *early
	case len(h.script) > 0:
		reply = h.script[0]
		h.script = h.script[1:]
	case h.fallback != nil:
		f := h.fallback
		h.mu.Unlock()
		reply = f(req)
		h.mu.Lock()
	}
	done := h.done
	h.notifyLocked()
	h.mu.Unlock()

	defer func() {
		h.mu.Lock()
		h.handled++
		h.notifyLocked()
		h.mu.Unlock()
	}()

	a := &answer{h: h, w: w, r: r, req: req, idx: idx, reply: reply, done: done}
	a.serve()
}

// record sets the final status of request idx and, for a 2xx status,
// counts it as billed with its token counts.
func (h *Handler) record(idx, status, prompt, completion int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	rq := &h.requests[idx]
	rq.Status = status
	if status >= 200 && status < 300 {
		rq.Billed = true
		rq.PromptTokens, rq.CompletionTokens = prompt, completion
		h.billed++
	}
	h.notifyLocked()
}
