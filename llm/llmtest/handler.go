package llmtest

import (
	"bytes"
	"encoding/json"
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
// connections are cut without an answer. Later requests are still served.
// Close is idempotent.
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

// answer carries the state of one reply being written.
type answer struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	req   Request
	idx   int
	reply Reply
	done  <-chan struct{}
}

// sleep waits d, or until the client leaves or the handler closes. It
// reports whether the full wait elapsed; when the handler closed it aborts
// the connection.
func (a *answer) sleep(d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-a.r.Context().Done():
		return false
	case <-a.done:
		panic(http.ErrAbortHandler)
	}
}

func (a *answer) serve() {
	rp := a.reply
	if rp.Hang {
		a.sleep(0)
		a.h.record(a.idx, StatusClientClosedRequest, 0, 0)
		return
	}
	if rp.Delay > 0 && !a.sleep(rp.Delay) {
		a.h.record(a.idx, StatusClientClosedRequest, 0, 0)
		return
	}
	status := rp.Status
	if status == 0 {
		status = http.StatusOK
	}
	a.setHeaders()
	switch {
	case rp.Body != "":
		if a.w.Header().Get("Content-Type") == "" {
			a.w.Header().Set("Content-Type", sniff(rp.Body))
		}
		a.h.record(a.idx, status, 0, 0)
		a.w.WriteHeader(status)
		_, _ = io.WriteString(a.w, rp.Body)
	case status >= 400:
		a.writeError(status)
	case a.req.Stream:
		a.writeStream(status)
	default:
		a.writeCompletion(status)
	}
}

func (a *answer) setHeaders() {
	hd := a.w.Header()
	hd.Set("X-Request-Id", fmt.Sprintf("req_llmtest_%d", a.idx+1))
	for k, v := range a.reply.Headers {
		hd.Set(k, v)
	}
}

// sniff picks the content type of a raw body.
func sniff(body string) string {
	if json.Valid([]byte(body)) {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// content returns the assistant content and the model of the answer.
func (a *answer) content() (content, model string) {
	content = a.reply.Content
	if content == "" && !a.reply.NoContent {
		content = "echo: " + a.req.LastUser()
	}
	model = a.reply.Model
	if model == "" {
		model = a.req.Model
	}
	return content, model
}

// tokens returns the prompt and completion token counts of the answer.
func (a *answer) tokens(content string) (prompt, completion int) {
	prompt, completion = a.reply.PromptTokens, a.reply.CompletionTokens
	if prompt == 0 {
		for _, m := range a.req.Messages {
			prompt += countWords(m.Content)
		}
	}
	if completion == 0 {
		completion = countWords(content)
	}
	return prompt, completion
}

func (a *answer) finishReason() string {
	if a.reply.FinishReason != "" {
		return a.reply.FinishReason
	}
	return "stop"
}

func (a *answer) writeError(status int) {
	e := a.reply.Error
	if e == nil {
		e = &APIError{Message: http.StatusText(status), Type: "server_error"}
		if status < 500 {
			e.Type = "invalid_request_error"
		}
	}
	model := a.reply.Model
	if model == "" {
		model = a.req.Model
	}
	msg := strings.ReplaceAll(e.Message, "{model}", model)
	b := mustJSON(wireErrorBody{Error: wireError{
		Message: msg, Type: e.Type, Param: nullable(e.Param), Code: nullable(e.Code),
	}})
	a.w.Header().Set("Content-Type", "application/json")
	a.h.record(a.idx, status, 0, 0)
	a.w.WriteHeader(status)
	_, _ = a.w.Write(b)
}

func (a *answer) writeCompletion(status int) {
	content, model := a.content()
	prompt, completion := a.tokens(content)
	fr := a.finishReason()
	b := mustJSON(wireCompletion{
		ID: a.id(), Object: "chat.completion", Created: a.req.Time.Unix(), Model: model,
		Choices: []wireChoice{{
			Index:        0,
			Message:      &wireMessage{Role: "assistant", Content: content, Annotations: []struct{}{}},
			FinishReason: &fr,
		}},
		Usage: &wireUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion},
	})
	a.w.Header().Set("Content-Type", "application/json")
	a.h.record(a.idx, status, prompt, completion)
	a.w.WriteHeader(status)
	if a.reply.Truncate || a.reply.Drop {
		b = b[:len(b)/2]
	}
	_, _ = a.w.Write(b)
	if a.reply.Drop {
		_ = http.NewResponseController(a.w).Flush()
		panic(http.ErrAbortHandler)
	}
}

func (a *answer) id() string {
	return fmt.Sprintf("chatcmpl-llmtest-%d", a.idx+1)
}

// event writes one SSE data event and flushes it. It reports whether the
// write succeeded.
func (a *answer) event(data []byte) bool {
	var buf bytes.Buffer
	buf.WriteString("data: ")
	buf.Write(data)
	buf.WriteString("\n\n")
	if _, err := a.w.Write(buf.Bytes()); err != nil {
		return false
	}
	return http.NewResponseController(a.w).Flush() == nil
}

func (a *answer) writeStream(status int) {
	rp := a.reply
	content, model := a.content()
	prompt, completion := a.tokens(content)
	chunk := func(choices []wireChoice, usage *wireUsage) []byte {
		return mustJSON(wireCompletion{
			ID: a.id(), Object: "chat.completion.chunk", Created: a.req.Time.Unix(), Model: model,
			Choices: choices, Usage: usage,
		})
	}
	delta := func(d wireDelta, fr *string) []byte {
		return chunk([]wireChoice{{Index: 0, Delta: &d, FinishReason: fr}}, nil)
	}

	hd := a.w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	a.h.record(a.idx, status, prompt, completion)
	a.w.WriteHeader(status)

	empty := ""
	if !a.event(delta(wireDelta{Role: "assistant", Content: &empty}, nil)) {
		return
	}
	for i, piece := range split(content, rp.Chunks) {
		if i > 0 && rp.ChunkDelay > 0 && !a.sleep(rp.ChunkDelay) {
			return
		}
		if !a.event(delta(wireDelta{Content: &piece}, nil)) {
			return
		}
	}
	switch {
	case rp.Truncate:
		return
	case rp.Stall:
		a.sleep(0)
		return
	case rp.Drop:
		panic(http.ErrAbortHandler)
	case rp.StreamError != nil:
		e := rp.StreamError
		a.event(mustJSON(wireErrorBody{Error: wireError{
			Message: e.Message, Type: e.Type, Param: nullable(e.Param), Code: nullable(e.Code),
		}}))
		return
	}
	fr := a.finishReason()
	if !a.event(delta(wireDelta{}, &fr)) {
		return
	}
	if a.req.IncludeUsage {
		usage := &wireUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
		if !a.event(chunk([]wireChoice{}, usage)) {
			return
		}
	}
	a.event([]byte("[DONE]"))
}

// split cuts content into n pieces of about equal length, or into words
// with their trailing whitespace when n <= 0. Empty content gives no piece.
func split(content string, n int) []string {
	if content == "" {
		return nil
	}
	if n <= 0 {
		var out []string
		rest := content
		for rest != "" {
			i := strings.IndexAny(rest, " \n\t")
			if i < 0 {
				out = append(out, rest)
				break
			}
			j := i
			for j < len(rest) && strings.ContainsRune(" \n\t", rune(rest[j])) {
				j++
			}
			out = append(out, rest[:j])
			rest = rest[j:]
		}
		return out
	}
	runes := []rune(content)
	if n > len(runes) {
		n = len(runes)
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, string(runes[i*len(runes)/n:(i+1)*len(runes)/n]))
	}
	return out
}
