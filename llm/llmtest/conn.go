package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// conn carries the state of one HTTP request being answered.
type conn struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	req   Request
	idx   int
	reply Reply
	done  <-chan struct{}
}

// sleep waits d (until the client leaves when d is 0), or until the client
// leaves or the handler closes. It reports whether the full wait elapsed;
// when the handler closed it aborts the connection.
func (c *conn) sleep(d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-c.r.Context().Done():
		return false
	case <-c.done:
		panic(http.ErrAbortHandler)
	}
}

// prelude applies the reply's fields that come before a generation: Hang
// and Delay when waitHere, then Body and error statuses. It reports
// whether the request goes on to its normal answer.
func (c *conn) prelude(waitHere bool) bool {
	rp := c.reply
	if waitHere && rp.Hang {
		c.sleep(0)
		c.h.recordStatus(c.idx, StatusClientClosedRequest)
		return false
	}
	if waitHere && rp.Delay > 0 && !c.sleep(rp.Delay) {
		c.h.recordStatus(c.idx, StatusClientClosedRequest)
		return false
	}
	status := rp.Status
	if status == 0 {
		status = http.StatusOK
	}
	c.setHeaders()
	switch {
	case rp.Body != "":
		if c.w.Header().Get("Content-Type") == "" {
			c.w.Header().Set("Content-Type", sniff(rp.Body))
		}
		c.h.recordStatus(c.idx, status)
		c.w.WriteHeader(status)
		_, _ = io.WriteString(c.w, rp.Body)
		return false
	case status >= 400:
		c.writeError(status, rp.Error)
		return false
	}
	return true
}

func (c *conn) setHeaders() {
	hd := c.w.Header()
	hd.Set("X-Request-Id", fmt.Sprintf("req_llmtest_%d", c.idx+1))
	for k, v := range c.reply.Headers {
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

// writeError answers status with the OpenAI error object e (a generic one
// when nil).
func (c *conn) writeError(status int, e *APIError) {
	if e == nil {
		e = &APIError{Message: http.StatusText(status), Type: "server_error"}
		if status < 500 {
			e.Type = "invalid_request_error"
		}
	}
	model := c.reply.Model
	if model == "" {
		model = c.req.Model
	}
	msg := strings.ReplaceAll(e.Message, "{model}", model)
	b := mustJSON(wireErrorBody{Error: wireError{
		Message: msg, Type: e.Type, Param: nullable(e.Param), Code: nullable(e.Code),
	}})
	c.w.Header().Set("Content-Type", "application/json")
	c.h.recordStatus(c.idx, status)
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

// writeJSON answers 200 with b, applying the reply's Truncate and Drop. It
// reports whether the whole body was sent.
func (c *conn) writeJSON(b []byte) bool {
	c.w.Header().Set("Content-Type", "application/json")
	c.h.recordStatus(c.idx, http.StatusOK)
	c.w.WriteHeader(http.StatusOK)
	cut := c.reply.Truncate || c.reply.Drop
	if cut {
		b = b[:len(b)/2]
	}
	_, err := c.w.Write(b)
	if c.reply.Drop {
		_ = http.NewResponseController(c.w).Flush()
		panic(http.ErrAbortHandler)
	}
	return err == nil && !cut
}

// event writes one SSE event and flushes it. It reports whether the write
// succeeded.
func (c *conn) event(e event) bool {
	var buf bytes.Buffer
	if e.name != "" {
		buf.WriteString("event: ")
		buf.WriteString(e.name)
		buf.WriteString("\n")
	}
	buf.WriteString("data: ")
	buf.Write(e.data)
	buf.WriteString("\n\n")
	if _, err := c.w.Write(buf.Bytes()); err != nil {
		return false
	}
	return http.NewResponseController(c.w).Flush() == nil
}

// stream answers 200 with the events of g from position pos on, as they
// are generated, and applies the reply's delivery faults (CutAfter,
// Truncate, Stall, Drop). A client that leaves marks the call abandoned;
// one that receives the terminal events marks it delivered.
func (c *conn) stream(g *generation, pos int) {
	hd := c.w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	c.h.recordStatus(c.idx, http.StatusOK)
	c.w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(c.w).Flush()

	rp := c.reply
	sent, terminal := 0, false
	for {
		evs, ended, ok := g.next(c.r.Context(), pos)
		if !ok {
			c.h.markAbandoned(g.rec)
			return
		}
		for _, e := range evs {
			if (rp.CutAfter > 0 && sent == rp.CutAfter) || (e.terminal && (rp.Truncate || rp.Drop || rp.Stall)) {
				c.cut(g)
				return
			}
			if !c.event(e) {
				c.h.markAbandoned(g.rec)
				return
			}
			sent++
			pos++
			terminal = terminal || e.terminal
		}
		if ended {
			if terminal {
				c.h.markDelivered(g.rec)
			}
			return
		}
	}
}

// cut ends a stream of g early as the reply says: held open until the
// client leaves (Stall), cut abruptly (Drop), or ended cleanly.
func (c *conn) cut(g *generation) {
	switch {
	case c.reply.Stall:
		c.sleep(0)
		c.h.markAbandoned(g.rec)
	case c.reply.Drop:
		panic(http.ErrAbortHandler)
	}
}
