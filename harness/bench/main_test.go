package bench_test

import (
	"os"
	"testing"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
)

func TestMain(m *testing.M) {
	if os.Getenv(envWorkerProc) != "" {
		os.Exit(workerMain())
	}
	durabletest.Main(m, durable.DevServerOptions{SearchAttributes: hitl.SearchAttributes()})
}
