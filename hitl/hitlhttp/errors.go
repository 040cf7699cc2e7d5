package hitlhttp

import (
	"context"
	"errors"
	"net/http"

	"github.com/durable-llm/durable-llm/hitl"
)

// ErrorBody is the JSON body of every error answer of the API:
// {"error": {"type": "HITLStaleVersion", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error inside an [ErrorBody].
type ErrorDetail struct {
	// Type is a hitl.ErrType constant, or Unauthenticated, CrossOrigin,
	// NotFound, BadRequest, LinkInvalid, LinkExpired, LinkUsed, LinkStale,
	// NotRevising, Timeout or Internal.
	Type string `json:"type"`
	// Message says what went wrong and what to do.
	Message string `json:"message"`
}

// Review-link refusals: the page that opens a link answers with these
// (matched with errors.Is) and says what to do.
var (
	// ErrLinkInvalid: the link is malformed, altered, or signed with a key
	// no longer in the ring (400).
	ErrLinkInvalid = errors.New("hitlhttp: this review link is not valid: copy the whole link, or ask for a new one")
	// ErrLinkExpired: the link's time is up (410).
	ErrLinkExpired = errors.New("hitlhttp: this review link has expired: ask for a new one")
	// ErrLinkUsed: the link was opened before; each opens once (410).
	ErrLinkUsed = errors.New("hitlhttp: this review link was already used: continue in the browser you opened it in, or ask for a new one")
	// ErrLinkStale: the link is for a version the review has moved past (409).
	ErrLinkStale = errors.New("hitlhttp: this review link is for an older version of the draft: ask for a link to the current one")
)

// Status maps an error from the hitl client helpers to an HTTP status and
// error type: refusals about the review's state (stale version or stage,
// closed, duplicate, conflicting decisions) are 409, about the reviewer
// (unauthorized, unknown) 403, about the decision itself (empty edit,
// invalid, edits not accepted) 422; a cross-origin post 403; review-link
// refusals 400, 409 or 410; a stop or redirect with nothing being written
// ([ErrNotRevising]) 409.
func Status(err error) (code int, errType string) {
	if de := hitl.AsDecisionError(err); de != nil {
		switch de.Type {
		case hitl.ErrTypeStaleVersion, hitl.ErrTypeClosed, hitl.ErrTypeDuplicate, hitl.ErrTypeConflict:
			return http.StatusConflict, de.Type
		case hitl.ErrTypeUnauthorized, hitl.ErrTypeUnknownReviewer:
			return http.StatusForbidden, de.Type
		case hitl.ErrTypeEmptyEdit, hitl.ErrTypeInvalidDecision, hitl.ErrTypeEditsNotAccepted:
			return http.StatusUnprocessableEntity, de.Type
		case hitl.ErrTypeReviseFailed:
			return http.StatusBadGateway, de.Type
		}
		return http.StatusInternalServerError, de.Type
	}
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized, "Unauthenticated"
	case errors.Is(err, ErrCrossOrigin):
		return http.StatusForbidden, "CrossOrigin"
	case errors.Is(err, ErrLinkInvalid):
		return http.StatusBadRequest, "LinkInvalid"
	case errors.Is(err, ErrLinkExpired):
		return http.StatusGone, "LinkExpired"
	case errors.Is(err, ErrLinkUsed):
		return http.StatusGone, "LinkUsed"
	case errors.Is(err, ErrLinkStale):
		return http.StatusConflict, "LinkStale"
	case errors.Is(err, ErrNotRevising):
		return http.StatusConflict, "NotRevising"
	case errors.Is(err, hitl.ErrNotFound):
		return http.StatusNotFound, "NotFound"
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "BadRequest"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "Timeout"
	}
	return http.StatusInternalServerError, "Internal"
}

var errBadRequest = errors.New("hitlhttp: bad request")

func isNotFound(err error) bool { return errors.Is(err, hitl.ErrNotFound) }

// publicMessage is the message shown to the client: the error itself for
// typed errors, a generic one for internal errors (which are logged).
func publicMessage(code int, err error) string {
	if code == http.StatusInternalServerError {
		return "hitlhttp: internal error talking to Temporal; see the server log"
	}
	return err.Error()
}
