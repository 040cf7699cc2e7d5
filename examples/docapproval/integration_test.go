package docapproval_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

var record = flag.Bool("record", false, "TestRecordHistory, TestIntegrationSteer*: record testdata/review-refs.json, review-stopped.json and review-redirected.json from runs on the dev server")

// demoScript is the reviewers' script of the integration test and the recording.
var demoScript = []docapproval.Step{
	{Reviewer: "alice", Action: hitl.ActionEdit, Instructions: "Please emphasize safety and warranty."},
	{Reviewer: "bob", Action: hitl.ActionEdit, Instructions: "Remove pricing details."},
	{Reviewer: "carol", Action: hitl.ActionApprove, Comment: "Ready to publish."},
}

func TestIntegrationEditsThenApprove(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	s.Enqueue(
		llmtest.Text("ACME TurboWidget summary, draft one."),
		llmtest.Text("ACME TurboWidget summary, now with safety and warranty."),
		llmtest.Text("ACME TurboWidget summary, safety and warranty, no prices."),
	)
	acts := viaServer(t, s, t.TempDir())
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) })
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	id := "docapproval-it-" + uuid.NewString()[:8]
	// Two decisions per run: the review continues as new before the approval.
	in := docapproval.Input{DocID: "doc-it", Prompt: prompt, InjectTransientFailure: true, MaxDecisionsPerRun: 2}
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue}, docapproval.WorkflowName, in)
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)
	assert.Equal(t, hitl.PhaseOpen, st.Phase)

	// A decision about a version that does not exist yet is refused and
	// leaves no trace; the client helper returns a typed refusal.
	_, err = hitl.Approve(ctx, c, id, "carol", 2, "")
	require.ErrorIs(t, err, hitl.ErrStaleVersion)
	assert.True(t, hitl.IsRefusal(err))

	// RunDemo attaches to the running review (same workflow ID) and plays the script.
	res, err := docapproval.RunDemo(ctx, c, in, demoScript, docapproval.WithTaskQueue(w.TaskQueue), docapproval.WithWorkflowID(id))
	require.NoError(t, err)
	assert.Equal(t, id, res.WorkflowID)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 3, res.Versions)
	assert.Equal(t, 3, res.LLMCalls)
	assert.Equal(t, 3, s.Billed(), "billed == LLM calls: 1 draft + 2 revisions")
	assert.Positive(t, res.Tokens)
	assert.True(t, res.CostKnown, "gpt-4o-mini is in the price table")
	assert.Positive(t, res.CostUSD)
	assert.Equal(t, int32(2), res.PersistAttempt, "the injected failure was retried on the real server")
	assert.Positive(t, res.AuditEntries)
	assert.Equal(t, "ACME TurboWidget summary, safety and warranty, no prices.", res.Result.Document.Text)
	st, err = hitl.GetStatus(ctx, c, id)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Runs, "the review continued as new once, keeping its versions, usage and audit trail")

	recs, err := acts.Store().List("")
	require.NoError(t, err)
	require.Len(t, recs, 1, "one approved record")
	assert.Equal(t, 3, recs[0].Version)
	assert.Equal(t, "carol", recs[0].ApprovedBy)
	assert.Equal(t, id, recs[0].WorkflowID)
	assert.Equal(t, res.Result.Document.Text, recs[0].Content)
	assert.Equal(t, acts.Store().Path("doc-it", 3), res.ApprovedPath)

	// The closed review refuses further decisions.
	_, err = hitl.Approve(ctx, c, id, "carol", 3, "")
	require.ErrorIs(t, err, hitl.ErrClosed)
	assert.True(t, hitl.IsRefusal(err))
}

func TestIntegrationInvalidInputFailsWorkflow(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	acts := viaServer(t, s, t.TempDir())
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue},
		docapproval.WorkflowName, docapproval.Input{DocID: "doc-x", Prompt: "Hi"})
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.Error(t, err)
	assert.True(t, docapproval.IsInvalidInput(err), "got %v", err)
	assert.Empty(t, s.Requests(), "no LLM call")
}

// TestRecordHistory records testdata/review-opened.json, a review hitl.Open
// started (hitl.RecordingQuiet: the persist step a local activity, two
// upserts) whose drafts go by reference, for TestReplay. Run it after a
// deliberate change to the workflow:
//
//	go test ./examples/docapproval -run TestRecordHistory -record
//
// testdata/review.json was recorded before drafts went by reference and
// before revisions stopped upserting HITLStatus, and review-refs.json
// before Open marked reviews drafting (persist in an activity); they stay,
// so TestReplay proves that reviews started then still replay. The steering tests record
// testdata/review-stopped.json and review-redirected.json with -record:
//
//	DURABLE_INTEGRATION=1 go test ./examples/docapproval -run 'TestIntegrationSteer(Stop|Redirect)FromPage' -record
func TestRecordHistory(t *testing.T) {
	if !*record {
		t.Skip("run with -record to re-record testdata/review-opened.json")
	}
	srv := durabletest.Server(t)
	acts, err := docapproval.NewActivities(docapproval.Config{
		Dir: t.TempDir(), LLM: llm.Config{Models: map[string]llm.Model{"default": llm.Offline()}},
		InlineBytes: 16, // the offline model's answers are short: store them by reference
	})
	require.NoError(t, err)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	id := "docapproval-doc-123"
	res, err := docapproval.RunDemo(ctx, srv.Client(), docapproval.Input{DocID: "doc-123", Prompt: prompt, InjectTransientFailure: true},
		demoScript, docapproval.WithTaskQueue(w.TaskQueue), docapproval.WithWorkflowID(id))
	require.NoError(t, err)
	require.Equal(t, hitl.PhaseApproved, res.Phase)
	require.NotNil(t, res.Result.Document.Ref)
	path := filepath.Join("testdata", "review-opened.json")
	require.NoError(t, durabletest.SaveHistory(ctx, srv.Client(), id, "", path))
	info, err := os.Stat(path)
	require.NoError(t, err)
	t.Logf("recorded %s (%d bytes)", path, info.Size())
}

func TestReplay(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) { docapproval.RegisterWorkflow(r) })
}
