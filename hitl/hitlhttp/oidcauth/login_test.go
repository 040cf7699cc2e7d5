package oidcauth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/mocks"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
)

// site is the review pages behind the OIDC sign-in, on a Temporal client
// double whose list is empty: these tests are about identity only.
type site struct {
	ts   *httptest.Server
	iss  *oidcauthtest.Issuer
	temp *mocks.Client
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{iss: oidcauthtest.Start(t), temp: &mocks.Client{}}
	s.temp.On("ListWorkflow", mock.Anything, mock.Anything).Return(&workflowservice.ListWorkflowExecutionsResponse{}, nil)
	var h http.Handler
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(s.ts.Close)
	p, err := oidcauth.New(context.Background(), oidcauth.Config{
		Issuer: s.iss.URL(), ClientID: s.iss.ClientID, ClientSecret: s.iss.ClientSecret,
		RedirectURL: s.ts.URL + "/review/signin/callback",
	})
	require.NoError(t, err)
	ring, err := hitlhttp.RandomKeyRing("k1")
	require.NoError(t, err)
	rh, err := hitlhttp.New(s.temp, hitlhttp.Options{Auth: p, SignIn: p.Login(), Keys: ring, Prefix: "/review"})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/review/", rh)
	h = mux
	return s
}

// browser follows redirects and keeps cookies, like a browser; it stops at
// a redirect to the review pages' final page so the test sees where it lands.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar}
}

func get(t *testing.T, c *http.Client, u string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Request.URL.String(), string(b)
}

func TestBrowserSignIn(t *testing.T) {
	s := newSite(t)
	s.iss.SetUser("carol@example.com")
	c := browser(t)

	code, landed, body := get(t, c, s.ts.URL+"/review/?status=approved")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, s.ts.URL+"/review/?status=approved", landed, "back where the browser started, after the provider")
	assert.Contains(t, body, `<strong id="reviewer">carol@example.com</strong>`)
	u, err := url.Parse(s.ts.URL + "/review/")
	require.NoError(t, err)
	var session *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == hitlhttp.SessionCookie {
			session = ck
		}
	}
	require.NotNil(t, session, "the sign-in opened a signed session")

	// The API accepts the same provider's token without any cookie.
	req, err := http.NewRequest(http.MethodGet, s.ts.URL+"/review/api/reviews", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.iss.Sign(s.iss.Claims("dave@example.com", s.iss.ClientID)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// Signing out ends the session (a same-origin form post).
	req, err = http.NewRequest(http.MethodPost, s.ts.URL+"/review/signout", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = c.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, ck := range c.Jar.Cookies(u) {
		assert.NotEqual(t, hitlhttp.SessionCookie, ck.Name, "the session cookie is gone")
	}
}

func TestSignInRefusals(t *testing.T) {
	s := newSite(t)
	noFollow := browser(t)
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	t.Run("callback without a sign-in in this browser", func(t *testing.T) {
		code, _, body := get(t, noFollow, s.ts.URL+"/review/signin/callback?code=x&state=y")
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Contains(t, body, "no sign-in in progress")
	})
	t.Run("forged state", func(t *testing.T) {
		c := browser(t)
		c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			if strings.HasSuffix(r.URL.Path, "/authorize") {
				return http.ErrUseLastResponse // stop before the provider
			}
			return nil
		}
		resp, err := c.Get(s.ts.URL + "/review/signin")
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode)
		code, _, body := get(t, c, s.ts.URL+"/review/signin/callback?code=x&state=forged")
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Contains(t, body, "state does not match")
	})
	t.Run("provider error", func(t *testing.T) {
		c := browser(t)
		c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			if strings.HasSuffix(r.URL.Path, "/authorize") {
				return http.ErrUseLastResponse
			}
			return nil
		}
		resp, err := c.Get(s.ts.URL + "/review/signin")
		require.NoError(t, err)
		_ = resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		state := loc.Query().Get("state")
		code, _, body := get(t, c, s.ts.URL+"/review/signin/callback?error=access_denied&state="+state)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Contains(t, body, "access_denied")
	})
	t.Run("next cannot leave the site", func(t *testing.T) {
		c := browser(t)
		for _, next := range []string{"https://evil.example.com/", "//evil.example.com/x", `/\evil.example.com`, "/elsewhere"} {
			_, landed, _ := get(t, c, s.ts.URL+"/review/signin?next="+url.QueryEscape(next))
			assert.Equal(t, s.ts.URL+"/review/", landed, "next=%s", next)
		}
	})
}
