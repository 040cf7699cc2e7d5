package hitlhttp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// signIn starts the browser sign-in: SignIn's flow, else the demo login.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	switch {
	case h.opts.SignIn != nil:
		h.opts.SignIn.Begin(w, r, h.localNext(r.URL.Query().Get("next")))
	case h.opts.DemoLogin:
		http.Redirect(w, r, h.opts.Prefix+"/login", http.StatusSeeOther)
	default:
		d := h.newPage(r, "Sign in")
		h.render(w, "error", http.StatusNotFound, d.withError(fmt.Errorf("%w: this server has no browser sign-in: open the review link you were sent", ErrUnauthenticated)))
	}
}

// signInCallback finishes SignIn's flow and opens a full session.
func (h *Handler) signInCallback(w http.ResponseWriter, r *http.Request) {
	who, next, err := h.opts.SignIn.Complete(w, r)
	if err == nil && strings.TrimSpace(who) == "" {
		err = errors.New("the identity provider named no reviewer")
	}
	if err != nil {
		h.opts.Logger.Warn("hitlhttp: sign-in refused", "error", err)
		d := h.newPage(r, "Sign in")
		h.render(w, "error", http.StatusUnauthorized, d.withError(fmt.Errorf("%w: sign-in failed (%w): sign in again", ErrUnauthenticated, err)))
		return
	}
	if err := h.startSession(w, r, grant{Reviewer: who, Via: "signin"}); err != nil {
		h.render(w, "error", http.StatusInternalServerError, h.newPage(r, "Sign in").withError(err))
		return
	}
	http.Redirect(w, r, h.localNext(next), http.StatusSeeOther)
}

// signOut ends the session.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	h.endSession(w, r)
	d := h.newPage(r, "Signed out")
	d.Notice = "You are signed out."
	h.render(w, "error", http.StatusOK, d)
}

// localNext keeps next when it is a page of this handler, so sign-in can
// never redirect elsewhere; anything else becomes the list.
func (h *Handler) localNext(next string) string {
	home := h.opts.Prefix + "/"
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(next, "//") ||
		strings.Contains(next, `\`) || !strings.HasPrefix(path.Clean(u.Path)+"/", home) {
		return home
	}
	return next
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	d := h.newPage(r, "Sign in")
	if who, err := h.identify(r); err == nil {
		d.signedIn(who)
	}
	h.render(w, "login", http.StatusOK, d)
}

// loginPost is the demo login: any name is accepted.
func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	who := strings.TrimSpace(r.PostFormValue("reviewer"))
	if who == "" {
		d := h.newPage(r, "Sign in")
		h.render(w, "login", http.StatusUnprocessableEntity, d.withError(errors.Join(errBadRequest, errors.New("hitlhttp: enter a reviewer name"))))
		return
	}
	if h.opts.Keys != nil {
		if err := h.startSession(w, r, grant{Reviewer: who, Via: "demo"}); err != nil {
			h.render(w, "login", http.StatusInternalServerError, h.newPage(r, "Sign in").withError(err))
			return
		}
	} else {
		http.SetCookie(w, h.cookie(r, DemoCookie, who, 0))
	}
	http.Redirect(w, r, h.opts.Prefix+"/", http.StatusSeeOther)
}
