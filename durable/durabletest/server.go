package durabletest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/durable-llm/durable-llm/durable"
)

// EnvIntegration names the variable that makes integration tests mandatory:
// when it is "1", a dev server that cannot start fails the test instead of
// skipping it. `make test` and CI set it.
const EnvIntegration = "DURABLE_INTEGRATION"

var (
	mu       sync.Mutex
	shared   *durable.DevServer
	startErr error
	started  bool
	options  durable.DevServerOptions
)

// Main starts one dev server for the test package, runs the tests and stops
// the server. Call it from TestMain. opts, when given, configures the server
// (for example search attributes the package's workflows use).
//
// The server starts lazily on the first call to [Server], so packages whose
// selected tests need no server do not pay for one.
func Main(m *testing.M, opts ...durable.DevServerOptions) {
	if len(opts) > 0 {
		options = opts[0]
	}
	if options.ClientOptions.Logger == nil {
		options.ClientOptions.Logger = Logger()
	}
	code := m.Run()
	mu.Lock()
	if shared != nil {
		_ = shared.Stop()
	}
	mu.Unlock()
	os.Exit(code)
}

// Server returns the package's dev server, starting it on first use. When it
// cannot start, the test is skipped with the reason, or failed when
// DURABLE_INTEGRATION=1.
func Server(t testing.TB) *durable.DevServer {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		shared, startErr = durable.StartDevServer(ctx, options)
		cancel()
	}
	if startErr != nil {
		msg := fmt.Sprintf("integration test needs a Temporal dev server: %v", startErr)
		if os.Getenv(EnvIntegration) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (set " + EnvIntegration + "=1 to make this a failure)")
	}
	return shared
}

// StartServer starts a dedicated dev server for one test and stops it when
// the test ends. Use it for tests that stop and restart the server itself
// (with DBFile set, state survives the restart).
func StartServer(t testing.TB, opts durable.DevServerOptions) *durable.DevServer {
	t.Helper()
	if opts.ClientOptions.Logger == nil {
		opts.ClientOptions.Logger = Logger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := durable.StartDevServer(ctx, opts)
	if err != nil {
		msg := fmt.Sprintf("integration test needs a Temporal dev server: %v", err)
		if os.Getenv(EnvIntegration) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}
