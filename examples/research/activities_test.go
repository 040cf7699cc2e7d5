package research_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/examples/research"
)

func activityEnv(acts *research.Activities) *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return env
}

func TestRenderReportWritesOneFilePerWorkflow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	acts := &research.Activities{OutDir: dir}
	env := activityEnv(acts)
	in := research.RenderInput{Title: "Tardigrades", Markdown: sampleMarkdown, Meta: sampleMeta}

	var first research.Rendered
	for range 2 { // a retry replaces the file
		v, err := env.ExecuteActivity(acts.RenderReport, in)
		require.NoError(t, err)
		require.NoError(t, v.Get(&first))
	}
	// The test environment's workflow ID names the file.
	assert.Equal(t, dir, filepath.Dir(first.Path))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "one PDF and no temporary files")
	assert.Equal(t, filepath.Base(first.Path), entries[0].Name())

	b, err := os.ReadFile(first.Path)
	require.NoError(t, err)
	want, err := research.RenderPDF(in.Title, in.Markdown, in.Meta)
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), first.Bytes)
	assert.Len(t, first.SHA256, 64)
	assert.True(t, bytes.Equal(b, want), "the file holds the rendered PDF")
	st, err := os.Stat(first.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

func TestRenderReportWriteFailureIsRetryable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	acts := &research.Activities{OutDir: file}
	_, err := activityEnv(acts).ExecuteActivity(acts.RenderReport, research.RenderInput{Title: "x", Markdown: "y"})
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, research.ErrTypeWriteFailed, appErr.Type())
	assert.False(t, appErr.NonRetryable())
}

func TestReportPath(t *testing.T) {
	assert.Equal(t, filepath.Join("d", "research-1a2b.pdf"), research.ReportPath("d", "research-1a2b"))
	a, b := research.ReportPath("d", "a/b"), research.ReportPath("d", "a_b")
	assert.NotEqual(t, a, b, "replaced characters do not make two IDs share a file")
	assert.Equal(t, "d", filepath.Dir(a), "no path separators survive")
	for _, id := range []string{"", ".", "..", "../../etc/passwd", strings.Repeat("x", 500)} {
		p := research.ReportPath("d", id)
		assert.Equal(t, "d", filepath.Dir(p), "%q stays in the directory", id)
		assert.False(t, strings.HasPrefix(filepath.Base(p), "."), "%q gives no hidden file", id)
		assert.LessOrEqual(t, len(filepath.Base(p)), 120)
	}
}

func TestNotifyAppendsOnceAndFailsWhenToldTo(t *testing.T) {
	dir := t.TempDir()
	acts := &research.Activities{OutDir: dir}
	env := activityEnv(acts)
	n := research.Notification{WorkflowID: "wf-1", Topic: nonASCII, PDFPath: "/x.pdf", SHA256: "abc", Model: "m", Tokens: 7}

	var out research.Notified
	v, err := env.ExecuteActivity(acts.Notify, n)
	require.NoError(t, err)
	require.NoError(t, v.Get(&out))
	assert.Equal(t, research.Notified{Channel: "log:" + filepath.Join(dir, research.NotificationsLog)}, out)

	// The same run again (an attempt whose result was lost): no second line.
	v, err = env.ExecuteActivity(acts.Notify, n)
	require.NoError(t, err)
	require.NoError(t, v.Get(&out))
	assert.True(t, out.Duplicate)
	notes := readLog(t, filepath.Join(dir, research.NotificationsLog))
	require.Len(t, notes, 1)
	assert.Equal(t, nonASCII, notes[0]["topic"])
	assert.Equal(t, "/x.pdf", notes[0]["pdf"])
	assert.NotEmpty(t, notes[0]["idempotency_key"])

	failing := &research.Activities{OutDir: dir, FailNotify: true}
	_, err = activityEnv(failing).ExecuteActivity(failing.Notify, n)
	require.Error(t, err)
	assert.True(t, research.IsNotifyUnavailable(err))
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.False(t, appErr.NonRetryable(), "an outage is retried")
	assert.Contains(t, appErr.Error(), "-fail-notify", "the message says how to fix it")
}

func TestNotifyWebhook(t *testing.T) {
	var (
		mu     sync.Mutex
		status = http.StatusNoContent
		got    []*http.Request
		bodies []map[string]any
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, m)
		code := status
		mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	acts := &research.Activities{WebhookURL: srv.URL + "/hook", NotifyLog: filepath.Join(t.TempDir(), "unused.jsonl")}
	env := activityEnv(acts)
	n := research.Notification{WorkflowID: "wf-2", Topic: "t", PDFPath: "/r.pdf"}

	v, err := env.ExecuteActivity(acts.Notify, n)
	require.NoError(t, err)
	var out research.Notified
	require.NoError(t, v.Get(&out))
	assert.Equal(t, "webhook:"+srv.URL+"/hook", out.Channel)
	mu.Lock()
	require.Len(t, got, 1)
	assert.Equal(t, http.MethodPost, got[0].Method)
	assert.Equal(t, "application/json", got[0].Header.Get("Content-Type"))
	assert.NotEmpty(t, got[0].Header.Get("Idempotency-Key"))
	assert.Equal(t, got[0].Header.Get("Idempotency-Key"), bodies[0]["idempotency_key"])
	assert.Equal(t, "wf-2", bodies[0]["workflow_id"])
	mu.Unlock()
	assert.NoFileExists(t, acts.NotifyLog, "a webhook replaces the log")

	for code, retryable := range map[int]bool{503: true, 429: true, 408: true, 404: false, 400: false} {
		mu.Lock()
		status = code
		mu.Unlock()
		_, err := env.ExecuteActivity(acts.Notify, n)
		require.Error(t, err, "status %d", code)
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, err, &appErr)
		if retryable {
			assert.Equal(t, research.ErrTypeNotifyUnavailable, appErr.Type(), "status %d", code)
			assert.False(t, appErr.NonRetryable(), "status %d", code)
		} else {
			assert.Equal(t, research.ErrTypeWebhookRejected, appErr.Type(), "status %d", code)
			assert.True(t, appErr.NonRetryable(), "status %d", code)
		}
	}
}

func TestRenderPDFConcurrently(t *testing.T) {
	want, err := research.RenderPDF("Title", sampleMarkdown, sampleMeta)
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([][]byte, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = research.RenderPDF("Title", sampleMarkdown, sampleMeta)
		}()
	}
	wg.Wait()
	for i, b := range results {
		assert.True(t, bytes.Equal(b, want), "render %d is identical (the shared font bytes are not modified)", i)
	}
}
