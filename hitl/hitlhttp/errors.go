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
	// Type is a hitl.ErrType constant, or Unauthenticated, NotFound,
	// BadRequest, Timeout or Internal.
	Type string `json:"type"`
	// Message says what went wrong and what to do.
	Message string `json:"message"`
}

// Status maps an error from the hitl client helpers to an HTTP status and
// error type: refusals about the review's state (stale version, closed,
// duplicate) are 409, about the reviewer (unauthorized, unknown) 403, about
// the decision itself (empty edit, invalid) 422.
func Status(err error) (code int, errType string) {
	if de := hitl.AsDecisionError(err); de != nil {
		switch de.Type {
		case hitl.ErrTypeStaleVersion, hitl.ErrTypeClosed, hitl.ErrTypeDuplicate:
			return http.StatusConflict, de.Type
		case hitl.ErrTypeUnauthorized, hitl.ErrTypeUnknownReviewer:
			return http.StatusForbidden, de.Type
		case hitl.ErrTypeEmptyEdit, hitl.ErrTypeInvalidDecision:
			return http.StatusUnprocessableEntity, de.Type
		case hitl.ErrTypeReviseFailed:
			return http.StatusBadGateway, de.Type
		}
		return http.StatusInternalServerError, de.Type
	}
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized, "Unauthenticated"
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

// publicMessage is the message shown to the client: the error itself for
// typed errors, a generic one for internal errors (which are logged).
func publicMessage(code int, err error) string {
	if code == http.StatusInternalServerError {
		return "hitlhttp: internal error talking to Temporal; see the server log"
	}
	return err.Error()
}
