package stream_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/stream"
)

// Re-record the committed histories with:
//
//	DURABLE_INTEGRATION=1 go test ./stream -run TestRecordHistories -record
var record = flag.Bool("record", false, "write the recorded histories to stream/testdata instead of a temporary folder")

// TestReplay replays the committed histories (publish signals, poll
// updates, the poll timer, continue-as-new) against the current code.
func TestReplay(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) { r.RegisterWorkflow(chatWorkflow) })
}

// TestRecordHistories runs chatWorkflow with a long-polling subscriber on the
// dev server, saves the histories and replays them.
func TestRecordHistories(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	w := durabletest.StartWorker(t, srv, register)
	dir := t.TempDir()
	if *record {
		dir = "testdata"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	scenarios := []struct {
		name string
		in   chatInput
	}{
		{"retried", chatInput{Calls: []speech{{Text: words("r", 40), FailAttempts: 1, Pace: 5 * time.Millisecond}}}},
		{"continued", chatInput{Calls: []speech{{Text: words("a", 20)}, {Text: words("b", 20)}}, PerRun: 1}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, chatWorkflow, sc.in)
			require.NoError(t, err)
			first := run.GetRunID() // Get follows continue-as-new and moves it
			evs := collect(t, stream.Subscribe(ctx, c, run.GetID(), 0))
			assert.NotEmpty(t, evs)
			require.NoError(t, run.Get(ctx, nil))
			require.NoError(t, durabletest.SaveHistory(ctx, c, run.GetID(), first, filepath.Join(dir, sc.name+".json")))
			if last := run.GetRunID(); last != first {
				require.NoError(t, durabletest.SaveHistory(ctx, c, run.GetID(), last, filepath.Join(dir, sc.name+"-last.json")))
			}
		})
	}
	durabletest.Replay(t, dir, func(r worker.WorkflowReplayer) { r.RegisterWorkflow(chatWorkflow) })
}
