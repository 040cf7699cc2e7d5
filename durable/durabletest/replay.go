package durabletest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"
)

// Replay replays every *.json workflow history in dir (as written by
// [SaveHistory] or `temporal workflow show --output json`) against the
// workflows that register registers, and fails the test on the first
// nondeterminism. It fails when dir holds no history, so a missing recording
// cannot pass silently.
func Replay(t testing.TB, dir string, register func(r worker.WorkflowReplayer)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no *.json histories in %s: record one with durabletest.SaveHistory", dir)
	for _, f := range files {
		r := worker.NewWorkflowReplayer()
		register(r)
		require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f), "replay %s", f)
	}
}

// SaveHistory writes the full history of a closed or running workflow as JSON
// to path, in the format [Replay] reads.
func SaveHistory(ctx context.Context, c client.Client, workflowID, runID, path string) error {
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return err
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&h)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
