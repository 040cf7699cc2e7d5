package docapproval_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// envArtefacts names a directory the browser tests keep their screenshots
// in (one folder per test); unset, they go to the test's temporary
// directory and are logged.
const envArtefacts = "BROWSER_ARTEFACTS"

const (
	markdownDraft = "# ACME TurboWidget\n\n" +
		"The **TurboWidget** ships in *May*, with two speeds.\n\n" +
		"- Fast mode\n- Quiet mode\n\n" +
		"| Model | Price |\n|---|---|\n| T1 | $10 |\n\n" +
		"See the [spec sheet](https://example.com/spec) or [this](javascript:alert(1)).\n"
	revisedDraft = "# ACME TurboWidget\n\n" +
		"The **TurboWidget** ships in *June*, with two speeds.\n\n" +
		"- Fast mode\n- Quiet mode\n\n" +
		"| Model | Price |\n|---|---|\n| T1 | $10 |\n\n" +
		"Warranty: two years, parts and labour.\n\n" +
		"See the [spec sheet](https://example.com/spec) or [this](javascript:alert(1)).\n"
)

// shots writes the page's screenshots into the artefact directory.
type shots struct {
	t   *testing.T
	ctx context.Context
	dir string
	n   int
}

func newShots(t *testing.T, ctx context.Context) *shots {
	dir := t.TempDir()
	if base := os.Getenv(envArtefacts); base != "" {
		dir = filepath.Join(base, t.Name())
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	return &shots{t: t, ctx: ctx, dir: dir}
}

func (s *shots) take(name string) {
	s.t.Helper()
	b, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	require.NoError(s.t, err)
	s.n++
	path := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	require.NoError(s.t, os.WriteFile(path, b, 0o644))
	s.t.Logf("screenshot %s (%d bytes)", path, len(b))
}

func evalBool(t *testing.T, ctx context.Context, js string) bool {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[bool](js))
	require.NoError(t, err, js)
	return v
}

func evalString(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[string](js))
	require.NoError(t, err, js)
	return v
}

// pageProblems collects script exceptions and console errors (a script the
// Content-Security-Policy blocked, say) of the tab.
type pageProblems struct {
	mu   sync.Mutex
	list []string
}

func watchProblems(t *testing.T, ctx context.Context) *pageProblems {
	p := &pageProblems{}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			p.list = append(p.list, "exception: "+e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError && !strings.HasSuffix(e.Entry.URL, "/favicon.ico") {
				p.list = append(p.list, "console: "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	}))
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	})))
	return p
}

func (p *pageProblems) get() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}

