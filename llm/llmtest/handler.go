package llmtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Handler is an OpenAI-compatible endpoint for chat completions and the
// Responses API that answers from a script of [Reply] values, generates
// answers on the server like a provider (billed even when the client goes
// away) and records every request and every generation. It serves, under
// any path prefix (so a base URL ending in "/v1/" works):
//
//   - POST .../chat/completions ([EndpointChat]);
//   - POST .../responses ([EndpointResponses]), with or without
//     "background": true and "stream": true;
//   - GET .../responses/{id} ([EndpointRetrieve]), streamed with
//     ?stream=true&starting_after=N or a JSON body {"stream": true};
//   - POST .../responses/{id}/cancel ([EndpointCancel]);
//
// and answers 404 or 405 with an OpenAI error for anything else.
//
// Use it directly on a real listener (see [Listen]) or through [Server] in
// tests. The zero Handler is ready to use and a Handler is safe for
// concurrent use.
type Handler struct {
	mu       sync.Mutex
	script   []Reply
	scripts  map[Endpoint][]Reply
	fallback func(Request) Reply
	requests []Request
	calls    []*callRecord
	byID     map[string]*callRecord
	handled  int
	billed   int
	changed  chan struct{} // closed and replaced on every state change
	done     chan struct{} // closed by Close
	closed   bool
}

// NewHandler returns an empty Handler: with no script it answers every
// generation request with the default echo reply.
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
	if h.byID == nil {
		h.byID = map[string]*callRecord{}
	}
	if h.scripts == nil {
		h.scripts = map[Endpoint][]Reply{}
	}
}

// notifyLocked wakes every waiter; h.mu must be held.
func (h *Handler) notifyLocked() {
	h.initLocked()
	close(h.changed)
	h.changed = make(chan struct{})
}

// closing returns the channel Close closes.
func (h *Handler) closing() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.initLocked()
	return h.done
}

// Enqueue appends replies to the shared script of generation requests
// (chat completions and Responses creates alike). Requests take replies in
// FIFO order, after any reply queued for their endpoint with
// [Handler.EnqueueOn]; once both are empty, the default applies (see
// [Handler.SetDefault]).
func (h *Handler) Enqueue(replies ...Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.script = append(h.script, replies...)
}

// EnqueueOn appends replies to the script of one endpoint; requests to ep
// take them before the shared script. It is the only way to script
// [EndpointRetrieve] and [EndpointCancel], whose requests otherwise get
// their normal answer: for example
// EnqueueOn(EndpointRetrieve, ServerError(503)) fails the next retrieve,
// and EnqueueOn(EndpointRetrieve, Reply{CutAfter: 3}) cuts the next resumed
// stream after 3 events.
func (h *Handler) EnqueueOn(ep Endpoint, replies ...Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.initLocked()
	h.scripts[ep] = append(h.scripts[ep], replies...)
}

// SetDefault sets the function that chooses the reply of a generation
// request when the scripts are empty; it sees the parsed request (Status
// not yet set; Endpoint tells chat from Responses). It must be safe for
// concurrent use. Nil restores the built-in default: the echo reply,
// content "echo: <last user message>", tokens counted as words.
func (h *Handler) SetDefault(f func(Request) Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fallback = f
}

// Pending returns how many scripted replies have not been used yet, over
// all scripts.
func (h *Handler) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.script)
	for _, s := range h.scripts {
		n += len(s)
	}
	return n
}

// Close stops the server's work: requests that are hanging, delayed or
// stalled, and streams waiting for events, have their connections cut
// without an answer (their Status stays 0); generations still running stop
// and are not billed; background responses held queued stop too. After
// Close, replies and generations that wait cut their connection at once;
// ones that need no time are still served. Close is idempotent.
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
	req := Request{
		Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Time: time.Now(),
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
	}
	early := route(r, &req)

	h.mu.Lock()
	h.initLocked()
	idx := len(h.requests)
	h.requests = append(h.requests, req)
	var reply Reply
	switch {
	case early != nil:
		reply = *early
	case len(h.scripts[req.Endpoint]) > 0:
		reply = h.scripts[req.Endpoint][0]
		h.scripts[req.Endpoint] = h.scripts[req.Endpoint][1:]
	case !req.Endpoint.generates():
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

	c := &conn{h: h, w: w, r: r, req: req, idx: idx, reply: reply, done: done}
	switch {
	case early != nil:
		c.prelude(false)
	case req.Endpoint == EndpointChat:
		c.serveChat()
	case req.Endpoint == EndpointResponses:
		c.serveCreate()
	case req.Endpoint == EndpointRetrieve:
		c.serveRetrieve()
	case req.Endpoint == EndpointCancel:
		c.serveCancel()
	}
}

// route sets the endpoint and body-derived fields of req from r. It
// returns the error reply for a request the server refuses, nil otherwise.
func route(r *http.Request, req *Request) *Reply {
	path := r.URL.Path
	method, parse := http.MethodPost, func() error { return nil }
	switch {
	case strings.HasSuffix(path, "/chat/completions"):
		req.Endpoint, parse = EndpointChat, func() error { return parseRequest(req) }
	case strings.Contains(path, "/responses"):
		rest := strings.Trim(path[strings.LastIndex(path, "/responses")+len("/responses"):], "/")
		parts := strings.Split(rest, "/")
		switch {
		case rest == "":
			req.Endpoint, parse = EndpointResponses, func() error { return parseResponsesRequest(req) }
		case len(parts) == 1:
			req.Endpoint, req.ResponseID, method = EndpointRetrieve, parts[0], http.MethodGet
			parse = func() error { return parseRetrieve(req, r.URL.Query()) }
		case len(parts) == 2 && parts[1] == "cancel":
			req.Endpoint, req.ResponseID = EndpointCancel, parts[0]
		}
	}
	switch {
	case req.Endpoint == "":
		return &Reply{Status: http.StatusNotFound, Error: &APIError{
			Message: fmt.Sprintf("Invalid URL (%s %s): llmtest serves POST .../chat/completions, POST .../responses, GET .../responses/{id} and POST .../responses/{id}/cancel.", r.Method, path),
			Type:    "invalid_request_error",
		}}
	case r.Method != method:
		return &Reply{Status: http.StatusMethodNotAllowed, Error: &APIError{
			Message: fmt.Sprintf("Method %s not allowed: use %s.", r.Method, method),
			Type:    "invalid_request_error",
		}}
	}
	if err := parse(); err != nil {
		var bad errBadRequest
		if errors.As(err, &bad) {
			return &Reply{Status: http.StatusBadRequest, Error: &APIError{Message: bad.msg, Type: "invalid_request_error", Param: bad.param, Code: bad.code}}
		}
		return &Reply{Status: http.StatusBadRequest, Error: &APIError{
			Message: "We could not parse the JSON body of your request: " + err.Error(),
			Type:    "invalid_request_error",
		}}
	}
	return nil
}
