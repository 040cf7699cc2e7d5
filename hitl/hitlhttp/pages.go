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

//go:embed templates/pages.html
var templateFS embed.FS

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"join": func(s []string) string {
		if len(s) == 0 {
			return "anyone"
		}
		return strings.Join(s, ", ")
	},
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"inc":  func(i int) int { return i + 1 },
}).ParseFS(templateFS, "templates/pages.html"))

// pageData is what every page template gets.
type pageData struct {
	Title     string
	Prefix    string
	Reviewer  string
	DemoLogin bool
	Error     string
	ErrorType string
	Notice    string

	Reviews []Summary

	Review *Review
	Action string // the review page's form action
	Token  string // per-render decision ID prefix: a double submit applies once
}

func (h *Handler) reviewURL(id string) string {
	return h.opts.Prefix + "/reviews/" + url.PathEscape(id)
}

// page wraps an HTML handler: it authenticates and renders failures as pages.
func (h *Handler) page(next func(w http.ResponseWriter, r *http.Request, d *pageData) (string, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d := &pageData{Title: "Reviews", Prefix: h.opts.Prefix, DemoLogin: h.opts.DemoLogin}
		reviewer, err := h.opts.Auth.Reviewer(r)
		if err != nil {
			if h.opts.DemoLogin {
				http.Redirect(w, r, h.opts.Prefix+"/login", http.StatusSeeOther)
				return
			}
			h.render(w, "error", http.StatusUnauthorized, d.withError(unauthenticated(err)))
			return
		}
		d.Reviewer = reviewer
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
		defer cancel()
		if name, code := next(w, r.WithContext(ctx), d); name != "" {
			h.render(w, name, code, d)
		}
	}
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

func (h *Handler) listPage(_ http.ResponseWriter, r *http.Request, d *pageData) (string, int) {
	who := r.URL.Query().Get("reviewer")
	if who == "me" {
		who = d.Reviewer
	}
	list, err := h.list(r.Context(), r.URL.Query().Get("status"), who)
	if err != nil {
		code, _ := Status(err)
		h.logIfInternal(code, err)
		d.withError(err)
		return "list", code
	}
	d.Reviews = list
	return "list", http.StatusOK
}

func (h *Handler) logIfInternal(code int, err error) {
	if code >= http.StatusInternalServerError {
		h.opts.Logger.Error("hitlhttp: page failed", "error", err)
	}
}

func (h *Handler) reviewPage(_ http.ResponseWriter, r *http.Request, d *pageData) (string, int) {
	id := r.PathValue("id")
	if done := r.URL.Query().Get("done"); done != "" {
		d.Notice = "Recorded: " + done + "."
	}
	return h.showReview(r.Context(), id, d, http.StatusOK)
}

func (h *Handler) showReview(ctx context.Context, id string, d *pageData, code int) (string, int) {
	d.Title = "Review " + id
	rv, err := h.review(ctx, id)
	if err != nil {
		d.withError(err)
		c, _ := Status(err)
		h.logIfInternal(c, err)
		return "error", c
	}
	d.Review, d.Action, d.Token = &rv, h.reviewURL(id), uuid.NewString()
	return "review", code
}

// reviewPost takes a decision form; success redirects to the review page
// (post/redirect/get), a refusal shows the page with the error and the
// refusal's status code.
func (h *Handler) reviewPost(w http.ResponseWriter, r *http.Request, d *pageData) (string, int) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		d.withError(errors.Join(errBadRequest, err))
		return h.showReview(r.Context(), id, d, http.StatusBadRequest)
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	dec := hitl.Decision{
		ID:           r.PostFormValue("id"),
		Action:       hitl.Action(r.PostFormValue("action")),
		Version:      version,
		Comment:      r.PostFormValue("comment"),
		Instructions: r.PostFormValue("instructions"),
		Text:         r.PostFormValue("text"),
	}
	if _, err := h.decide(r.Context(), id, d.Reviewer, dec); err != nil {
		code, _ := Status(err)
		h.logIfInternal(code, err)
		d.withError(err)
		return h.showReview(r.Context(), id, d, code)
	}
	http.Redirect(w, r, h.reviewURL(id)+"?done="+url.QueryEscape(string(dec.Action)), http.StatusSeeOther)
	return "", 0
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	d := &pageData{Title: "Sign in", Prefix: h.opts.Prefix, DemoLogin: true}
	if who, err := h.opts.Auth.Reviewer(r); err == nil {
		d.Reviewer = who
	}
	h.render(w, "login", http.StatusOK, d)
}

func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	who := strings.TrimSpace(r.PostFormValue("reviewer"))
	if who == "" {
		d := &pageData{Title: "Sign in", Prefix: h.opts.Prefix, DemoLogin: true}
		h.render(w, "login", http.StatusUnprocessableEntity, d.withError(errors.Join(errBadRequest, errors.New("hitlhttp: enter a reviewer name"))))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: DemoCookie, Value: who, Path: h.opts.Prefix + "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, h.opts.Prefix+"/", http.StatusSeeOther)
}
