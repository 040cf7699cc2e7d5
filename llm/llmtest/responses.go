package llmtest

import (
	"fmt"
	"net/http"
)

// serveCreate answers POST .../responses. A background response is
// answered at once (status "queued", or its event stream); a foreground one
// once generated, or streamed as it is generated.
func (c *conn) serveCreate() {
	bg := c.req.Background
	if !c.prelude(!bg) {
		return
	}
	g := c.h.startGeneration(c, EndpointResponses, bg)
	switch {
	case c.req.Stream:
		c.stream(g, 0)
	case bg:
		c.writeJSON(g.initial)
	case !g.waitEnd(c.r.Context()):
		c.h.recordStatus(c.idx, StatusClientClosedRequest)
		c.h.markAbandoned(g.rec)
	default:
		c.writeSnapshot(g)
	}
}

// writeSnapshot answers with the response object as it stands; a client
// that receives a terminal one marks the call delivered.
func (c *conn) writeSnapshot(g *generation) {
	g.mu.Lock()
	b, terminal := mustJSON(g.snapshotLocked()), g.ended && !g.aborted
	g.mu.Unlock()
	if c.writeJSON(b) && terminal {
		c.h.markDelivered(g.rec)
	}
}

// lookup finds the stored response named by the request, or answers 404.
func (c *conn) lookup() *generation {
	g := c.h.response(c.req.ResponseID)
	if g == nil {
		c.writeError(http.StatusNotFound, &APIError{
			Message: fmt.Sprintf("Response with id '%s' not found.", c.req.ResponseID),
			Type:    "invalid_request_error", Param: "response_id",
		})
	}
	return g
}

// serveRetrieve answers GET .../responses/{id}: the response object, or
// its events after starting_after when streamed.
func (c *conn) serveRetrieve() {
	if !c.prelude(true) {
		return
	}
	g := c.lookup()
	switch {
	case g == nil:
	case !c.req.Stream:
		c.writeSnapshot(g)
	case !g.background:
		c.writeError(http.StatusBadRequest, &APIError{
			Message: "Only responses created with background=true can be streamed by id; create the response with background and stream set to true.",
			Type:    "invalid_request_error", Param: "stream",
		})
	default:
		from := 0
		if c.req.StartingAfter != nil {
			from = max(*c.req.StartingAfter+1, 0)
		}
		c.stream(g, from)
	}
}

// serveCancel answers POST .../responses/{id}/cancel.
func (c *conn) serveCancel() {
	if !c.prelude(true) {
		return
	}
	g := c.lookup()
	switch {
	case g == nil:
	case !g.background:
		c.writeError(http.StatusBadRequest, &APIError{
			Message: "Only responses created with background=true can be cancelled.",
			Type:    "invalid_request_error", Param: "response_id",
		})
	default:
		g.cancel()
		c.writeSnapshot(g)
	}
}