// TestBrowserReviewPage drives the review page as a reviewer would, by
// keyboard where a reviewer would, through each of its states: the draft
// rendered, its raw text, a version being written live (with stop and
// redirect), what changed, approved, and on a phone. A screenshot of each
// state is kept (see envArtefacts); the assertions are on the DOM.
func TestBrowserReviewPage(t *testing.T) {
	bctx := browser(t)
	srv := durabletest.Server(t)
	llmSrv := llmtest.NewServer(t)
	hold := make(chan struct{})
	defer close(hold)
	// The first revision is written slowly and held before its last word;
	// alice redirects it, and the call asked again answers at once.
	llmSrv.Enqueue(llmtest.Text(markdownDraft),
		llmtest.Reply{Content: revisedDraft, ChunkDelay: 120 * time.Millisecond, Hold: hold},
		llmtest.Text(revisedDraft))
	acts, err := docapproval.NewActivities(docapproval.Config{Dir: t.TempDir(), LLM: viaServerConfig(llmSrv), Live: true})
	require.NoError(t, err)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) }, acts.WorkerOptions(worker.Options{}))
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	ring, err := hitlhttp.RandomKeyRing("k1")
	require.NoError(t, err)
	// Stop and redirect reach the workflow through docapproval.Steer.
	h, err := docapproval.ReviewHandler(ctx, c, docapproval.ReviewAuth{Keys: ring, DemoLogin: true})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	defer ts.Close()

	id := "docapproval-page-" + uuid.NewString()[:8]
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, docapproval.WorkflowName,
		docapproval.Input{DocID: "doc-page", Prompt: prompt,
			Stages: []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}, Deadline: 48 * time.Hour}}})
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)
	problems := watchProblems(t, bctx)
	pics := newShots(t, bctx)
	page := ts.URL + "/reviews/" + id

	// Sign in with the keyboard: type the name, press Enter.
	require.NoError(t, within(bctx, 30*time.Second,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.Focus(chromedp.CSS("#login-reviewer")),
		chromedp.KeyEvent("alice"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#reviews")),
	))
	assert.Equal(t, "alice", textOf(t, bctx, "#reviewer"))

	// 1. The draft, rendered.
	require.NoError(t, within(bctx, 30*time.Second, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#draft"))))
	assert.Equal(t, "ACME TurboWidget", textOf(t, bctx, "#draft h1"))
	assert.Equal(t, "TurboWidget", textOf(t, bctx, "#draft strong"))
	assert.True(t, evalBool(t, bctx, `document.querySelectorAll("#draft li").length === 2`))
	assert.Equal(t, "$10", textOf(t, bctx, "#draft td:last-child"))
	assert.True(t, evalBool(t, bctx, `document.querySelector('#draft a[href="https://example.com/spec"]').rel === "nofollow noopener noreferrer"`))
	assert.True(t, evalBool(t, bctx, `document.querySelectorAll("#draft a").length === 1`), "the javascript: link is text")
	assert.True(t, evalBool(t, bctx, `!document.querySelector("#raw").open`), "the raw text is a click away, not in the way")
	assert.Contains(t, textOf(t, bctx, "#version-meta"), "First draft")
	assert.Contains(t, textOf(t, bctx, "#version-meta"), "gpt-4o-mini")
	assert.Contains(t, textOf(t, bctx, "#tokens"), " in, ")
	assert.Contains(t, textOf(t, bctx, "#pending"), "alice")
	assert.Contains(t, textOf(t, bctx, "#time-left"), "left", "the deadline as time left")
	assert.True(t, evalBool(t, bctx, `!isNaN(Date.parse(document.querySelector("#due time").dateTime))`), "and as a date")
	assert.Equal(t, "Nothing to compare yet: this is the first version.", textOf(t, bctx, "#diff-none"))
	assert.True(t, evalBool(t, bctx, `document.querySelector('script') === null`), "no script on a page that shows no live revision")
	pics.take("draft-rendered")

	// Every field has a label, and the first Tab reaches the skip link.
	assert.True(t, evalBool(t, bctx, `[...document.querySelectorAll("input:not([type=hidden]), textarea, select")]
		.every(e => e.labels && e.labels.length > 0 && e.labels[0].textContent.trim() !== "")`), "labels tied to fields")
	require.NoError(t, within(bctx, 10*time.Second, chromedp.KeyEvent(kb.Tab)))
	assert.Equal(t, "Skip to content", evalString(t, bctx, `document.activeElement.textContent`))
	assert.True(t, evalBool(t, bctx, `document.activeElement.getBoundingClientRect().left >= 0`), "the skip link shows when focused")

	// 2. The raw text, opened from the keyboard.
	require.NoError(t, within(bctx, 10*time.Second,
		chromedp.Focus(chromedp.CSS("#raw-toggle")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#draft-raw")),
	))
	raw := evalString(t, bctx, `document.querySelector("#draft-raw").textContent`)
	assert.Equal(t, markdownDraft, raw)
	assert.NotEqual(t, "none", evalString(t, bctx, `getComputedStyle(document.querySelector("#raw-toggle")).outlineStyle`),
		"the focused control shows its focus")
	pics.take("raw-text")

	// 3. An edit: the page shows the new version as the model writes it.
	require.NoError(t, within(bctx, time.Minute,
		chromedp.SendKeys(chromedp.CSS("#instructions"), "Ship in June and state the warranty."),
		chromedp.Click(chromedp.CSS("#edit")),
		chromedp.WaitVisible(chromedp.CSS("#live-text")),
	))
	assert.Equal(t, "revising", textOf(t, bctx, "#phase"))
	assert.Contains(t, textOf(t, bctx, "#notice"), "edit")
	require.NoError(t, within(bctx, 10*time.Second, chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`)))
	start := len(evalString(t, bctx, `document.querySelector("#live-text").textContent`))
	require.Eventually(t, func() bool {
		v := evalString(t, bctx, `window.sameDocument ? document.querySelector("#live-text").textContent : ""`)
		return len(v) > start && strings.Contains(v, "Warranty: two years")
	}, time.Minute, 100*time.Millisecond, "the text grows on the page as it is generated, without a reload")
	assert.True(t, evalBool(t, bctx, `document.querySelectorAll('script[src$="/static/live.js"]').length === 1`))
	assert.True(t, evalBool(t, bctx, `document.querySelector("#approve") === null`), "no decision while the version is written")
	assert.Equal(t, "Redirect: what to write instead", textOf(t, bctx, `label[for="redirect-message"]`))
	pics.take("live-revision")

	// Redirect from the page: the call is cancelled and asked again with
	// alice's message.
	require.NoError(t, within(bctx, 30*time.Second,
		chromedp.SendKeys(chromedp.CSS("#redirect-message"), "Keep it under 50 words."),
		chromedp.Click(chromedp.CSS("#redirect")),
	))
	waitText(t, bctx, "#notice", "Recorded: redirect.")
	reqs := llmSrv.Requests()
	require.Len(t, reqs, 3, "the draft, the redirected revision, the revision asked again")
	last := reqs[2].Messages[len(reqs[2].Messages)-1].Content
	assert.Contains(t, last, docapproval.RedirectHeading+"\nKeep it under 50 words.\n")
	assert.Contains(t, last, "Ship in June and state the warranty.")

	// 4. The new version lands: the page comes back by itself on version 2
	// and shows what changed since the version alice saw.
	waitText(t, bctx, "#version", "2")
	assert.Equal(t, "open", textOf(t, bctx, "#phase"))
	assert.Contains(t, textOf(t, bctx, "#diff-title"), "Since version 1, the last you saw, to version 2")
	assert.Equal(t, "removed: May", evalString(t, bctx, `document.querySelector("#diff .d-change del").textContent`))
	assert.Equal(t, "added: June", evalString(t, bctx, `document.querySelector("#diff .d-change ins").textContent`))
	assert.True(t, evalBool(t, bctx, `[...document.querySelectorAll("#diff .d-ins")].some(e => e.textContent === "added: Warranty: two years, parts and labour.")`),
		"the added paragraph is an added line")
	assert.Equal(t, "alice", textOf(t, bctx, "#asked-by"))
	assert.Contains(t, textOf(t, bctx, `tr.version[data-version="2"]`), "Ship in June and state the warranty.")
	assert.Contains(t, textOf(t, bctx, `tr.version[data-version="2"]`), "gpt-4o-mini")
	assert.Equal(t, "Warranty: two years, parts and labour.", textOf(t, bctx, "#draft p:nth-of-type(2)"))
	require.NoError(t, within(bctx, 10*time.Second, chromedp.ScrollIntoView(chromedp.CSS("#changes"))))
	pics.take("changes")

	// Any two versions, from the form (a GET: no script involved).
	require.NoError(t, within(bctx, 30*time.Second,
		chromedp.SetValue(chromedp.CSS("#compare-from"), "2"),
		chromedp.SetValue(chromedp.CSS("#compare-to"), "1"),
		chromedp.Click(chromedp.CSS("#compare")),
	))
	require.Eventually(t, func() bool {
		return evalBool(t, bctx, `document.querySelector("#diff-title") !== null && document.querySelector("#diff-title").textContent.startsWith("From version 2 to version 1:")`)
	}, 30*time.Second, 100*time.Millisecond, "the chosen comparison")
	assert.Equal(t, "removed: June", evalString(t, bctx, `document.querySelector("#diff .d-change del").textContent`))

	// 5. Approved.
	require.NoError(t, within(bctx, time.Minute, chromedp.Click(chromedp.CSS("#approve"))))
	waitText(t, bctx, "#phase", "approved")
	assert.True(t, evalBool(t, bctx, `document.querySelector("#decide") === null`), "a closed review offers no forms")
	pics.take("approved")

	// 6. On a phone: nothing wider than the screen but the tables' own
	// scroll regions.
	require.NoError(t, within(bctx, 30*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#draft")),
	))
	assert.True(t, evalBool(t, bctx, `document.documentElement.scrollWidth <= window.innerWidth`), "no sideways scrolling")
	assert.True(t, evalBool(t, bctx, `parseFloat(getComputedStyle(document.querySelector("#approvals")).width) <= window.innerWidth`))
	pics.take("phone")

	assert.Empty(t, problems.get(), "no script error and nothing the Content-Security-Policy blocked")
}
