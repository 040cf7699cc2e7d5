package agent

import (
	"testing"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
)

func TestMain(m *testing.M) {
	durabletest.Main(m, durable.DevServerOptions{SearchAttributes: hitl.SearchAttributes()})
}
