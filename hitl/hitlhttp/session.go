package hitlhttp

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// SessionCookie is the cookie that holds a signed-in browser's session: a
// token signed with [Options.Keys] naming the reviewer, the reviews it is
// limited to (for sessions opened by a review link) and its expiry.
const SessionCookie = "hitl_session"

// maxScopes bounds the reviews one link session remembers; opening more
// links drops the oldest.
const maxScopes = 16

// identify returns who is behind r: a valid session cookie first, then
// Options.Auth. A session opened by links is limited to its reviews.
func (h *Handler) identify(r *http.Request) (grant, error) {
	if g, ok := h.session(r); ok {
		return g, nil
	}
	if h.opts.Auth == nil {
		return grant{}, ErrUnauthenticated
	}
	who, err := h.opts.Auth.Reviewer(r)
	if err != nil {
		return grant{}, unauthenticated(err)
	}
	if strings.TrimSpace(who) == "" {
		return grant{}, fmt.Errorf("%w: the authenticator returned an empty reviewer", ErrUnauthenticated)
	}
	return grant{Reviewer: who}, nil
}

// session reads and verifies the session cookie. An invalid or expired
// cookie counts as none.
func (h *Handler) session(r *http.Request) (grant, bool) {
	if h.opts.Keys == nil {
		return grant{}, false
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return grant{}, false
	}
	g, err := h.opts.Keys.verify(purposeSession, c.Value, time.Now())
	if err != nil {
		h.opts.Logger.Debug("hitlhttp: session cookie refused", "error", err)
		return grant{}, false
	}
	return g, true
}

// startSession signs g into the session cookie. A link session for the
// reviewer already signed in adds its review to the existing scope.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, g grant) error {
	now := time.Now()
	if prev, ok := h.session(r); ok && g.scoped() && prev.Reviewer == g.Reviewer {
		if !prev.scoped() {
			g.Reviews = nil // a full session stays full
		} else {
			merged := slices.DeleteFunc(slices.Clone(prev.Reviews), func(id string) bool { return slices.Contains(g.Reviews, id) })
			merged = append(merged, g.Reviews...)
			if over := len(merged) - maxScopes; over > 0 {
				merged = merged[over:]
			}
			g.Reviews = merged
		}
	}
	g.Issued, g.Expires, g.ID, g.Version = now.Unix(), now.Add(h.opts.SessionTTL).Unix(), "", 0
	v, err := h.opts.Keys.sign(purposeSession, g)
	if err != nil {
		return err
	}
	if len(v) > maxTokenBytes {
		return errors.New("hitlhttp: session too large: shorten the review ids")
	}
	http.SetCookie(w, h.cookie(r, SessionCookie, v, int(h.opts.SessionTTL/time.Second)))
	return nil
}

// endSession clears the session and demo cookies.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, h.cookie(r, SessionCookie, "", -1))
	http.SetCookie(w, h.cookie(r, DemoCookie, "", -1))
}

// cookie builds a cookie scoped to the handler's prefix: HttpOnly,
// SameSite=Lax (a link opened from mail or chat is a cross-site top-level
// navigation that must carry it; unsafe requests are covered by the
// cross-origin check), Secure when the request came over HTTPS.
func (h *Handler) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: h.opts.Prefix + "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureRequest(r),
	}
}

// secureRequest reports whether the browser reached us over HTTPS,
// directly or through a proxy that says so.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
