package hitlhttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// browserClient is a cookie-keeping client that sends the Fetch metadata
// a browser sends for same-origin navigations and form posts.
type browserClient struct {
	t      *testing.T
	origin string
	c      *http.Client
}

func newBrowser(t *testing.T, origin string) *browserClient {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browserClient{t: t, origin: origin, c: &http.Client{Jar: jar}}
}

func (b *browserClient) do(method, u string, form url.Values, site string) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.origin)
	}
	req.Header.Set("Sec-Fetch-Site", site)
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, string(out)
}

func (b *browserClient) get(u string) (int, string) { return b.do("GET", u, nil, "none") }

func (b *browserClient) post(u string, form url.Values) (int, string) {
	return b.do("POST", u, form, "same-origin")
}

// tokenOf extracts the token from a link URL.
func tokenOf(t *testing.T, link string) string {
	u, err := url.Parse(link)
	require.NoError(t, err)
	return u.Query().Get("token")
}

func TestIntegrationReviewLinks(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, &hitltest.Activities{}) })
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ring, err := hitlhttp.RandomKeyRing("k1")
	require.NoError(t, err)
	h, err := hitlhttp.New(c, hitlhttp.Options{Keys: ring, Prefix: "/review"}) // links are the only way in
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/review/", h)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	links := hitlhttp.Links{Keys: ring, BaseURL: ts.URL + "/review"}
	base := ts.URL + "/review"

	editor := []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}}
	mine := startReview(ctx, t, c, w.TaskQueue, editor)
	other := startReview(ctx, t, c, w.TaskQueue, editor) // alice reviews it too, but the link is not for it

	link, err := links.URL(hitlhttp.Link{Reviewer: "alice", Review: mine, Version: 1})
	require.NoError(t, err)
	b := newBrowser(t, ts.URL)

	code, body := b.get(base + "/")
	assert.Equal(t, http.StatusUnauthorized, code, "no session, no sign-in: a clear refusal")
	assert.Contains(t, body, `data-type="Unauthenticated"`)

	// Opening the link (a mail scanner may do it too) does not use it up.
	for range 2 {
		code, body = b.get(link)
		require.Equal(t, http.StatusOK, code, body)
		assert.Contains(t, body, `<strong id="link-reviewer">alice</strong>`)
		assert.Contains(t, body, `id="continue"`)
	}
	code, body = b.post(base+"/link", url.Values{"token": {tokenOf(t, link)}})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `<h2 id="title">`+mine+`</h2>`)
	assert.Contains(t, body, `<strong id="reviewer">alice</strong>`)
	assert.Contains(t, body, `id="scope"`, "the page says the session is limited")
	code, body = b.get(link)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `<h2 id="title">`+mine+`</h2>`, "the link opens straight away in the browser that used it")

	// The session covers that review only.
	code, _ = b.get(base + "/reviews/" + url.PathEscape(other))
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = b.post(base+"/reviews/"+url.PathEscape(other), url.Values{"action": {"approve"}, "version": {"1"}})
	assert.Equal(t, http.StatusNotFound, code, "no decision on another review")
	st, err := hitl.GetStatus(ctx, c, other)
	require.NoError(t, err)
	assert.Empty(t, st.Approvals, "the other review is untouched")
	require.Eventually(t, func() bool {
		_, body := b.get(base + "/")
		return strings.Contains(body, `data-id="`+mine+`"`)
	}, 20*time.Second, 200*time.Millisecond, "the list shows the linked review")
	_, body = b.get(base + "/")
	assert.NotContains(t, body, `data-id="`+other+`"`, "and only that one")

	// Decide through the page.
	code, body = b.post(base+"/reviews/"+url.PathEscape(mine), url.Values{"action": {"approve"}, "version": {"1"}, "id": {"link-approve"}})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `<dd id="phase">approved</dd>`)

	// Used links, expired links and stale versions are refused clearly.
	code, body = newBrowser(t, ts.URL).post(base+"/link", url.Values{"token": {tokenOf(t, link)}})
	assert.Equal(t, http.StatusGone, code)
	assert.Contains(t, body, `data-type="LinkUsed"`)

	expired, err := links.URL(hitlhttp.Link{Reviewer: "alice", Review: other, Expires: time.Now().Add(-time.Minute)})
	require.NoError(t, err)
	code, body = newBrowser(t, ts.URL).get(expired)
	assert.Equal(t, http.StatusGone, code)
	assert.Contains(t, body, `data-type="LinkExpired"`)
	assert.Contains(t, body, "ask for a new one")

	stale, err := links.URL(hitlhttp.Link{Reviewer: "alice", Review: other, Version: 1})
	require.NoError(t, err)
	_, err = hitl.Edit(ctx, c, other, "alice", 1, "shorter")
	require.NoError(t, err)
	code, body = newBrowser(t, ts.URL).post(base+"/link", url.Values{"token": {tokenOf(t, stale)}})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body, "the link is for version 1, the review is at version 2")

	// Signing out ends the session.
	code, _ = b.post(base+"/signout", url.Values{})
	require.Equal(t, http.StatusOK, code)
	code, _ = b.get(base + "/reviews/" + url.PathEscape(mine))
	assert.Equal(t, http.StatusUnauthorized, code)
}
