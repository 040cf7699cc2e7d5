package hitlhttp

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/hitl"
)

func TestLastSeen(t *testing.T) {
	h := &Handler{opts: Options{Prefix: "/review"}}
	st := hitl.Status{Version: 5, Audit: []hitl.Entry{
		{Reviewer: "alice", Action: hitl.ActionEdit, Version: 2},
		{Reviewer: "bob", Action: hitl.ActionApprove, Version: 4, Ignored: "HITLStaleVersion: ..."},
	}}
	r := httptest.NewRequest(http.MethodGet, "/review/reviews/doc-1", nil)
	assert.Equal(t, 2, lastSeen(r, "alice", "doc-1", st), "alice decided on version 2")
	assert.Equal(t, 0, lastSeen(r, "bob", "doc-1", st), "an ignored decision does not count")

	// The page records what it showed; the cookie remembers per reviewer and review.
	w := httptest.NewRecorder()
	h.markSeen(w, r, "alice", "doc-1", 3)
	c := w.Result().Cookies()
	require.Len(t, c, 1)
	assert.Equal(t, SeenCookie, c[0].Name)
	assert.True(t, c[0].HttpOnly)
	assert.Equal(t, "/review/", c[0].Path)
	assert.NotContains(t, c[0].Value, "alice", "the cookie names neither reviewer nor review")
	r.AddCookie(c[0])
	assert.Equal(t, 3, lastSeen(r, "alice", "doc-1", st))
	assert.Equal(t, 0, lastSeen(r, "bob", "doc-1", st), "another reviewer in the same browser")
	assert.Equal(t, 0, lastSeen(r, "alice", "doc-2", hitl.Status{Version: 1}))
	assert.Equal(t, 1, lastSeen(r, "alice", "doc-1", hitl.Status{Version: 1}), "never past the current version")

	// The newest reviews are kept, the oldest dropped.
	for i := range 30 {
		w := httptest.NewRecorder()
		h.markSeen(w, r, "alice", fmt.Sprint("doc-x", i), i+1)
		r = httptest.NewRequest(http.MethodGet, "/review/", nil)
		r.AddCookie(w.Result().Cookies()[0])
	}
	assert.Len(t, strings.Split(r.Header.Get("Cookie"), "."), seenEntries)
	assert.Equal(t, 30, lastSeen(r, "alice", "doc-x29", hitl.Status{Version: 30}))
	assert.Equal(t, 0, lastSeen(r, "alice", "doc-x0", hitl.Status{Version: 30}))

	bad := httptest.NewRequest(http.MethodGet, "/", nil)
	bad.AddCookie(&http.Cookie{Name: SeenCookie, Value: "garbage.:x.abc:-3"})
	assert.Equal(t, 0, lastSeen(bad, "alice", "doc-1", hitl.Status{Version: 2}))
}

func TestDueAndSpans(t *testing.T) {
	now := mustTime(t, "2026-12-01T09:00:00Z")
	d := newDueView(mustTime(t, "2026-12-03T12:30:00Z"), now)
	assert.Equal(t, "2 days 3 hours left", d.Left)
	assert.Equal(t, "Thu 3 Dec 2026, 12:30 UTC", d.When)
	assert.Equal(t, "2026-12-03T12:30:00Z", d.ISO)
	d = newDueView(mustTime(t, "2026-12-01T08:59:00Z"), now)
	assert.True(t, d.Overdue)
	assert.Equal(t, "overdue by 1 minute", d.Left)
	assert.Equal(t, "1 hour 5 minutes", span(65*60e9))
	assert.Equal(t, "less than a minute", span(20e9))
	assert.Equal(t, "2 days", span(48*time.Hour))
	assert.Equal(t, "3 hours", span(3*time.Hour))
	assert.Equal(t, "$0.0123", usd(0.01234))
	assert.Equal(t, "$0.000021", usd(0.0000211))
	assert.Equal(t, "$0.0000", usd(0))
	assert.Equal(t, "1,234,567", thousands(1234567))
	assert.Equal(t, "999", thousands(999))
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}
