package hitlhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

func TestLivePolicyAllowsOnlyTheHandlersScript(t *testing.T) {
	csp := hitlhttp.ContentSecurityPolicyLive
	assert.Contains(t, csp, hitlhttp.ContentSecurityPolicy, "everything the strict policy forbids stays forbidden")
	assert.Contains(t, csp, "script-src 'self'")
	assert.Contains(t, csp, "connect-src 'self'")
	for _, weak := range []string{"unsafe-inline", "unsafe-eval", "unsafe-hashes", "data:", "blob:", "*", "http:", "https:"} {
		assert.NotContains(t, csp, weak)
	}

	h, _ := untouched(t, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, DemoLogin: true, Prefix: "/review",
		Live:  &hitlhttp.Live{},
		Steer: func(context.Context, hitlhttp.Steering) error { return nil }})
	w := serve(h, httptest.NewRequest(http.MethodGet, "/review/login", nil))
	assert.Equal(t, hitlhttp.ContentSecurityPolicy, w.Header().Get("Content-Security-Policy"),
		"pages that show no revision being written keep the no-script policy")
	assert.NotContains(t, w.Body.String(), "<script")
	w = serve(h, httptest.NewRequest(http.MethodGet, "/review/static/live.js", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/javascript; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))

	// The stream and the steering endpoints need an identity, before Temporal.
	w = serve(h, httptest.NewRequest(http.MethodGet, "/review/reviews/doc-1/stream", nil))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	w = serve(h, httptest.NewRequest(http.MethodPost, "/review/api/reviews/doc-1/steer", nil))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	r := httptest.NewRequest(http.MethodPost, "/review/reviews/doc-1/steer", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w = serve(h, r)
	assert.Equal(t, http.StatusForbidden, w.Code, "a cross-site stop or redirect is refused")
	r = httptest.NewRequest(http.MethodPost, "/review/api/reviews/doc-1/steer", nil)
	r.Header.Set(hitlhttp.DefaultHeader, "alice")
	w = serve(h, r)
	assert.Equal(t, http.StatusBadRequest, w.Code, "an empty body is refused before Temporal")
}

func TestNoLiveNoSteerNoRoutes(t *testing.T) {
	h, _ := untouched(t, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, Prefix: "/review"})
	for _, path := range []string{"/review/static/live.js", "/review/reviews/doc-1/stream"} {
		w := serve(h, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, http.StatusNotFound, w.Code, path)
	}
	r := httptest.NewRequest(http.MethodPost, "/review/api/reviews/doc-1/steer", nil)
	r.Header.Set(hitlhttp.DefaultHeader, "alice")
	w := serve(h, r)
	assert.Equal(t, http.StatusNotFound, w.Code)
}
