package hitlhttp

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/durable-llm/durable-llm/hitl"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one template per page ("list", "review", "link", "login",
// "error") and the blocks they share ("head", "foot", "status", "draft",
// "changes", "versions", "live", "decide", "audit"), one file each under
// templates/. html/template escapes everything it prints; the one
// template.HTML is a draft's Markdown rendered by renderMarkdown, which
// drops raw HTML and filters links.
var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"join": func(s []string) string {
		if len(s) == 0 {
			return "anyone"
		}
		return strings.Join(s, ", ")
	},
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"inc":  func(i int) int { return i + 1 },
	"dec":  func(i int) int { return i - 1 },
	// needed is how many more approvals the stage needs.
	"needed": func(st hitl.Status) int { return max(st.Quorum-len(st.Approvals), 0) },
	"path":   url.PathEscape,
}).ParseFS(templateFS, "templates/*.html"))

// pageData is what every page template gets.
type pageData struct {
	Title     string
	Prefix    string
	Reviewer  string
	Scope     []string // the reviews a link session is limited to
	DemoLogin bool
	SignIn    bool
	Error     string
	ErrorType string
	Notice    string

	Reviews   []Summary
	Unchecked int

	Review *Review
	View   *reviewView
	Action string // the review page's form action
	Token  string // per-render decision ID prefix: a double submit applies once

	Link *linkData
}

func (h *Handler) reviewURL(id string) string {
	return h.opts.Prefix + "/reviews/" + url.PathEscape(id)
}

func (h *Handler) newPage(_ *http.Request, title string) *pageData {
	return &pageData{Title: title, Prefix: h.opts.Prefix, DemoLogin: h.opts.DemoLogin, SignIn: h.opts.SignIn != nil}
}

func (d *pageData) signedIn(who grant) {
	d.Reviewer, d.Scope = who.Reviewer, who.Reviews
}

// page wraps an HTML handler: it authenticates, sends a browser without an
// identity to sign in, and renders failures as pages.
func (h *Handler) page(next func(w http.ResponseWriter, r *http.Request, who grant, d *pageData) (string, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d := h.newPage(r, "Reviews")
		who, err := h.identify(r)
		if err != nil {
			if to := h.signInURL(r.URL.RequestURI()); to != "" && r.Method == http.MethodGet && errors.Is(err, ErrUnauthenticated) && !hasCredentials(r) {
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			h.render(w, "error", http.StatusUnauthorized, d.withError(unauthenticated(err)))
			return
		}
		d.signedIn(who)
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
		defer cancel()
		if name, code := next(w, r.WithContext(ctx), who, d); name != "" {
			h.render(w, name, code, d)
		}
	}
}

// hasCredentials reports whether r presented credentials that failed (a
// bad bearer token): those get the error, not a sign-in redirect.
func hasCredentials(r *http.Request) bool { return r.Header.Get("Authorization") != "" }

// signInURL is where an anonymous browser goes, or "" when nowhere.
func (h *Handler) signInURL(next string) string {
	switch {
	case h.opts.SignIn != nil:
		return h.opts.Prefix + "/signin?next=" + url.QueryEscape(next)
	case h.opts.DemoLogin:
		return h.opts.Prefix + "/login"
	}
	return ""
}

func (d *pageData) withError(err error) *pageData {
	code, typ := Status(err)
	d.Error, d.ErrorType = publicMessage(code, err), typ
	return d
}

func (h *Handler) render(w http.ResponseWriter, name string, code int, d *pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := pages.ExecuteTemplate(w, name, d); err != nil {
		h.opts.Logger.Warn("hitlhttp: render page", "page", name, "error", err)
	}
}

func (h *Handler) listPage(_ http.ResponseWriter, r *http.Request, who grant, d *pageData) (string, int) {
	list, unchecked, err := h.readableList(r, who)
	if err != nil {
		code, _ := Status(err)
		h.logIfInternal(code, err)
		d.withError(err)
		return "list", code
	}
	d.Reviews, d.Unchecked = list, unchecked
	return "list", http.StatusOK
}

func (h *Handler) logIfInternal(code int, err error) {
	if code >= http.StatusInternalServerError {
		h.opts.Logger.Error("hitlhttp: page failed", "error", err)
	}
}

func (h *Handler) reviewPage(w http.ResponseWriter, r *http.Request, who grant, d *pageData) (string, int) {
	if done := r.URL.Query().Get("done"); done != "" {
		d.Notice = "Recorded: " + done + "."
	}
	return h.showReview(w, r, who, r.PathValue("id"), d, http.StatusOK)
}

// showReview renders the review page: status, the draft (rendered, raw a
// click away), what changed since the version this reviewer saw last,
// the versions, the live revision and the forms. It remembers the version
// shown for the next visit (SeenCookie).
func (h *Handler) showReview(w http.ResponseWriter, r *http.Request, who grant, id string, d *pageData, code int) (string, int) {
	ctx := r.Context()
	d.Title = "Review " + id
	rv, err := h.review(ctx, who, id)
	if err != nil {
		d.withError(err)
		c, _ := Status(err)
		h.logIfInternal(c, err)
		return "error", c
	}
	seen := lastSeen(r, who.Reviewer, id, rv.Status)
	d.Review, d.Action, d.Token = &rv, h.reviewURL(id), uuid.NewString()
	d.View = h.view(ctx, r, who, &rv, seen)
	if d.View.Live != nil {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicyLive)
	}
	if rv.Status.Version > 0 {
		h.markSeen(w, r, who.Reviewer, id, rv.Status.Version)
	}
	return "review", code
}

// reviewPost takes a decision form; success redirects to the review page
// (post/redirect/get), a refusal shows the page with the error and the
// refusal's status code. An edit redirects as soon as the review accepted
// it, while the new version is written.
func (h *Handler) reviewPost(w http.ResponseWriter, r *http.Request, who grant, d *pageData) (string, int) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		d.withError(errors.Join(errBadRequest, err))
		return h.showReview(w, r, who, id, d, http.StatusBadRequest)
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	dec := hitl.Decision{
		ID:           r.PostFormValue("id"),
		Action:       hitl.Action(r.PostFormValue("action")),
		Version:      version,
		Stage:        r.PostFormValue("stage"),
		Comment:      r.PostFormValue("comment"),
		Instructions: r.PostFormValue("instructions"),
		Text:         r.PostFormValue("text"),
	}
	var err error
	if dec.Action == hitl.ActionEdit {
		// An edit returns once accepted: the page shows the new version
		// being written, and then the version.
		err = h.submit(r.Context(), who, id, dec)
	} else {
		_, err = h.decide(r.Context(), who, id, dec)
	}
	if err != nil {
		code, _ := Status(err)
		h.logIfInternal(code, err)
		d.withError(err)
		return h.showReview(w, r, who, id, d, code)
	}
	http.Redirect(w, r, h.reviewURL(id)+"?done="+url.QueryEscape(string(dec.Action)), http.StatusSeeOther)
	return "", 0
}
