package hitl_test

import (
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// TestReplay replays recorded reviews (two stages, an edit, refused
// decisions, a quorum of two) against the current code: a change that
// breaks determinism fails here, not in a running review. Re-record with
// HITL_RECORD=1 DURABLE_INTEGRATION=1 go test -run TestIntegrationClientHelpers.
func TestReplay(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) { r.RegisterWorkflow(hitltest.Workflow) })
}
