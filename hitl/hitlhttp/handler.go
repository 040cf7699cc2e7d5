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

	"github.com/durable-llm/durable-llm/stream"
)

// DefaultSessionTTL is how long a browser session lasts when
// [Options.SessionTTL] is 0.
const DefaultSessionTTL = 12 * time.Hour

// Options configures [New]. A production setup names who the reviewers
// are (Auth for API clients and proxies, SignIn for browsers, Keys for
// sessions and review links) and leaves DemoLogin off:
//
//	hitlhttp.Options{Auth: oidcVerifier, SignIn: oidcLogin, Keys: ring, Prefix: "/review"}
type Options struct {
	// Auth identifies the reviewer of requests that carry no session
	// cookie: API clients with a bearer token (oidcauth.Verifier), or an
	// authenticating proxy's verified header. Optional when Keys is set
	// (browsers then sign in through SignIn or a review link); [HeaderAuth]
	// is for demos only.
	Auth Authenticator
	// Keys signs session cookies and verifies review links ([Links]). Nil
	// disables both: every request then needs Auth.
	Keys *KeyRing
	// SignIn is the browser sign-in (oidcauth.Login). It needs Keys. Nil
	// means browsers sign in through review links only (or DemoLogin).
	SignIn SignIn
	// LinkStore makes each review link open once. Nil means an in-memory
	// store, which is per process: give replicas a shared one, such as
	// package idemlinks on the workers' idem store.
	LinkStore LinkStore
	// Access decides which reviews a reviewer may read; nil means
	// [Participants].
	Access Access
	// SessionTTL bounds a browser session; 0 means [DefaultSessionTTL].
	SessionTTL time.Duration
	// TrustedOrigins lists origins ("https://portal.example.com") whose
	// cross-origin form posts are accepted. Every other cross-origin
	// state-changing request is refused with 403 (Sec-Fetch-Site and Origin
	// checks of [http.CrossOriginProtection]).
	TrustedOrigins []string
	// Prefix is the path the handler is mounted under, e.g. "/review"
	// (mux.Handle("/review/", h)). Empty means the root.
	Prefix string
	// Filter is an extra visibility query AND-ed to the list query, e.g.
	// "WorkflowType = 'DocReview'".
	Filter string
	// PageSize bounds the list; 0 means 100.
	PageSize int
	// LoadDraft renders a review's draft (the raw JSON of the
	// hitl.QueryDraft and hitl.QueryVersion queries) as text, for drafts
	// that are not strings or are passed by reference (hitl.DraftRef). Nil
	// means: a JSON string is shown as is, a DraftRef by its head,
	// anything else as indented JSON (preformatted). The page renders the
	// text as Markdown without its raw HTML (see PlainText), never as HTML.
	LoadDraft func(ctx context.Context, workflowID string, draft json.RawMessage) (string, error)
	// PlainText shows drafts as preformatted text instead of rendering
	// their Markdown. Either way the raw text is a click away and the
	// rendering runs no HTML from the draft.
	PlainText bool
	// Live shows the revision being written, from the review workflow's
	// stream (package stream), and serves it at {prefix}/reviews/{id}/stream
	// as Server-Sent Events. Nil means the page shows "being written" and
	// reloads itself.
	Live *Live
	// Steer receives the stop and redirect requests of reviewers who may
	// decide in the current stage, while a revision is written: POST
	// {prefix}/reviews/{id}/steer (the page's buttons) and POST
	// {prefix}/api/reviews/{id}/steer. Forward them to the workflow (for
	// example an update that cancels the model call). Its error is shown
	// to the reviewer, mapped by [Status]. Nil means no buttons.
	Steer func(ctx context.Context, s Steering) error
	// DemoLogin serves /login, a form where a browser picks any reviewer
	// name. NOT FOR PRODUCTION: enable it only when asked for (a -demo-login
	// flag). With Keys it opens a signed session; without, it sets the
	// [DemoCookie] that [HeaderAuth] reads.
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
	root http.Handler
	sse  *stream.SSEHandler // Options.Live's event stream
}

