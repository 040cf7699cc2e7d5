package docapproval_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// A review of 20 KB drafts records none of their text in workflow history:
// each version is a reference to the store the workers share, and the
// approved record on disk holds the full text.
func TestIntegrationLongDraftsByReference(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	text := strings.Repeat("ACME TurboWidget keeps its promises: safe, warranted, and quiet. ", 320)[:20<<10]
	s.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.Text(text) })
	dir := t.TempDir()
	acts := viaServer(t, s, dir)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) })
	// A second worker on the same directory: revisions may run on either.
	w2acts := viaServer(t, s, dir)
	durabletest.StartWorkerConfig(t, srv, func(r worker.Registry) { docapproval.Register(r, w2acts) }, durabletest.Config{TaskQueue: w.TaskQueue})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	id := "docapproval-refs-" + uuid.NewString()[:8]
	res, err := docapproval.RunDemo(ctx, c, docapproval.Input{DocID: "doc-refs", Prompt: prompt}, demoScript,
		docapproval.WithTaskQueue(w.TaskQueue), docapproval.WithWorkflowID(id))
	require.NoError(t, err)
	require.Equal(t, hitl.PhaseApproved, res.Phase)
	doc := res.Result.Document
	require.NotNil(t, doc.Ref, "a 20 KB draft goes by reference")
	assert.Empty(t, doc.Text)
	assert.Equal(t, len(text), doc.Size())
	assert.Equal(t, 3, res.LLMCalls)

	full, err := acts.Text(ctx, doc)
	require.NoError(t, err)
	assert.Equal(t, text, full)
	rec, err := acts.Store().Get("doc-refs", 3)
	require.NoError(t, err)
	assert.Equal(t, text, rec.Content, "the approved record holds the text")

	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	page, err := docapproval.DraftLoader(acts.Drafts())(ctx, id, raw)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(page, text), "the review page shows the full text")

	// The events that carry a Document (activity inputs and results, the
	// workflow's result) hold references, not text.
	carriers := map[enums.EventType]bool{
		enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:             true,
		enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:             true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:        true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:  true,
		enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:   true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:          true,
		enums.EVENT_TYPE_MARKER_RECORDED:                     true,
		enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:             true,
	}
	n := 0
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if carriers[ev.GetEventType()] {
			n++
			assert.Less(t, proto.Size(ev), 4<<10, "event %d (%s) holds no 20 KB draft", ev.GetEventId(), ev.GetEventType())
		}
	}
	assert.Positive(t, n)
}
