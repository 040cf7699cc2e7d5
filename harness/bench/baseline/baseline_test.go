package baseline_test

import (
	"context"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/harness/bench/baseline"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

func TestWorkflowEditThenApprove(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var a *baseline.Activities
	env.RegisterActivity(a)
	env.OnActivity(a.GenerateDraft, anyArgs(5)...).Return(baseline.Doc{DocID: "d", Version: 1, Draft: "v1"}, nil).Once()
	env.OnActivity(a.ReviseDraft, anyArgs(6)...).Return(func(_ context.Context, docID, base, edits string, v int, _ string) (baseline.Doc, error) {
		return baseline.Doc{DocID: docID, Version: v, Draft: base + " + " + edits}, nil
	}).Once()
	env.OnActivity(a.PersistFinal, anyArgs(4)...).Return(func(_ context.Context, docID, content string, v int) (baseline.Final, error) {
		return baseline.Final{DocID: docID, Version: v, Content: content, Status: "final"}, nil
	}).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(baseline.SignalSubmitEdit, "shorter") }, time.Minute)
	env.RegisterDelayedCallback(func() {
		res, err := env.QueryWorkflow(baseline.QueryStatus)
		require.NoError(t, err)
		var st baseline.Status
		require.NoError(t, res.Get(&st))
		assert.Equal(t, 2, st.Version)
		env.SignalWorkflow(baseline.SignalApprove, nil)
	}, 2*time.Minute)
	env.ExecuteWorkflow(baseline.DocumentWorkflow, baseline.Input{DocID: "d", Prompt: "Draft a product summary."})
	require.NoError(t, env.GetWorkflowError())
	var f baseline.Final
	require.NoError(t, env.GetWorkflowResult(&f))
	assert.Equal(t, baseline.Final{DocID: "d", Version: 2, Content: "v1 + shorter", Status: "final"}, f)
}

func anyArgs(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = mock.Anything
	}
	return out
}

// The seed's file per (doc_id, version): a second call finds it and does
// not call the model again.
func TestDraftStoredPerVersion(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text("the draft"))
	a := &baseline.Activities{Client: openai.NewClient(s.ClientOptions()...), Storage: t.TempDir()}
	ctx := context.Background()
	for range 2 {
		d, err := a.GenerateDraft(ctx, "doc-1", "Draft a product summary.", 1, "")
		require.NoError(t, err)
		assert.Equal(t, "the draft", d.Draft)
	}
	assert.Equal(t, 1, s.Billed())
}
