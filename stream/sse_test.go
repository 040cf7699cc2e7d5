package stream_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/stream"
)

func TestSSEHandlerRefusesBadRequests(t *testing.T) {
	srv := durabletest.Server(t)
	mux := http.NewServeMux()
	mux.Handle("GET /runs/{id}/events", &stream.SSEHandler{Client: srv.Client()})
	mux.Handle("GET /events", &stream.SSEHandler{Client: srv.Client()}) // no id in the path
	hs := httptest.NewServer(mux)
	defer hs.Close()

	for _, tc := range []struct {
		name, path, lastID string
		status             int
		says               string
	}{
		{"bad Last-Event-ID", "/runs/x/events", "seven", http.StatusBadRequest, `Last-Event-ID "seven" is not an id this stream sent`},
		{"negative Last-Event-ID", "/runs/x/events", "-2", http.StatusBadRequest, "non-negative integer"},
		{"bad from", "/runs/x/events?from=abc", "", http.StatusBadRequest, `from="abc" is not an offset`},
		{"no workflow id", "/events", "", http.StatusBadRequest, "no workflow id"},
		{"unknown workflow", "/runs/no-such-workflow/events", "", http.StatusNotFound, `workflow "no-such-workflow" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, hs.URL+tc.path, nil)
			require.NoError(t, err)
			if tc.lastID != "" {
				req.Header.Set("Last-Event-ID", tc.lastID)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Contains(t, string(body), tc.says)
		})
	}
}
