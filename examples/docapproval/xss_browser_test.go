package docapproval_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
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
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// hostileDraft is LLM output that tries every way into the page: a script,
// inline event handlers, javascript: links in Markdown and HTML, an SVG
// and an iframe, a style that would hide the page, a base tag, an attempt
// to close the <pre> of the raw view, and a Markdown paragraph with a
// javascript: link and an inline handler for the rendered view. Each sets
// window.pwned.
const hostileDraft = "# Launch memo\n\n" +
	"<script>window.pwned='script'</script>\n" +
	"<img src=x onerror=\"window.pwned='img'\">\n" +
	"[click here](javascript:window.pwned='md-link')\n" +
	"<a id=\"evil\" href=\"javascript:window.pwned='a'\">details</a>\n" +
	"<svg onload=\"window.pwned='svg'\"></svg>\n" +
	"<iframe src=\"javascript:parent.pwned='iframe'\"></iframe>\n" +
	"<style>body{display:none}</style><base href=\"https://evil.example.com/\">\n" +
	"</pre><script>window.pwned='breakout'</script><pre>\n" +
	"**bold** <b onmouseover=\"window.pwned='b'\">text</b>\n" +
	"\n[read more](javascript:window.pwned='md-paragraph') in **bold** <i onclick=\"window.pwned='i'\">x</i>\n"

func TestBrowserHostileDraftIsText(t *testing.T) {
	bctx := browser(t)
	srv := durabletest.Server(t)
	llmSrv := llmtest.NewServer(t)
	llmSrv.Enqueue(llmtest.Text(hostileDraft))
	acts := viaServer(t, llmSrv, t.TempDir())
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) })
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ring, err := hitlhttp.RandomKeyRing("k1")
	require.NoError(t, err)
	h, err := docapproval.ReviewHandler(ctx, c, docapproval.ReviewAuth{Keys: ring})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	defer ts.Close()

	id := "docapproval-xss-" + uuid.NewString()[:8]
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, docapproval.WorkflowName,
		docapproval.Input{DocID: "doc-xss", Prompt: prompt})
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)

	// The reviewer arrives through a signed link, as from an email.
	link, err := hitlhttp.Links{Keys: ring, BaseURL: ts.URL}.URL(hitlhttp.Link{Reviewer: "alice", Review: id, Version: 1})
	require.NoError(t, err)
	require.NoError(t, within(bctx, 30*time.Second,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#continue")),
		chromedp.Click(chromedp.CSS("#continue")),
		chromedp.WaitVisible(chromedp.CSS("#draft")),
	))
	assert.Equal(t, "alice", textOf(t, bctx, "#reviewer"))

	eval := func(js string) bool {
		t.Helper()
		tctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(tctx, chromedp.Evaluate[bool](js))
		require.NoError(t, err, js)
		return v
	}
	// The raw text, a click away, shows the draft as text, markup and all.
	raw, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("#draft-raw").textContent`))
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(hostileDraft), "\n") {
		assert.Contains(t, raw, line, "the raw view is the draft as text")
	}
	assert.True(t, eval(`document.querySelectorAll("#draft-raw *").length === 0`), "the raw view holds no elements")
	// The rendered Markdown keeps the text and formatting, and nothing else.
	assert.Equal(t, "Launch memo", textOf(t, bctx, "#draft h1"))
	assert.Equal(t, "bold", textOf(t, bctx, "#draft strong"))
	assert.Contains(t, textOf(t, bctx, "#draft"), "read more", "a javascript: link keeps its text, not its href")
	assert.True(t, eval(`[...document.querySelectorAll("#draft *")].every(e =>
		["P", "H1", "STRONG", "EM", "A"].includes(e.tagName) && [...e.attributes].every(a => a.name === "href" || a.name === "rel"))`),
		"the rendered draft holds only Markdown's elements, without handlers")
	assert.True(t, eval(`typeof window.pwned === "undefined"`), "no injected code ran")
	assert.True(t, eval(`document.querySelectorAll("script, iframe, svg, img, base, style, #evil").length === 0`),
		"no injected element anywhere on the page")
	assert.True(t, eval(`getComputedStyle(document.body).display !== "none"`), "the page is not restyled")
	assert.True(t, eval(`document.querySelectorAll("a[href^='javascript:' i]").length === 0`))

	// Hovering and clicking the draft, and opening the raw view, runs nothing either.
	require.NoError(t, within(bctx, 10*time.Second,
		chromedp.Click(chromedp.CSS("#draft")),
		chromedp.Click(chromedp.CSS("#raw-toggle")),
		chromedp.WaitVisible(chromedp.CSS("#draft-raw")),
		chromedp.Click(chromedp.CSS("#draft-raw")),
	))
	assert.True(t, eval(`typeof window.pwned === "undefined"`))

	// A reviewer's comment is untrusted too: it lands in the audit trail.
	require.NoError(t, within(bctx, time.Minute,
		chromedp.SendKeys(chromedp.CSS("#approve-comment"), `<img src=x onerror="window.pwned='comment'">ok`),
		chromedp.Click(chromedp.CSS("#approve")),
	))
	waitText(t, bctx, "#phase", "approved")
	assert.Contains(t, textOf(t, bctx, "#audit"), `<img src=x onerror="window.pwned='comment'">ok`)
	assert.True(t, eval(`document.querySelectorAll("#audit img").length === 0`))
	assert.True(t, eval(`typeof window.pwned === "undefined"`))

	// The browser enforces the policy the handler sends: an inline script
	// added to the page is blocked. (DevTools' own evaluation bypasses CSP,
	// so the script is inserted as an element and must not run.)
	assert.True(t, eval(fmt.Sprintf(`(() => { const s = document.createElement("script"); s.textContent = %q;
		document.body.appendChild(s); return typeof window.pwned === "undefined"; })()`, "window.pwned='inserted'")),
		"the Content-Security-Policy blocks inline script")
}
