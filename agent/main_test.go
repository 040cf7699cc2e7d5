package agent

import (
	"fmt"
	"os"
	"testing"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
)

func TestMain(m *testing.M) {
	if raw := os.Getenv(envChildWorker); raw != "" {
		// A worker process of the crash tests (crashworker_test.go).
		err := runChildWorker(raw)
		fmt.Fprintln(os.Stderr, "agent child worker:", err)
		os.Exit(1)
	}
	durabletest.Main(m, durable.DevServerOptions{SearchAttributes: hitl.SearchAttributes()})
}
