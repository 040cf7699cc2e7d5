package hitlhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/durable-llm/durable-llm/hitl"
)

// SteerAction is what a reviewer asks of the revision being written.
type SteerAction string

// Steering actions.
const (
	// SteerStop stops the revision: the model call is cancelled and the
	// review stays on the current version.
	SteerStop SteerAction = "stop"
	// SteerRedirect cancels the model call and starts it again with the
	// reviewer's message added to the instructions.
	SteerRedirect SteerAction = "redirect"
)

// Steering is one stop or redirect request from the review page or the
// API, passed to [Options.Steer].
type Steering struct {
	// Review is the review's workflow ID.
	Review string `json:"review"`
	// Reviewer is who asks (the signed-in identity, never the body's).
	Reviewer string `json:"reviewer"`
	// Action is [SteerStop] or [SteerRedirect].
	Action SteerAction `json:"action"`
	// Message is the redirect's new direction (required for redirect).
	Message string `json:"message,omitempty"`
	// Version is the version being revised (the review's current one).
	// A request naming another version is refused as stale (409), so a
	// click on a page shown for an earlier revision steers nothing.
	Version int `json:"version,omitempty"`
}

// ErrNotRevising refuses a stop or redirect when no revision is being
// written (409).
var ErrNotRevising = errors.New("hitlhttp: no revision is being written now: stop and redirect apply while a new version is written")

// maxSteerMessage bounds a redirect's message.
const maxSteerMessage = 4000

// steer checks and forwards a steering request from who and returns it as
// forwarded (the signed-in reviewer, the version it checked).
func (h *Handler) steer(ctx context.Context, who grant, s Steering) (Steering, error) {
	if err := checkID(s.Review); err != nil {
		return s, err
	}
	s.Message = strings.TrimSpace(s.Message)
	switch {
	case s.Action != SteerStop && s.Action != SteerRedirect:
		return s, fmt.Errorf("%w: action %q: use stop or redirect", errBadRequest, s.Action)
	case s.Action == SteerRedirect && s.Message == "":
		return s, fmt.Errorf("%w: a redirect needs a message saying what to write instead", errBadRequest)
	case len(s.Message) > maxSteerMessage:
		return s, fmt.Errorf("%w: the message is %d bytes; keep it under %d", errBadRequest, len(s.Message), maxSteerMessage)
	}
	st, err := h.readable(ctx, who, s.Review)
	if err != nil {
		return s, err
	}
	if len(st.Reviewers) > 0 && !slices.Contains(st.Reviewers, who.Reviewer) {
		return s, &hitl.DecisionError{Type: hitl.ErrTypeUnauthorized,
			Message: fmt.Sprintf("hitlhttp: %s may not steer this revision: only the reviewers of stage %q may (%s)", who.Reviewer, st.Stage, strings.Join(st.Reviewers, ", "))}
	}
	if st.Phase != hitl.PhaseRevising {
		return s, ErrNotRevising
	}
	if s.Version != 0 && s.Version != st.Version {
		return s, &hitl.DecisionError{Type: hitl.ErrTypeStaleVersion,
			Message: fmt.Sprintf("hitlhttp: the revision of version %d is over; version %d is being revised now: reload the page", s.Version, st.Version)}
	}
	s.Reviewer, s.Version = who.Reviewer, st.Version
	return s, h.opts.Steer(ctx, s)
}

// steerPost takes the stop and redirect forms of the review page.
func (h *Handler) steerPost(w http.ResponseWriter, r *http.Request, who grant, d *pageData) (string, int) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		d.withError(errors.Join(errBadRequest, err))
		return h.showReview(w, r, who, id, d, http.StatusBadRequest)
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	s := Steering{Review: id, Action: SteerAction(r.PostFormValue("action")), Message: r.PostFormValue("message"), Version: version}
	if _, err := h.steer(r.Context(), who, s); err != nil {
		code, _ := Status(err)
		h.logIfInternal(code, err)
		d.withError(err)
		return h.showReview(w, r, who, id, d, code)
	}
	http.Redirect(w, r, h.reviewURL(id)+"?done="+url.QueryEscape(string(s.Action)), http.StatusSeeOther)
	return "", 0
}

// apiSteer is POST {prefix}/api/reviews/{id}/steer with a JSON [Steering]
// (action and message); it answers {"steering": Steering}.
func (h *Handler) apiSteer(w http.ResponseWriter, r *http.Request, who grant) {
	var s Steering
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err == nil {
		err = json.Unmarshal(body, &s)
	}
	if err != nil {
		h.writeError(w, fmt.Errorf("%w: the body must be a JSON steering request ({\"action\":\"stop\"}) of at most %d bytes: %w", errBadRequest, h.opts.MaxBodyBytes, err))
		return
	}
	if s.Reviewer != "" && s.Reviewer != who.Reviewer {
		h.writeError(w, &hitl.DecisionError{Type: hitl.ErrTypeUnauthorized,
			Message: fmt.Sprintf("hitlhttp: signed in as %q, the request names %q: leave reviewer out of the body", who.Reviewer, s.Reviewer)})
		return
	}
	s.Review = r.PathValue("id")
	s, err = h.steer(r.Context(), who, s)
	if err != nil {
		h.writeError(w, err)
		return
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"steering": s})
}
