package hitlhttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// linkData is what the link page shows before the reviewer continues.
type linkData struct {
	Reviewer string
	Review   string
	Version  int
	Expires  time.Time
	Token    string
	// SignedInAs is the current session's reviewer when it is someone else.
	SignedInAs string
}

// maxLinkForm bounds the body of the link page's form.
const maxLinkForm = 8 << 10

// verifyLink checks a link token and maps its failures to the link errors.
func (h *Handler) verifyLink(token string) (grant, error) {
	g, err := h.opts.Keys.verify(purposeLink, token, time.Now())
	switch {
	case errors.Is(err, errTokenExpired):
		return g, fmt.Errorf("%w (it expired at %s)", ErrLinkExpired, g.expiry().UTC().Format("2006-01-02 15:04 UTC"))
	case err != nil:
		return g, fmt.Errorf("%w (%w)", ErrLinkInvalid, err)
	case len(g.Reviews) != 1 || g.ID == "":
		return g, fmt.Errorf("%w (it names no single review)", ErrLinkInvalid)
	}
	return g, nil
}

// linkPage shows what a link grants and a button to continue. Opening the
// link does not use it up: mail scanners and chat previews fetch links
// with GET, so only the button's POST redeems it.
func (h *Handler) linkPage(w http.ResponseWriter, r *http.Request) {
	d := h.newPage(r, "Review link")
	token := r.URL.Query().Get("token")
	g, err := h.verifyLink(token)
	if err != nil {
		h.refuseLink(w, d, err)
		return
	}
	id := g.Reviews[0]
	if cur, ok := h.session(r); ok {
		if cur.Reviewer == g.Reviewer && cur.covers(id) {
			http.Redirect(w, r, h.reviewURL(id), http.StatusSeeOther)
			return
		}
		d.signedIn(cur)
	}
	d.Link = &linkData{Reviewer: g.Reviewer, Review: id, Version: g.Version, Expires: g.expiry(), Token: token}
	if d.Reviewer != "" && d.Reviewer != g.Reviewer {
		d.Link.SignedInAs = d.Reviewer
	}
	h.render(w, "link", http.StatusOK, d)
}

// linkPost redeems a link: the review must exist, be readable by the
// link's reviewer and (for a version-bound link) still be at that version;
// then the link is used up and a session limited to the review begins.
func (h *Handler) linkPost(w http.ResponseWriter, r *http.Request) {
	d := h.newPage(r, "Review link")
	r.Body = http.MaxBytesReader(w, r.Body, maxLinkForm)
	if err := r.ParseForm(); err != nil {
		h.refuseLink(w, d, errors.Join(errBadRequest, fmt.Errorf("hitlhttp: the link form is malformed: %w", err)))
		return
	}
	g, err := h.verifyLink(r.PostFormValue("token"))
	if err != nil {
		h.refuseLink(w, d, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	id := g.Reviews[0]
	st, err := h.readable(ctx, grant{Reviewer: g.Reviewer}, id)
	if err != nil {
		h.refuseLink(w, d, err)
		return
	}
	if g.Version != 0 && st.Version != g.Version {
		h.refuseLink(w, d, fmt.Errorf("%w (the link is for version %d, the review is at version %d)", ErrLinkStale, g.Version, st.Version))
		return
	}
	first, err := h.opts.LinkStore.Redeem(ctx, g.ID, g.expiry())
	if err != nil {
		h.refuseLink(w, d, fmt.Errorf("hitlhttp: record the link's use: %w", err))
		return
	}
	if !first {
		h.refuseLink(w, d, ErrLinkUsed)
		return
	}
	if err := h.startSession(w, r, grant{Reviewer: g.Reviewer, Reviews: []string{id}, Via: "link"}); err != nil {
		h.refuseLink(w, d, err)
		return
	}
	http.Redirect(w, r, h.reviewURL(id), http.StatusSeeOther)
}

func (h *Handler) refuseLink(w http.ResponseWriter, d *pageData, err error) {
	code, _ := Status(err)
	h.logIfInternal(code, err)
	if code < http.StatusInternalServerError {
		h.opts.Logger.Info("hitlhttp: review link refused", "error", err)
	}
	h.render(w, "error", code, d.withError(err))
}
