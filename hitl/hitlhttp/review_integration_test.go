package hitlhttp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/stream"
)

const (
	liveWorkflowName = "HITLHTTPLiveReview"
	liveReviseName   = "HITLHTTPLiveRevise"
	liveTopic        = "draft"
)

// liveReview is a review whose workflow hosts a stream and whose Revise
// activity streams its answer into it, like an LLM revision.
func liveReview(ctx workflow.Context, stages []hitl.Stage) (hitl.Result[string], error) {
	s, err := stream.New(ctx, stream.Options{})
	if err != nil {
		return hitl.Result[string]{}, err
	}
	opts := durable.Quick("")
	opts.StartToCloseTimeout = 2 * time.Minute
	res, err := hitl.Run(ctx, hitl.Config[string]{
		Initial: "# Launch\n\nThe widget ships in May.\n",
		Revise: func(ctx workflow.Context, cur string, d hitl.Decision) (string, error) {
			return durable.Execute[string](ctx, liveReviseName, cur, durable.WithSummary(opts, "revise"))
		},
		Stages: stages,
	}, nil)
	if derr := s.Drain(ctx); err == nil {
		err = derr
	}
	return res, err
}

// liveActivity streams "Warranty: " at once, then waits for release
// before the rest of its answer.
type liveActivity struct {
	reached chan struct{}
	release chan struct{}
}