// New returns the reviewer handler for the reviews reachable through c.
//
// JSON API:
//
//	GET  {prefix}/api/reviews                  open reviews (?status=approved, ?reviewer=me, ?reviewer=alice)
//	GET  {prefix}/api/reviews/{id}             {"status": hitl.Status, "draft": "..."}
//	POST {prefix}/api/reviews/{id}/decisions   body hitl.Decision, answers {"receipt": hitl.Receipt}
//
//	POST {prefix}/api/reviews/{id}/steer       body {"action": "stop"|"redirect", "message": ...} (with Options.Steer)
//
// HTML pages: {prefix}/ lists open reviews, {prefix}/reviews/{id} shows one
// with its rendered draft, versions, changes, audit trail and decision
// forms ({prefix}/reviews/{id}/stream is its live event stream with
// Options.Live); {prefix}/link opens a
// review link, {prefix}/signin starts the SignIn flow, {prefix}/signout
// ends the session, {prefix}/login is the demo login.
func New(c client.Client, opts Options) (*Handler, error) {
	if c == nil {
		return nil, errors.New("hitlhttp: New needs a Temporal client")
	}
	switch {
	case opts.Auth == nil && opts.Keys == nil:
		return nil, errors.New("hitlhttp: set Options.Auth (API clients, proxies), Options.Keys (sessions and review links) or both; HeaderAuth is for demos only")
	case opts.SignIn != nil && opts.Keys == nil:
		return nil, errors.New("hitlhttp: Options.SignIn needs Options.Keys to sign the session cookie")
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
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.Access == nil {
		opts.Access = Participants
	}
	if opts.LinkStore == nil {
		opts.LinkStore = &MemoryLinkStore{}
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
	h.mux.HandleFunc("GET "+p+"/static/hitl.css", serveCSS)
	if opts.Live != nil {
		every := opts.Live.PollInterval
		if every <= 0 {
			every = 500 * time.Millisecond
		}
		h.sse = &stream.SSEHandler{Client: c, Logger: opts.Logger, Options: []stream.SubscribeOption{stream.WithQueryPolling(every)}}
		h.mux.HandleFunc("GET "+p+"/reviews/{id}/stream", h.liveStream)
		h.mux.HandleFunc("GET "+p+"/static/live.js", serveLiveJS)
	}
	if opts.Steer != nil {
		h.mux.HandleFunc("POST "+p+"/reviews/{id}/steer", h.page(h.steerPost))
		h.mux.HandleFunc("POST "+p+"/api/reviews/{id}/steer", h.authed(h.apiSteer))
	}
	h.mux.HandleFunc("POST "+p+"/signout", h.signOut)
	h.mux.HandleFunc("GET "+p+"/signin", h.signIn)
	if opts.SignIn != nil {
		h.mux.HandleFunc("GET "+p+"/signin/callback", h.signInCallback)
	}
	if opts.Keys != nil {
		h.mux.HandleFunc("GET "+p+"/link", h.linkPage)
		h.mux.HandleFunc("POST "+p+"/link", h.linkPost)
	}
	if opts.DemoLogin {
		h.mux.HandleFunc("GET "+p+"/login", h.loginPage)
		h.mux.HandleFunc("POST "+p+"/login", h.loginPost)
	}
	root, err := h.protect(h.mux)
	if err != nil {
		return nil, err
	}
	h.root = root
	return h, nil
}

// ServeHTTP implements [http.Handler]. Every answer carries the security
// headers; cross-origin state-changing requests are refused with 403.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// authed wraps a JSON handler: it authenticates and bounds the request.
func (h *Handler) authed(next func(w http.ResponseWriter, r *http.Request, who grant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, err := h.identify(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hitl"`)
			h.writeError(w, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
		defer cancel()
		next(w, r.WithContext(ctx), who)
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
