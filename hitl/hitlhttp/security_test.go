package hitlhttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/mocks"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// untouched builds a handler on a Temporal client double that fails the
// test on any call: the requests here must be refused before Temporal.
func untouched(t *testing.T, opts hitlhttp.Options) (*hitlhttp.Handler, *mocks.Client) {
	t.Helper()
	c := &mocks.Client{}
	h, err := hitlhttp.New(c, opts)
	require.NoError(t, err)
	t.Cleanup(func() { assert.Empty(t, c.Calls, "the refused requests never reached Temporal") })
	return h, c
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestSecurityHeaders(t *testing.T) {
	h, _ := untouched(t, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, DemoLogin: true, Prefix: "/review"})
	for _, path := range []string{"/review/login", "/review/api/reviews", "/review/nope", "/review/static/hitl.css"} {
		w := serve(h, httptest.NewRequest(http.MethodGet, path, nil))
		hd := w.Header()
		assert.Equal(t, hitlhttp.ContentSecurityPolicy, hd.Get("Content-Security-Policy"), path)
		assert.Contains(t, hd.Get("Content-Security-Policy"), "default-src 'none'")
		assert.NotContains(t, hd.Get("Content-Security-Policy"), "unsafe-inline")
		assert.NotContains(t, hd.Get("Content-Security-Policy"), "script-src", "no script may run at all")
		assert.Equal(t, "nosniff", hd.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "DENY", hd.Get("X-Frame-Options"), path)
		assert.Equal(t, "no-referrer", hd.Get("Referrer-Policy"), "review links must not leak through Referer")
		assert.Equal(t, "same-origin", hd.Get("Cross-Origin-Opener-Policy"), path)
	}
	w := serve(h, httptest.NewRequest(http.MethodGet, "/review/login", nil))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"), "pages with drafts are not cached")
	assert.Contains(t, w.Body.String(), `<link rel="stylesheet" href="/review/static/hitl.css">`)
	assert.NotContains(t, w.Body.String(), "<script", "the pages run no script")
	assert.NotContains(t, w.Body.String(), "<style", "no inline style: the policy would block it")
	w = serve(h, httptest.NewRequest(http.MethodGet, "/review/static/hitl.css", nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/css; charset=utf-8", w.Header().Get("Content-Type"))
}

func TestCrossOriginRequestsRefused(t *testing.T) {
	h, _ := untouched(t, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, DemoLogin: true, Prefix: "/review",
		TrustedOrigins: []string{"https://portal.example.com"}})
	form := url.Values{"action": {"approve"}, "version": {"1"}}.Encode()
	for _, tc := range []struct {
		name, method, path, body string
		headers                  map[string]string
		code                     int
	}{
		{"cross-site form post to a review", "POST", "/review/reviews/doc-1", form,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusForbidden},
		{"same-site (sibling subdomain) form post", "POST", "/review/reviews/doc-1", form,
			map[string]string{"Sec-Fetch-Site": "same-site", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusForbidden},
		{"old browser: Origin of another host", "POST", "/review/reviews/doc-1", form,
			map[string]string{"Origin": "https://evil.example.com", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusForbidden},
		{"cross-site API decision", "POST", "/review/api/reviews/doc-1/decisions", `{"action":"approve","version":1}`,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"}, http.StatusForbidden},
		{"cross-site login (login CSRF)", "POST", "/review/login", "reviewer=mallory",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusForbidden},
		{"cross-site sign-out", "POST", "/review/signout", "",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-origin login", "POST", "/review/login", "reviewer=alice",
			map[string]string{"Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusSeeOther},
		{"trusted origin", "POST", "/review/login", "reviewer=alice",
			map[string]string{"Origin": "https://portal.example.com", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}, http.StatusSeeOther},
		{"API client without browser headers reaches the handler", "POST", "/review/api/reviews/doc-1/decisions", `{"action":`,
			map[string]string{"X-Reviewer": "alice"}, http.StatusBadRequest},
		{"cross-site GET is harmless and allowed", "GET", "/review/login", "",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := serve(h, r)
			assert.Equal(t, tc.code, w.Code, w.Body.String())
			if tc.code != http.StatusForbidden {
				return
			}
			if strings.Contains(tc.path, "/api/") {
				var eb hitlhttp.ErrorBody
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &eb))
				assert.Equal(t, "CrossOrigin", eb.Error.Type)
			} else {
				assert.Contains(t, w.Body.String(), `data-type="CrossOrigin"`)
			}
			assert.Empty(t, w.Result().Cookies(), "a refused request sets no cookie")
		})
	}
}

func TestNewValidates(t *testing.T) {
	c := &mocks.Client{}
	_, err := hitlhttp.New(nil, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}})
	require.Error(t, err)
	_, err = hitlhttp.New(c, hitlhttp.Options{})
	require.Error(t, err, "some identity is required")
	_, err = hitlhttp.New(c, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, SignIn: fakeSignIn{}})
	require.Error(t, err, "a sign-in needs keys for its session")
	_, err = hitlhttp.New(c, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, TrustedOrigins: []string{"not an origin"}})
	require.Error(t, err)
}

type fakeSignIn struct{}

func (fakeSignIn) Begin(http.ResponseWriter, *http.Request, string) {}
func (fakeSignIn) Complete(http.ResponseWriter, *http.Request) (string, string, error) {
	return "", "", nil
}

func TestLinksValidate(t *testing.T) {
	ring, err := hitlhttp.RandomKeyRing("k1")
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		links hitlhttp.Links
		link  hitlhttp.Link
	}{
		"no keys":          {hitlhttp.Links{BaseURL: "https://x"}, hitlhttp.Link{Reviewer: "a", Review: "r"}},
		"relative base":    {hitlhttp.Links{Keys: ring, BaseURL: "/review"}, hitlhttp.Link{Reviewer: "a", Review: "r"}},
		"no reviewer":      {hitlhttp.Links{Keys: ring, BaseURL: "https://x"}, hitlhttp.Link{Review: "r"}},
		"no review":        {hitlhttp.Links{Keys: ring, BaseURL: "https://x"}, hitlhttp.Link{Reviewer: "a"}},
		"negative version": {hitlhttp.Links{Keys: ring, BaseURL: "https://x"}, hitlhttp.Link{Reviewer: "a", Review: "r", Version: -1}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.links.URL(tc.link)
			require.ErrorIs(t, err, hitlhttp.ErrMintLink)
		})
	}
	u, err := hitlhttp.Links{Keys: ring, BaseURL: "https://reviews.example.com/review/"}.URL(hitlhttp.Link{Reviewer: "a", Review: "r/1"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u, "https://reviews.example.com/review/link?token=h1.k1."), u)
}
