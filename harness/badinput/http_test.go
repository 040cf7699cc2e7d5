package badinput_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// httpSite is the reviewer surface set up as in production (OIDC bearer
// tokens and sign-in, signed sessions and links, participants-only reads)
// over a real dev server, with two open reviews for alice.
type httpSite struct {
	t        *testing.T
	c        client.Client
	ts       *httptest.Server
	iss      *oidcauthtest.Issuer
	links    hitlhttp.Links
	base     string
	mine     string // the review alice's link session is for
	other    string // another review of alice's
	session  *http.Cookie
	usedLink string
}

const (
	alice   = "alice@example.com"
	maxBody = 4096
)

func newHTTPSite(t *testing.T) *httpSite {
	t.Helper()
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, &hitltest.Activities{}) })
	s := &httpSite{t: t, c: srv.Client(), iss: oidcauthtest.Start(t)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var h http.Handler
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(s.ts.Close)
	s.base = s.ts.URL + "/review"
	p, err := oidcauth.New(ctx, oidcauth.Config{Issuer: s.iss.URL(), ClientID: s.iss.ClientID,
		ClientSecret: s.iss.ClientSecret, RedirectURL: s.base + "/signin/callback"})
	require.NoError(t, err)
	ring, err := hitlhttp.RandomKeyRing("k1")
	require.NoError(t, err)
	rh, err := hitlhttp.New(s.c, hitlhttp.Options{Auth: p, SignIn: p.Login(), Keys: ring, Prefix: "/review", MaxBodyBytes: maxBody})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/review/", rh)
	h = mux
	s.links = hitlhttp.Links{Keys: ring, BaseURL: s.base}

	open := func() string {
		id := "badinput-http-" + uuid.NewString()
		_, err := hitl.Open(ctx, s.c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, hitltest.Workflow,
			hitltest.Input{Prompt: "launch memo", Stages: []hitl.Stage{{Name: "editor", Reviewers: []string{alice}}},
				DisableSearchAttributes: true})
		require.NoError(t, err)
		return id
	}
	s.mine, s.other = open(), open()

	// Alice opens her link once: that is her session, and the link is used.
	s.usedLink = s.link(hitlhttp.Link{Reviewer: alice, Review: s.mine})
	resp := s.send(s.form("/link", url.Values{"token": {s.usedLink}}, "same-origin", nil))
	require.Equal(t, http.StatusSeeOther, resp.code, resp.body)
	for _, ck := range resp.cookies {
		if ck.Name == hitlhttp.SessionCookie {
			s.session = ck
		}
	}
	require.NotNil(t, s.session)
	return s
}

func (s *httpSite) link(l hitlhttp.Link) string {
	u, err := s.links.URL(l)
	require.NoError(s.t, err)
	pu, err := url.Parse(u)
	require.NoError(s.t, err)
	return pu.Query().Get("token")
}

func (s *httpSite) bearer(claims map[string]any) string { return "Bearer " + s.iss.Sign(claims) }

func (s *httpSite) claims(email string) map[string]any { return s.iss.Claims(email, s.iss.ClientID) }

// api builds a JSON decision request.
func (s *httpSite) api(path, body, authz string) *http.Request {
	r, err := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(body))
	require.NoError(s.t, err)
	r.Header.Set("Content-Type", "application/json")
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	return r
}

// form builds a browser form post with the given Sec-Fetch-Site.
func (s *httpSite) form(path string, v url.Values, site string, cookie *http.Cookie) *http.Request {
	r, err := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(v.Encode()))
	require.NoError(s.t, err)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", site)
	if site == "same-origin" {
		r.Header.Set("Origin", s.ts.URL)
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return r
}

type answer struct {
	code    int
	typ     string
	body    string
	cookies []*http.Cookie
}

var dataType = regexp.MustCompile(`data-type="([^"]+)"`)

