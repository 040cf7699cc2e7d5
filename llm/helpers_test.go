package llm

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		os.Exit(runChildWorker())
	}
	durabletest.Main(m, devServerOptions())
}

// testModelID is priced in DefaultPrices, so answers have a known cost.
const testModelID = "gpt-4o-mini"

// serverConfig is a Config with model "main" (and "backup") on s.
func serverConfig(s *llmtest.Server) Config {
	return Config{
		Models: map[string]Model{
			"main":   {ID: testModelID, BaseURL: s.URL, APIKey: "sk-test-secret-key-123456"},
			"backup": {ID: "backup-model", BaseURL: s.URL, APIKey: "sk-test-secret-key-123456"},
		},
		DefaultModel:      "main",
		MaxRetryDelay:     time.Minute,
		HeartbeatInterval: 50 * time.Millisecond,
	}
}

func newActivities(t testing.TB, cfg Config) *Activities {
	t.Helper()
	a, err := NewActivities(cfg)
	require.NoError(t, err)
	return a
}

// runOnce runs one attempt outside an activity (attempt 1, no heartbeats).
func runOnce(t testing.TB, a *Activities, req Request) (Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Complete(ctx, req)
}

// appError asserts err is a top-level *temporal.ApplicationError (not
// wrapped, or Temporal would lose its retry semantics) and returns it.
func appError(t testing.TB, err error) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	ok := errors.As(err, &ae)
	require.True(t, ok, "want an ApplicationError, got %T: %v", err, err)
	_, top := err.(*temporal.ApplicationError)
	require.True(t, top, "the ApplicationError must be returned unwrapped, got %T", err)
	return ae
}

func ask(prompt string) Request { return Request{Prompt: prompt} }