func (a *liveActivity) revise(ctx context.Context, cur string) (string, error) {
	pub, err := stream.NewPublisher(ctx, stream.PublisherOptions{Topic: liveTopic})
	if err != nil {
		return "", err
	}
	pub.Delta("Warranty: ")
	if err := pub.Flush(ctx); err != nil {
		return "", err
	}
	close(a.reached)
	select {
	case <-a.release:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	pub.Delta("two years.")
	_ = pub.Close(ctx, nil)
	return strings.Replace(cur, "May", "June", 1) + "Warranty: two years.\n", nil
}

// demoSignIn returns an HTTP client with a cookie jar, signed in through the
// demo login as reviewer.
func demoSignIn(t *testing.T, base, reviewer string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"reviewer": {reviewer}})
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return c
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestIntegrationReviewPageLiveSteerAndChanges(t *testing.T) {
	srv := durabletest.Server(t)
	act := &liveActivity{reached: make(chan struct{}), release: make(chan struct{})}
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		r.RegisterWorkflowWithOptions(liveReview, workflow.RegisterOptions{Name: liveWorkflowName})
		r.RegisterActivityWithOptions(act.revise, activity.RegisterOptions{Name: liveReviseName})
	})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var mu sync.Mutex
	var steered []hitlhttp.Steering
	h, err := hitlhttp.New(c, hitlhttp.Options{
		Auth: hitlhttp.HeaderAuth{}, DemoLogin: true,
		Live: &hitlhttp.Live{Topics: []string{liveTopic}, PollInterval: 100 * time.Millisecond},
		Steer: func(_ context.Context, s hitlhttp.Steering) error {
			mu.Lock()
			defer mu.Unlock()
			steered = append(steered, s)
			return nil
		},
	})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	defer ts.Close()

	id := "live-" + uuid.NewString()[:8]
	_, err = hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, liveWorkflowName,
		[]hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}, {Name: "legal", Reviewers: []string{"bob"}}})
	require.NoError(t, err)
	alice := demoSignIn(t, ts.URL, "alice")
	bob := demoSignIn(t, ts.URL, "bob")
	carol := demoSignIn(t, ts.URL, "carol")
	page := ts.URL + "/reviews/" + url.PathEscape(id)

	// Version 1: rendered, raw a click away, no script and no live policy.
	resp, body := fetch(t, alice, "GET", page, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, hitlhttp.ContentSecurityPolicy, resp.Header.Get("Content-Security-Policy"))
	assert.NotContains(t, body, "<script")
	assert.Contains(t, body, `<div id="draft" class="markdown"><h1>Launch</h1>`)
	assert.Contains(t, body, "<pre id=\"draft-raw\"># Launch\n\nThe widget ships in May.\n</pre>")
	assert.Contains(t, body, `id="diff-none"`, "one version: nothing to compare")
	assert.Contains(t, body, `<dd id="pending">alice <span class="muted">(1 more approval needed)</span></dd>`)

	// Alice asks for an edit; the revision streams its first words and waits.
	edited := make(chan error, 1)
	go func() {
		_, err := hitl.Edit(ctx, c, id, "alice", 1, "ship in June, add the warranty")
		edited <- err
	}()
	select {
	case <-act.reached:
	case <-ctx.Done():
		t.Fatal("the revision never started")
	}

	var live string
	require.Eventually(t, func() bool {
		resp, live = fetch(t, alice, "GET", page, nil)
		return strings.Contains(live, `<pre id="live-text" class="live">Warranty: </pre>`)
	}, 30*time.Second, 100*time.Millisecond, "the page shows the revision so far")
	assert.Equal(t, hitlhttp.ContentSecurityPolicyLive, resp.Header.Get("Content-Security-Policy"),
		"only a page showing a revision allows the handler's own script")
	assert.Contains(t, live, `<script src="/static/live.js" defer></script>`)
	assert.NotContains(t, live, "<script>", "no inline script")
	assert.Contains(t, live, `data-source="/reviews/`+url.PathEscape(id)+`/stream?from=`)
	assert.Contains(t, live, `<dd id="phase">revising</dd>`)
	assert.Contains(t, live, `id="stop"`)
	assert.Contains(t, live, `<label for="redirect-message">`)
	assert.NotContains(t, live, `id="approve"`, "no decisions while a version is written")
	_, bobs := fetch(t, bob, "GET", page, nil)
	assert.NotContains(t, bobs, `id="stop"`, "bob may read but not steer the editor's revision")

	resp, js := fetch(t, alice, "GET", ts.URL+"/static/live.js", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, js, "EventSource")
	assert.NotContains(t, js, "innerHTML", "the script writes text only")

	// The event stream, through the reviewer's session; an outsider gets 404.
	sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, page+"/stream?from=0&topic=other", nil)
	require.NoError(t, err)
	sresp, err := alice.Do(req)
	require.NoError(t, err)
	assert.Equal(t, "text/event-stream", sresp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(sresp.Body)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), `"Warranty: "`) {
			break
		}
	}
	scancel()
	_ = sresp.Body.Close()
	assert.Contains(t, lines, "event: delta", "the configured topic is served whatever the query asks")
	assert.Contains(t, lines, "id: 0")
	resp, _ = fetch(t, carol, "GET", page+"/stream", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the stream has the page's read access")

	// Stop and redirect, from the page and the API.
	resp, body = fetch(t, alice, "POST", page+"/steer", url.Values{"action": {"redirect"}, "version": {"1"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a redirect needs a message")
	assert.Contains(t, body, `data-type="BadRequest"`)
	resp, body = fetch(t, alice, "POST", page+"/steer", url.Values{"action": {"stop"}, "version": {"7"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "a page shown for another revision steers nothing")
	assert.Contains(t, body, `data-type="HITLStaleVersion"`)
	resp, _ = fetch(t, bob, "POST", page+"/steer", url.Values{"action": {"stop"}, "version": {"1"}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "only the stage's reviewers steer")
	resp, body = fetch(t, alice, "POST", page+"/steer", url.Values{"action": {"redirect"}, "version": {"1"}, "message": {"  more formal  "}})
	assert.Equal(t, http.StatusOK, resp.StatusCode, "post/redirect/get")
	assert.Contains(t, body, "Recorded: redirect.")
	apiReq, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/api/reviews/"+url.PathEscape(id)+"/steer", strings.NewReader(`{"action":"stop"}`))
	require.NoError(t, err)
	apiReq.Header.Set(hitlhttp.DefaultHeader, "alice")
	apiResp, err := ts.Client().Do(apiReq)
	require.NoError(t, err)
	var reply struct{ Steering hitlhttp.Steering }
	require.NoError(t, json.NewDecoder(apiResp.Body).Decode(&reply))
	require.NoError(t, apiResp.Body.Close())
	assert.Equal(t, http.StatusOK, apiResp.StatusCode)
	assert.Equal(t, hitlhttp.Steering{Review: id, Reviewer: "alice", Action: hitlhttp.SteerStop, Version: 1}, reply.Steering,
		"the reply says what was forwarded: the version checked, not the body's (none)")
	mu.Lock()
	assert.Equal(t, []hitlhttp.Steering{
		{Review: id, Reviewer: "alice", Action: hitlhttp.SteerRedirect, Message: "more formal", Version: 1},
		{Review: id, Reviewer: "alice", Action: hitlhttp.SteerStop, Version: 1},
	}, steered)
	mu.Unlock()

	// The revision finishes: version 2, and what changed since alice's visit.
	close(act.release)
	require.NoError(t, <-edited)
	resp, body = fetch(t, alice, "GET", page, nil)
	assert.Equal(t, hitlhttp.ContentSecurityPolicy, resp.Header.Get("Content-Security-Policy"))
	assert.NotContains(t, body, "<script")
	assert.Contains(t, body, `<dd id="version">2</dd>`)
	assert.Contains(t, body, "Since version 1, the last you saw, to version 2")
	assert.Contains(t, body, `<div class="d-row d-change">The widget ships in <del><span class="sr">removed: </span>May</del><ins><span class="sr">added: </span>June</ins>.</div>`)
	assert.Contains(t, body, `<div class="d-row d-ins"><ins><span class="sr">added: </span>Warranty: two years.</ins></div>`)
	assert.Contains(t, body, `id="diff-summary">2 lines changed, 4 words added, 1 removed`)
	assert.Contains(t, body, `<tr class="version" data-version="2"><td>2</td>`)
	assert.Contains(t, body, `<strong id="asked-by">alice</strong>`)
	assert.Contains(t, body, "ship in June, add the warranty")
	resp, _ = fetch(t, alice, "POST", page+"/steer", url.Values{"action": {"stop"}, "version": {"2"}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "nothing to stop once the version exists")

	// Seen now: the next visit compares the last two versions instead.
	_, body = fetch(t, alice, "GET", page, nil)
	assert.Contains(t, body, "From version 1 to version 2")
	assert.NotContains(t, body, "the last you saw")
	// Bob looked at version 1 while it was revised: the same story for him.
	_, body = fetch(t, bob, "GET", page, nil)
	assert.Contains(t, body, "Since version 1, the last you saw, to version 2")

	// Any version, and any two versions.
	_, body = fetch(t, alice, "GET", page+"?version=1", nil)
	assert.Contains(t, body, `<span id="shown-version">1</span>`)
	assert.Contains(t, body, "the current version is 2")
	assert.Contains(t, body, "The widget ships in May.")
	_, body = fetch(t, alice, "GET", page+"?from=2&to=2", nil)
	assert.Contains(t, body, `id="diff-same"`)
	_, body = fetch(t, alice, "GET", page+"?version=5", nil)
	assert.Contains(t, body, "Version 5 is no longer kept")
	assert.Contains(t, body, `<option value="1" selected>1</option>`)
	assert.Contains(t, body, `<label for="compare-from">`)
}
