package docapproval_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
)

// chromiumPath is the Debian package's browser (`make browser` installs it).
const chromiumPath = "/usr/bin/chromium"

// envScreenshot, when set, names a file the browser test also writes its
// screenshot to, to look at it after the run.
const envScreenshot = "DOCAPPROVAL_SCREENSHOT"

// browser returns a chromedp context on a headless Chromium, or skips
// (fails under DURABLE_INTEGRATION=1) when it is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("browser test needs %s: install Debian chromium: make browser", chromiumPath)
		if os.Getenv(durabletest.EnvIntegration) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 1400),
	)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser and must not carry a timeout.
	require.NoError(t, chromedp.Do(ctx), "start %s", chromiumPath)
	return ctx
}

// within runs steps with a deadline.
func within(ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(css)))
	require.NoError(t, err, "read %s", css)
	return s
}

// waitText waits until the element css shows want. It polls, because the
// page may be navigating (a form post and its redirect) while it looks.
func waitText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	js := fmt.Sprintf(`document.querySelector(%q) !== null && document.querySelector(%q).textContent.trim() === %q`, css, css, want)
	require.Eventually(t, func() bool {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](js))
		return err == nil && ok
	}, time.Minute, 100*time.Millisecond, "%s never showed %q", css, want)
}

func TestBrowserEditThenApprove(t *testing.T) {
	bctx := browser(t)
	srv := durabletest.Server(t)
	acts := offline(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) })
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Reviewers sign in with OpenID Connect: a local provider that signs
	// alice in when the browser reaches its authorization endpoint.
	iss := oidcauthtest.Start(t)
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer ts.Close()
	h, err := docapproval.ReviewHandler(ctx, c, docapproval.ReviewAuth{OIDC: oidcauth.Config{
		Issuer: iss.URL(), ClientID: iss.ClientID, ClientSecret: iss.ClientSecret, RedirectURL: ts.URL + "/signin/callback",
	}})
	require.NoError(t, err)

	id := "docapproval-browser-" + uuid.NewString()[:8]
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, docapproval.WorkflowName,
		docapproval.Input{DocID: "doc-browser", Prompt: prompt})
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)

	// The list sends the browser to sign in, the provider back with a code,
	// and the handler on to the list with a session.
	require.NoError(t, within(bctx, 30*time.Second,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#reviews")),
	))
	assert.Equal(t, "alice@example.com", textOf(t, bctx, "#reviewer"))
	noDemo, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector("#login-link") === null`))
	require.NoError(t, err)
	assert.True(t, noDemo, "no demo login unless asked for")

	// The list reads the visibility store, which can lag the workflow.
	row := fmt.Sprintf(`tr.review[data-id=%q] a`, id)
	require.Eventually(t, func() bool {
		if within(bctx, 10*time.Second, chromedp.Navigate(ts.URL+"/")) != nil {
			return false
		}
		found, err := chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, row)))
		return err == nil && found
	}, 30*time.Second, 200*time.Millisecond, "review %s never appeared in the list", id)

	require.NoError(t, within(bctx, 30*time.Second,
		chromedp.Click(chromedp.CSS(row)),
		chromedp.WaitVisible(chromedp.CSS("#edit-form")),
	))
	assert.Equal(t, id, textOf(t, bctx, "#title"))
	assert.Equal(t, "1", textOf(t, bctx, "#version"))
	assert.Equal(t, "open", textOf(t, bctx, "#phase"))
	assert.Contains(t, textOf(t, bctx, "#version-meta"), "First draft")
	assert.Contains(t, textOf(t, bctx, "#draft"), "No provider was called", "the offline model's Markdown, rendered")

	// Submit an edit through the form; the page shows the version being
	// written, then comes back on version 2 by itself.
	require.NoError(t, within(bctx, time.Minute,
		chromedp.SendKeys(chromedp.CSS("#instructions"), "Please emphasize safety and warranty."),
		chromedp.Click(chromedp.CSS("#edit")),
	))
	waitText(t, bctx, "#notice", "Recorded: edit.")
	waitText(t, bctx, "#version", "2")
	assert.Equal(t, "alice@example.com", textOf(t, bctx, "#asked-by"))

	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "review-v2.png")
	require.NoError(t, os.WriteFile(path, shot, 0o600))
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if extra := os.Getenv(envScreenshot); extra != "" {
		require.NoError(t, os.WriteFile(extra, shot, 0o600))
	}

	// Approve version 2.
	require.NoError(t, within(bctx, time.Minute, chromedp.Click(chromedp.CSS("#approve"))))
	waitText(t, bctx, "#phase", "approved")

	var res docapproval.Result
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, "alice@example.com", res.By)
	assert.Equal(t, 2, res.Document.Version)
	rec, err := acts.Store().Get("doc-browser", 2)
	require.NoError(t, err)
	assert.Equal(t, res.Document.Text, rec.Content)
	assert.Equal(t, res.Persisted.Path, acts.Store().Path("doc-browser", 2))
}
