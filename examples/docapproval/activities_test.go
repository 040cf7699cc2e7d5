package docapproval_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// viaServer returns activities whose model is the llmtest server s.
func viaServer(t *testing.T, s *llmtest.Server, dir string) *docapproval.Activities {
	t.Helper()
	acts, err := docapproval.NewActivities(docapproval.Config{Dir: dir, LLM: viaServerConfig(s)})
	require.NoError(t, err)
	return acts
}

// viaServerConfig is the llm.Config of a model served by s.
func viaServerConfig(s *llmtest.Server) llm.Config {
	return llm.Config{Models: map[string]llm.Model{"default": {ID: "gpt-4o-mini", BaseURL: s.URL, APIKey: "test"}}}
}

func activityEnv(acts *docapproval.Activities) *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	acts.Register(env)
	return env
}

func TestDraftAndReviseCallTheModelOncePerVersion(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text("ACME TurboWidget: a summary."), llmtest.Text("ACME TurboWidget: safer."))
	dir := t.TempDir()
	env := activityEnv(viaServer(t, s, dir))

	in := docapproval.DraftInput{DocID: "doc-1", Prompt: prompt}
	for range 2 {
		v, err := env.ExecuteActivity(docapproval.ActivityDraft, in)
		require.NoError(t, err)
		var doc docapproval.Document
		require.NoError(t, v.Get(&doc))
		assert.Equal(t, "ACME TurboWidget: a summary.", doc.Text)
		assert.Equal(t, 1, doc.Version)
		assert.Equal(t, 1, doc.Call.Calls)
		assert.Positive(t, doc.Call.TotalTokens())
	}
	assert.Equal(t, 1, s.Billed(), "the second draft of (doc-1, v1) is answered from the idem record")
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.Contains(t, reqs[0].LastUser(), "ACME TurboWidget")

	// A worker restarted on the same directory remembers it too.
	env = activityEnv(viaServer(t, s, dir))
	rin := docapproval.ReviseInput{DocID: "doc-1", Version: 2, Base: "ACME TurboWidget: a summary.", Instructions: "Emphasize safety."}
	for range 2 {
		v, err := env.ExecuteActivity(docapproval.ActivityRevise, rin)
		require.NoError(t, err)
		var doc docapproval.Document
		require.NoError(t, v.Get(&doc))
		assert.Equal(t, "ACME TurboWidget: safer.", doc.Text)
		assert.Equal(t, docapproval.SourceRevision, doc.Source)
	}
	_, err := env.ExecuteActivity(docapproval.ActivityDraft, in)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Billed(), "1 draft + 1 revision")
}

func TestActivitiesRefuseBadInputWithoutCallingTheModel(t *testing.T) {
	s := llmtest.NewServer(t)
	env := activityEnv(viaServer(t, s, t.TempDir()))
	for name, call := range map[string]func() error{
		"short prompt": func() error {
			_, err := env.ExecuteActivity(docapproval.ActivityDraft, docapproval.DraftInput{DocID: "d", Prompt: "Hi"})
			return err
		},
		"empty edit": func() error {
			_, err := env.ExecuteActivity(docapproval.ActivityRevise, docapproval.ReviseInput{DocID: "d", Version: 2, Base: "x"})
			return err
		},
		"bad doc_id": func() error {
			_, err := env.ExecuteActivity(docapproval.ActivityPersist, docapproval.PersistInput{DocID: "a/b", Version: 1})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := call()
			require.Error(t, err)
			assert.True(t, docapproval.IsInvalidInput(err), "got %v", err)
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.True(t, ae.NonRetryable())
		})
	}
	assert.Empty(t, s.Requests())
}

func TestPersistInjectedFailureIsRetryable(t *testing.T) {
	acts := offline(t)
	env := activityEnv(acts)
	_, err := env.ExecuteActivity(docapproval.ActivityPersist, docapproval.PersistInput{
		DocID: "doc-2", Version: 1, Content: "text", FailFirstAttempt: true,
	})
	require.Error(t, err)
	assert.True(t, docapproval.IsTransient(err))
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.False(t, ae.NonRetryable())
	_, err = acts.Store().Get("doc-2", 1)
	assert.NoError(t, err, "the record was written before the failure")
}

func TestPersistConflictIsFinal(t *testing.T) {
	acts := offline(t)
	env := activityEnv(acts)
	_, err := env.ExecuteActivity(docapproval.ActivityPersist, docapproval.PersistInput{DocID: "doc-3", Version: 1, Content: "a"})
	require.NoError(t, err)
	_, err = env.ExecuteActivity(docapproval.ActivityPersist, docapproval.PersistInput{DocID: "doc-3", Version: 1, Content: "b"})
	require.Error(t, err)
	assert.True(t, docapproval.IsConflict(err))
}