// send does r without following redirects and reads the error type from
// the JSON body or the page.
func (s *httpSite) send(r *http.Request) answer {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(r)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	a := answer{code: resp.StatusCode, body: string(b), cookies: resp.Cookies()}
	var eb hitlhttp.ErrorBody
	if json.Unmarshal(b, &eb) == nil {
		a.typ = eb.Error.Type
	} else if m := dataType.FindStringSubmatch(a.body); m != nil {
		a.typ = m[1]
	}
	return a
}

// snapshot is what must not change: each review's version, phase, audit
// count and approvals.
func (s *httpSite) snapshot() map[string]hitl.Status {
	out := map[string]hitl.Status{}
	for _, id := range []string{s.mine, s.other} {
		st, err := hitl.GetStatus(context.Background(), s.c, id)
		require.NoError(s.t, err)
		out[id] = hitl.Status{Phase: st.Phase, Version: st.Version, AuditCount: st.AuditCount, Approvals: st.Approvals}
	}
	return out
}

func reEncode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestHTTPAttackCatalogue sends each attack on the reviewer surface to the
// production setup on a real dev server, checks the status and error type
// it must get, and that neither review changed.
func TestHTTPAttackCatalogue(t *testing.T) {
	s := newHTTPSite(t)
	approve := `{"action":"approve","version":1}`
	decisions := func(id string) string { return "/api/reviews/" + url.PathEscape(id) + "/decisions" }
	page := func(id string) string { return "/reviews/" + url.PathEscape(id) }
	approveForm := url.Values{"action": {"approve"}, "version": {"1"}}
	tokParts := strings.Split(s.link(hitlhttp.Link{Reviewer: alice, Review: s.mine}), ".")
	otherRing, err := hitlhttp.RandomKeyRing("k1")
	require.NoError(t, err)
	foreignLink, err := hitlhttp.Links{Keys: otherRing, BaseURL: s.base}.Token(hitlhttp.Link{Reviewer: alice, Review: s.mine})
	require.NoError(t, err)
	forgedCookie := func(v string) *http.Cookie { return &http.Cookie{Name: hitlhttp.SessionCookie, Value: v} }
	sessParts := strings.Split(s.session.Value, ".")
	require.Len(t, sessParts, 4)

	cases := []struct {
		name, kind string
		req        func() *http.Request
		code       int
		typ        string
	}{
		// Forged identity.
		{"reviewer header instead of a token", "identity", func() *http.Request {
			r := s.api(decisions(s.mine), approve, "")
			r.Header.Set("X-Reviewer", alice)
			return r
		}, 401, "Unauthenticated"},
		{"token from another provider", "identity", func() *http.Request {
			return s.api(decisions(s.mine), approve, "Bearer "+oidcauthtest.Start(t).Sign(s.claims(alice)))
		}, 401, "Unauthenticated"},
		{"token for another application", "identity", func() *http.Request {
			return s.api(decisions(s.mine), approve, s.bearer(s.iss.Claims(alice, "another-app")))
		}, 401, "Unauthenticated"},
		{"expired token", "identity", func() *http.Request {
			c := s.claims(alice)
			c["exp"] = time.Now().Add(-time.Minute).Unix()
			return s.api(decisions(s.mine), approve, s.bearer(c))
		}, 401, "Unauthenticated"},
		{"unsigned token", "identity", func() *http.Request {
			b, _ := json.Marshal(s.claims(alice))
			return s.api(decisions(s.mine), approve, "Bearer "+reEncode(`{"alg":"none"}`)+"."+base64.RawURLEncoding.EncodeToString(b)+".")
		}, 401, "Unauthenticated"},
		{"session cookie signed with another ring", "identity", func() *http.Request {
			tok, _ := hitlhttp.Links{Keys: otherRing, BaseURL: s.base}.Token(hitlhttp.Link{Reviewer: alice, Review: s.mine})
			r := s.api(decisions(s.mine), approve, "")
			r.AddCookie(forgedCookie(tok))
			return r
		}, 401, "Unauthenticated"},
		{"session cookie with the reviewer changed", "identity", func() *http.Request {
			r := s.api(decisions(s.mine), approve, "")
			r.AddCookie(forgedCookie(sessParts[0] + "." + sessParts[1] + "." + reEncode(`{"sub":"`+alice+`","exp":9999999999}`) + "." + sessParts[3]))
			return r
		}, 401, "Unauthenticated"},
		{"review link used as a session cookie", "identity", func() *http.Request {
			r := s.api(decisions(s.mine), approve, "")
			r.AddCookie(forgedCookie(s.link(hitlhttp.Link{Reviewer: alice, Review: s.mine})))
			return r
		}, 401, "Unauthenticated"},
		{"body names another reviewer", "identity", func() *http.Request {
			return s.api(decisions(s.mine), `{"reviewer":"bob@example.com","action":"approve","version":1}`, s.bearer(s.claims(alice)))
		}, 403, hitl.ErrTypeUnauthorized},
		{"signed in, but no part in the review", "identity", func() *http.Request {
			return s.api(decisions(s.mine), approve, s.bearer(s.claims("carol@example.com")))
		}, 404, "NotFound"},

		// Review links.
		{"replayed link", "link", func() *http.Request {
			return s.form("/link", url.Values{"token": {s.usedLink}}, "same-origin", nil)
		}, 410, "LinkUsed"},
		{"expired link", "link", func() *http.Request {
			return s.form("/link", url.Values{"token": {s.link(hitlhttp.Link{Reviewer: alice, Review: s.mine, Expires: time.Now().Add(-time.Second)})}}, "same-origin", nil)
		}, 410, "LinkExpired"},
		{"tampered link", "link", func() *http.Request {
			forged := tokParts[0] + "." + tokParts[1] + "." + reEncode(`{"sub":"`+alice+`","rev":["`+s.other+`"],"exp":9999999999,"jti":"x"}`) + "." + tokParts[3]
			return s.form("/link", url.Values{"token": {forged}}, "same-origin", nil)
		}, 400, "LinkInvalid"},
		{"link signed with another ring", "link", func() *http.Request {
			return s.form("/link", url.Values{"token": {foreignLink}}, "same-origin", nil)
		}, 400, "LinkInvalid"},
		{"link for another version", "link", func() *http.Request {
			return s.form("/link", url.Values{"token": {s.link(hitlhttp.Link{Reviewer: alice, Review: s.mine, Version: 2})}}, "same-origin", nil)
		}, 409, "LinkStale"},
		{"link for a review that does not exist", "link", func() *http.Request {
			return s.form("/link", url.Values{"token": {s.link(hitlhttp.Link{Reviewer: alice, Review: "no-such-review"})}}, "same-origin", nil)
		}, 404, "NotFound"},
		{"link for someone outside the review", "link", func() *http.Request {
			return s.form("/link", url.Values{"token": {s.link(hitlhttp.Link{Reviewer: "carol@example.com", Review: s.mine})}}, "same-origin", nil)
		}, 404, "NotFound"},
		{"link page with garbage", "link", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, s.base+"/link?token="+url.QueryEscape("h1.k1.%%%.!!"), nil)
			return r
		}, 400, "LinkInvalid"},

		// Cross-site request forgery.
		{"cross-site form post with alice's session", "csrf", func() *http.Request {
			return s.form(page(s.mine), approveForm, "cross-site", s.session)
		}, 403, "CrossOrigin"},
		{"cross-origin post seen by Origin only", "csrf", func() *http.Request {
			r := s.form(page(s.mine), approveForm, "", s.session)
			r.Header.Del("Sec-Fetch-Site")
			r.Header.Set("Origin", "https://evil.example.com")
			return r
		}, 403, "CrossOrigin"},
		{"cross-site API post", "csrf", func() *http.Request {
			r := s.api(decisions(s.mine), approve, "")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.AddCookie(s.session)
			return r
		}, 403, "CrossOrigin"},
		{"cross-site link redemption (login CSRF)", "csrf", func() *http.Request {
			return s.form("/link", url.Values{"token": {s.link(hitlhttp.Link{Reviewer: alice, Review: s.other})}}, "cross-site", nil)
		}, 403, "CrossOrigin"},

		// Bodies.
		{"oversized body", "body", func() *http.Request {
			return s.api(decisions(s.mine), `{"action":"edit","version":1,"text":"`+strings.Repeat("x", maxBody)+`"}`, s.bearer(s.claims(alice)))
		}, 400, "BadRequest"},
		{"malformed JSON", "body", func() *http.Request {
			return s.api(decisions(s.mine), `{"action":"approve",`, s.bearer(s.claims(alice)))
		}, 400, "BadRequest"},
		{"JSON of the wrong shape", "body", func() *http.Request {
			return s.api(decisions(s.mine), `["approve",1]`, s.bearer(s.claims(alice)))
		}, 400, "BadRequest"},
		{"unknown action", "body", func() *http.Request {
			return s.api(decisions(s.mine), `{"action":"publish","version":1}`, s.bearer(s.claims(alice)))
		}, 422, hitl.ErrTypeInvalidDecision},
		{"oversized form", "body", func() *http.Request {
			return s.form(page(s.mine), url.Values{"action": {"edit"}, "version": {"1"}, "text": {strings.Repeat("x", maxBody)}}, "same-origin", s.session)
		}, 400, "BadRequest"},

		// Path tricks in review ids.
		{"dot-dot in an encoded id", "path", func() *http.Request {
			return s.api("/api/reviews/..%2F"+url.PathEscape(s.other)+"/decisions", approve, s.bearer(s.claims(alice)))
		}, 404, "NotFound"},
		{"encoded slash toward another review", "path", func() *http.Request {
			return s.api("/api/reviews/"+url.PathEscape(s.mine)+"%2F..%2F"+url.PathEscape(s.other)+"/decisions", approve, s.bearer(s.claims(alice)))
		}, 404, "NotFound"},
		{"NUL in the id", "path", func() *http.Request {
			return s.api("/api/reviews/"+url.PathEscape(s.mine)+"%00/decisions", approve, s.bearer(s.claims(alice)))
		}, 400, "BadRequest"},
		{"oversized id", "path", func() *http.Request {
			return s.api("/api/reviews/"+strings.Repeat("a", 1001)+"/decisions", approve, s.bearer(s.claims(alice)))
		}, 400, "BadRequest"},
		// The mux answers with the path the URL means (307 keeps the
		// method), where the request is authorized like any other.
		{"unclean path is redirected, not applied", "path", func() *http.Request {
			r := s.api("/api/reviews/"+url.PathEscape(s.mine)+"/../"+url.PathEscape(s.other)+"/decisions", approve, "")
			r.AddCookie(s.session)
			return r
		}, 307, ""},

		// Decisions for another review.
		{"link session posts a form to another review", "scope", func() *http.Request {
			return s.form(page(s.other), approveForm, "same-origin", s.session)
		}, 404, "NotFound"},
		{"link session posts to another review's API", "scope", func() *http.Request {
			r := s.api(decisions(s.other), approve, "")
			r.AddCookie(s.session)
			return r
		}, 404, "NotFound"},
		{"link session reads another review", "scope", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, s.base+"/api/reviews/"+url.PathEscape(s.other), nil)
			r.AddCookie(s.session)
			return r
		}, 404, "NotFound"},
	}
	require.GreaterOrEqual(t, len(cases), 30)
	before := s.snapshot()
	for _, c := range cases {
		t.Run(c.kind+"/"+c.name, func(t *testing.T) {
			a := s.send(c.req())
			assert.Equal(t, c.code, a.code, a.body)
			assert.Equal(t, c.typ, a.typ, a.body)
			for _, ck := range a.cookies {
				assert.NotEqual(t, hitlhttp.SessionCookie, ck.Name, "a refused request opens no session")
			}
			assert.Equal(t, before, s.snapshot(), "neither review changed")
		})
	}

	// The same surface still works for the real reviewer.
	ok := s.send(s.form(page(s.mine), approveForm, "same-origin", s.session))
	assert.Equal(t, http.StatusSeeOther, ok.code, ok.body)
	after := s.snapshot()
	assert.Equal(t, hitl.PhaseApproved, after[s.mine].Phase, "alice's own approval went through")
	assert.Equal(t, before[s.other], after[s.other])
}
