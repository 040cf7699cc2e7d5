package hitlhttp

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ContentSecurityPolicy is the policy every answer carries. The pages run
// no script at all and load their one stylesheet from the handler, so a
// draft that smuggles markup past the escaping still cannot run code, load
// anything, post a form elsewhere or be framed.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ErrCrossOrigin is the refusal of a state-changing request that a browser
// sent from another origin (cross-site request forgery); the handler
// answers 403.
var ErrCrossOrigin = errors.New("hitlhttp: cross-origin request refused: post from the review pages themselves (or add the origin to Options.TrustedOrigins)")

// protect wraps next with the security headers and the cross-origin check
// of every unsafe method.
func (h *Handler) protect(next http.Handler) (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range h.opts.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("hitlhttp: Options.TrustedOrigins: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(h.denyCrossOrigin))
	guarded := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		hd.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		guarded.ServeHTTP(w, r)
	}), nil
}

func (h *Handler) denyCrossOrigin(w http.ResponseWriter, r *http.Request) {
	h.opts.Logger.Warn("hitlhttp: cross-origin request refused", "method", r.Method, "path", r.URL.Path,
		"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	if h.isAPI(r) {
		h.writeError(w, ErrCrossOrigin)
		return
	}
	h.render(w, "error", http.StatusForbidden, h.newPage(r, "Refused").withError(ErrCrossOrigin))
}

func (h *Handler) isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, h.opts.Prefix+"/api/")
}

//go:embed static/hitl.css
var css []byte

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(css)
}
