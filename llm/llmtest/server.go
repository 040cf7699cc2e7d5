package llmtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"
)

// Server is a [Handler] running on an [httptest.Server] for the length of
// one test. The embedded Handler gives it Enqueue, SetDefault, Requests,
// Billed, WaitRequests and WaitHandled. It is safe for concurrent use.
type Server struct {
	// URL is the base URL to give option.WithBaseURL; it ends in "/v1/".
	URL string
	*Handler
	ts *httptest.Server
}

// NewServer starts a Server and closes it when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	h := NewHandler()
	ts := httptest.NewServer(h)
	s := &Server{URL: ts.URL + "/v1/", Handler: h, ts: ts}
	t.Cleanup(s.Close)
	return s
}

// ClientOptions returns the openai-go options that point a client at the
// server: base URL, API key "test" and no client-side retries (in this
// library Temporal owns retries):
//
//	client := openai.NewClient(s.ClientOptions()...)
func (s *Server) ClientOptions() []option.RequestOption {
	return []option.RequestOption{
		option.WithBaseURL(s.URL),
		option.WithAPIKey("test"),
		option.WithMaxRetries(0),
	}
}

// Close releases hanging requests, cuts open connections and stops the
// server. It is idempotent; [NewServer] already arranges it at cleanup.
func (s *Server) Close() {
	s.Handler.Close()
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Listen serves h on a real TCP listener at addr ("127.0.0.1:0" picks a free
// port), for demos and chaos harnesses outside tests. It returns the base
// URL to give option.WithBaseURL (ending in "/v1/") and a stop function that
// releases hanging requests and shuts the server down within ctx.
func Listen(addr string, h *Handler) (baseURL string, stop func(ctx context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("llmtest: listen on %s (pick a free address, or 127.0.0.1:0): %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop = func(ctx context.Context) error {
		h.Close()
		return srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + "/v1/", stop, nil
}
