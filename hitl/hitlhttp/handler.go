package hitlhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
)

// Options configures [New].
type Options struct {
	// Auth identifies the reviewer of each request. Required; see
	// [HeaderAuth] for demos.
	Auth Authenticator
	// Prefix is the path the handler is mounted under, e.g. "/review"
	// (mux.Handle("/review/", h)). Empty means the root.
	Prefix string
	// Filter is an extra visibility query AND-ed to the list query, e.g.
	// "WorkflowType = 'DocReview'".
	Filter string
	// PageSize bounds the list; 0 means 100.
	PageSize int
	// LoadDraft renders a review's full draft (the raw JSON of the
	// hitl.QueryDraft query) as text, for drafts passed by reference
	// (hitl.DraftRef). Nil means: a JSON string is shown as is, a DraftRef
	// by its head, anything else as indented JSON.
	LoadDraft func(ctx context.Context, workflowID string, draft json.RawMessage) (string, error)
	// DemoLogin serves /login, a form that sets the [DemoCookie] so a
	// browser can act as any reviewer with [HeaderAuth]. NOT FOR PRODUCTION.
	DemoLogin bool
	// MaxBodyBytes bounds a decision's body; 0 means 1 MiB.
	MaxBodyBytes int64
	// Timeout bounds each request's calls to Temporal (an edit waits for
	// the revision); 0 means 2 minutes.
	Timeout time.Duration
	// Logger receives internal errors; nil means slog.Default().
	Logger *slog.Logger
}

// Handler serves the reviewer API and pages. Build it with [New]; it is
// safe for concurrent use.
type Handler struct {
	c    client.Client
	opts Options
	mux  *http.ServeMux
}

// New returns the reviewer handler for the reviews reachable through c.
//
// JSON API:
//
//	GET  {prefix}/api/reviews                  open reviews (?status=approved, ?reviewer=me, ?reviewer=alice)
//	GET  {prefix}/api/reviews/{id}             {"status": hitl.Status, "draft": "..."}
//	POST {prefix}/api/reviews/{id}/decisions   body hitl.Decision, answers {"receipt": hitl.Receipt}
//
// HTML pages: {prefix}/ lists open reviews, {prefix}/reviews/{id} shows one
// with its draft, audit trail and decision forms.
func New(c client.Client, opts Options) (*Handler, error) {
	if c == nil {
		return nil, errors.New("hitlhttp: New needs a Temporal client")
	}
	if opts.Auth == nil {
		return nil, errors.New("hitlhttp: Options.Auth is required (HeaderAuth for demos, your own Authenticator in production)")
	}
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	if opts.Prefix != "" && !strings.HasPrefix(opts.Prefix, "/") {
		opts.Prefix = "/" + opts.Prefix
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &Handler{c: c, opts: opts, mux: http.NewServeMux()}
	p := opts.Prefix
	h.mux.HandleFunc("GET "+p+"/api/reviews", h.authed(h.apiList))
	h.mux.HandleFunc("GET "+p+"/api/reviews/{id}", h.authed(h.apiGet))
	h.mux.HandleFunc("POST "+p+"/api/reviews/{id}/decisions", h.authed(h.apiDecide))
	h.mux.HandleFunc("GET "+p+"/{$}", h.page(h.listPage))
	h.mux.HandleFunc("GET "+p+"/reviews/{id}", h.page(h.reviewPage))
	h.mux.HandleFunc("POST "+p+"/reviews/{id}", h.page(h.reviewPost))
	if opts.DemoLogin {
		h.mux.HandleFunc("GET "+p+"/login", h.loginPage)
		h.mux.HandleFunc("POST "+p+"/login", h.loginPost)
	}
	return h, nil
}

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// authed wraps a JSON handler: it authenticates and bounds the request.
func (h *Handler) authed(next func(w http.ResponseWriter, r *http.Request, reviewer string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reviewer, err := h.opts.Auth.Reviewer(r)
		if err != nil {
			h.writeError(w, unauthenticated(err))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
		defer cancel()
		next(w, r.WithContext(ctx), reviewer)
	}
}

func unauthenticated(err error) error {
	if errors.Is(err, ErrUnauthenticated) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnauthenticated, err)
}

func (h *Handler) writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		h.opts.Logger.Warn("hitlhttp: write response", "error", err)
	}
}

func (h *Handler) writeError(w http.ResponseWriter, err error) {
	code, typ := Status(err)
	if code >= http.StatusInternalServerError {
		h.opts.Logger.Error("hitlhttp: request failed", "error", err)
	}
	h.writeJSON(w, code, ErrorBody{Error: ErrorDetail{Type: typ, Message: publicMessage(code, err)}})
}
