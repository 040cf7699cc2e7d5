package hitl_test

import (
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// TestReplay replays recorded reviews against the current code: a change
// that breaks determinism fails here, not in a running review. Re-record
// with HITL_RECORD=1 DURABLE_INTEGRATION=1 go test -run <test>:
//   - two-stage-review.json (TestIntegrationClientHelpers): two stages, an
//     edit, refused decisions, a quorum of two; recorded before decisions
//     were batched, and still replays.
//   - batched-update-conflict.json (TestIntegrationUpdateDoesNotOvertakeSignal):
//     a reject signal and an approve update in one workflow task.
//   - late-signal-during-finish.json (TestIntegrationSignalDuringPersistIsRecorded):
//     an edit signal recorded while Config.Finish persists.
//   - quiet-revisions.json (recorded by TestIntegrationUpsertsOnlyVisibleChanges
//     before Open marked its reviews drafting): two edits that leave
//     HITLStatus open (the "hitl.quiet-revisions" version marker);
//     two-stage-review.json, recorded before it, still upserts revising and
//     open around its edit on replay.
//   - recording-quiet.json (TestIntegrationUpsertsOnlyVisibleChanges): a
//     review Open started (RecordingQuiet): two upserts, no version marker;
//     the three above, recorded before it, replay the upserts they recorded.
func TestReplay(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) { r.RegisterWorkflow(hitltest.Workflow) })
}
