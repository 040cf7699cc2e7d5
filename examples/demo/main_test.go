package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
)

// TestDemoRunsAllFlows keeps `make demo` honest: the same run, offline, with
// its outcomes and files checked.
func TestDemoRunsAllFlows(t *testing.T) {
	if _, err := durable.FindCLI(); err != nil {
		if os.Getenv(durabletest.EnvIntegration) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	out := filepath.Join(t.TempDir(), "demo")
	var buf bytes.Buffer
	require.NoError(t, run(false, out, false, &buf))
	s := buf.String()
	assert.Contains(t, s, "offline model")
	assert.Contains(t, s, "approved at version 3")
	assert.Regexp(t, `▸ +\d+ chars: "`, s, "the research report is previewed while it streams in")
	assert.Regexp(t, `streamed [1-9]\d* chars in [1-9]\d* delta events \([1-9]\d* batches\), first text after \d+ ms, 0 attempt\(s\) discarded; it ended with the whole answer`, s)
	assert.Contains(t, s, "ordersaga-order-ok: completed; charges 1, refunds 0")
	assert.Contains(t, s, "ordersaga-order-fail: compensated; charges 1, refunds 1")
	assert.Contains(t, s, "Web UI: http://")
	assert.Contains(t, s, "support-A-1001-broken: answered after 4 turns; calls: lookup_order (read-only: ok), issue_refund (side-effect+approval+undo: ok), send_email (side-effect: ok)")
	assert.Contains(t, s, "refunds 1 (2500 cents), emails 1")
	assert.Regexp(t, `http://127\.0\.0\.1:\d+/link\?token=h1\.demo\.`, s, "a signed review link")

	approved, err := filepath.Glob(filepath.Join(out, "docapproval", "welcome-memo_*.json"))
	require.NoError(t, err)
	assert.Len(t, approved, 1, "the approved version is persisted once")
	pdfs, err := filepath.Glob(filepath.Join(out, "research", "*.pdf"))
	require.NoError(t, err)
	require.Len(t, pdfs, 1)
	head := make([]byte, 5)
	f, err := os.Open(pdfs[0])
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	_, err = f.Read(head)
	require.NoError(t, err)
	assert.Equal(t, "%PDF-", string(head))
}
