package durabletest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
)

// Replay replays every *.json workflow history in dir (as written by
// [SaveHistory] or `temporal workflow show --output json`) against the
// workflows that register registers, and fails the test on the first
// nondeterminism. It fails when dir holds no history, so a missing recording
// cannot pass silently. Each history replays under the replayer's default
// workflow ID; use [ReplayWith] for workflows whose commands depend on their
// ID.
func Replay(t testing.TB, dir string, register func(r worker.WorkflowReplayer)) {
	t.Helper()
	ReplayWith(t, dir, ReplayOptions{}, register)
}

// ReplayOptions configures [ReplayWith].
type ReplayOptions struct {
	// WorkflowIDs maps a history's file name in the folder ("approval.json")
	// to the workflow ID it ran under. A workflow that names its children,
	// timers or keys after its own ID (a child "<id>/approval/<call>")
	// replays only under that ID; the replayer's default ("ReplayId")
	// would name another child and fail as nondeterministic. When set,
	// every history in the folder must be listed and every listed name
	// must be a history there, so a new recording cannot replay under the
	// wrong ID unnoticed.
	WorkflowIDs map[string]string
}

// ReplayWith is [Replay] with options: each history replays under its
// workflow ID from opts.WorkflowIDs.
func ReplayWith(t testing.TB, dir string, opts ReplayOptions, register func(r worker.WorkflowReplayer)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no *.json histories in %s: record one with durabletest.SaveHistory", dir)
	if opts.WorkflowIDs != nil {
		names := make(map[string]bool, len(files))
		for _, f := range files {
			names[filepath.Base(f)] = true
			_, ok := opts.WorkflowIDs[filepath.Base(f)]
			require.True(t, ok, "%s: add its workflow ID to ReplayOptions.WorkflowIDs", f)
		}
		for name := range opts.WorkflowIDs {
			require.True(t, names[name], "ReplayOptions.WorkflowIDs names %s, which is not a history in %s: record it or remove it", name, dir)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		h, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
		require.NoError(t, err, "read %s", f)
		r := worker.NewWorkflowReplayer()
		register(r)
		require.NoError(t, r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
			OriginalExecution: workflow.Execution{ID: opts.WorkflowIDs[filepath.Base(f)]},
		}), "replay %s", f)
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
