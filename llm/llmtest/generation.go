package llmtest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// generation is one answer being produced on the server, independently of
// any connection: a chat completion or a response. It renders its stream
// events as it goes, so that any number of connections can follow it from
// any position, and it bills itself when it ends.
type generation struct {
	h          *Handler
	rec        *callRecord
	id         string
	ep         Endpoint
	req        Request
	n          int // the creating request's arrival number
	plan       *plan
	rd         renderer
	background bool
	created    time.Time
	echo       echoFields // request fields a response object repeats
	hang       bool       // stay queued until cancelled (background Hang)
	delay      time.Duration
	hold       <-chan struct{}
	stop       chan struct{} // closed by cancel
	initial    []byte        // the response object when created

	mu         sync.Mutex
	status     string
	started    bool // left the queue
	billed     bool
	done       int // pieces produced
	events     []event
	ended      bool // no event will follow: terminal, cancelled or aborted
	aborted    bool // stopped by Handler.Close, not billed
	finishedAt time.Time
	changed    chan struct{} // closed and replaced when events or state change
}

// event is one stream event, rendered once and sent to every follower.
type event struct {
	name     string // SSE "event:" field, "" for none
	data     []byte
	terminal bool // first event of the terminal group: delivery faults cut before it
}

// renderer turns a generation's progress into stream events. Its methods
// run with g.mu held and append to g.events through g.push or g.pushSeq.
type renderer interface {
	created(g *generation)
	started(g *generation)
	piece(g *generation, i int)
	finished(g *generation)
}

// startGeneration creates the generation answering c's request on ep,
// registers its call and starts producing it.
func (h *Handler) startGeneration(c *conn, ep Endpoint, background bool) *generation {
	n := c.idx + 1
	g := &generation{
		h: h, ep: ep, req: c.req, n: n, background: background, created: c.req.Time,
		plan: newPlan(ep, c.req, c.reply, n), stop: make(chan struct{}), changed: make(chan struct{}),
		status: StatusInProgress, hold: c.reply.Hold,
	}
	if ep == EndpointChat {
		g.id = fmt.Sprintf("chatcmpl-llmtest-%d", n)
		g.rd = chatRenderer{}
	} else {
		g.id = fmt.Sprintf("resp_llmtest_%d", n)
		g.rd = responsesRenderer{}
		g.echo = parseEcho(c.req.Body)
	}
	if background {
		g.status, g.hang, g.delay = StatusQueued, c.reply.Hang, c.reply.Delay
	}
	g.rec = h.addCall(g, c.idx)
	g.mu.Lock()
	g.rd.created(g)
	if !background {
		g.startLocked()
	}
	if ep == EndpointResponses {
		g.initial = mustJSON(g.snapshotLocked())
	}
	g.mu.Unlock()
	go g.run()
	return g
}

// run produces the pieces at the plan's pace, then finishes.
func (g *generation) run() {
	if g.background {
		if g.hang {
			g.wait(-1)
			return
		}
		if !g.wait(g.delay) {
			return
		}
		g.mu.Lock()
		if g.ended {
			g.mu.Unlock()
			return
		}
		g.startLocked()
		g.mu.Unlock()
	}
	last := len(g.plan.pieces) - 1
	for i := range g.plan.pieces {
		if !g.wait(g.plan.interval(i)) {
			return
		}
		if i == last && g.hold != nil && !g.waitHold() {
			return
		}
		g.mu.Lock()
		if g.ended {
			g.mu.Unlock()
			return
		}
		g.done = i + 1
		g.rd.piece(g, i)
		g.notifyLocked()
		g.mu.Unlock()
	}
	g.mu.Lock()
	if !g.ended {
		g.finishLocked(g.plan.status)
	}
	g.mu.Unlock()
}

// wait waits d (forever when d < 0). It reports false when the generation
// was cancelled, or when the handler closed, in which case it aborts the
// generation unbilled.
func (g *generation) wait(d time.Duration) bool {
	if d == 0 {
		return true
	}
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-g.stop:
		return false
	case <-g.h.closing():
		g.abort()
		return false
	}
}

// waitHold waits until g.hold is closed, with the outcomes of wait.
func (g *generation) waitHold() bool {
	g.h.setHeld(g.rec, true)
	defer g.h.setHeld(g.rec, false)
	select {
	case <-g.hold:
		return true
	case <-g.stop:
		return false
	case <-g.h.closing():
		g.abort()
		return false
	}
}

func (g *generation) startLocked() {
	g.started = true
	g.status = StatusInProgress
	g.h.setCallStatus(g.rec, StatusInProgress)
	g.rd.started(g)
	g.notifyLocked()
}

// finishLocked ends the generation with status and bills it: in full when
// it ran to its end, for the pieces produced when it was cancelled after
// it started, not at all when it was cancelled while queued. Billing comes
// before the terminal events, so a client sees the end of its answer only
// once it was billed.
func (g *generation) finishLocked(status string) {
	g.status = status
	g.finishedAt = time.Now()
	g.ended = true
	g.billed = status != StatusCancelled || g.started
	g.h.finishCall(g.rec, status, g.billed, g.plan.prompt, g.plan.outputTokens(g.done))
	g.rd.finished(g)
	g.notifyLocked()
}

// cancel cancels a queued or in-progress generation; a finished one is
// left as it is (cancelling twice is idempotent).
func (g *generation) cancel() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		return
	}
	close(g.stop)
	g.finishLocked(StatusCancelled)
}

// abort stops the generation without billing it (the handler closed).
func (g *generation) abort() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		return
	}
	g.ended, g.aborted = true, true
	g.h.settleCall(g.rec)
	g.notifyLocked()
}

func (g *generation) notifyLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// push appends a rendered event.
func (g *generation) push(e event) {
	g.events = append(g.events, e)
}

// pushSeq appends a Responses event: its type and sequence number (its
// position in the stream) are set on m.
func (g *generation) pushSeq(typ string, m map[string]any, terminal bool) {
	m["type"] = typ
	m["sequence_number"] = len(g.events)
	g.push(event{name: typ, data: mustJSON(m), terminal: terminal})
}

// next returns the events from position pos on, waiting for some when
// there are none yet. ended reports that no event follows those returned.
// It returns ok false when ctx ends first, and aborts the connection when
// the handler closes while the generation is still running.
func (g *generation) next(ctx context.Context, pos int) (evs []event, ended, ok bool) {
	for {
		g.mu.Lock()
		evs, ended, aborted, ch := g.events[min(pos, len(g.events)):], g.ended, g.aborted, g.changed
		g.mu.Unlock()
		switch {
		case aborted:
			panic(http.ErrAbortHandler)
		case len(evs) > 0 || ended:
			return evs, ended, true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, false, false
		case <-g.h.closing():
			panic(http.ErrAbortHandler)
		}
	}
}

// waitEnd waits until the generation ended; it returns false when ctx ends
// first, and aborts the connection when the handler closes.
func (g *generation) waitEnd(ctx context.Context) bool {
	for {
		g.mu.Lock()
		ended, aborted, ch := g.ended, g.aborted, g.changed
		g.mu.Unlock()
		switch {
		case aborted:
			panic(http.ErrAbortHandler)
		case ended:
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-g.h.closing():
			panic(http.ErrAbortHandler)
		}
	}
}
