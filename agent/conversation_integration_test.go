package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// TestIntegrationCompactionAndContinueAsNew drives the agent through a real
// OpenAI-compatible HTTP server: two tool turns, continue-as-new, a
// context-length error, a compaction, two more turns. The provider sees the
// whole conversation after continue-as-new and the summary after the
// compaction, while history carries only references.
func TestIntegrationCompactionAndContinueAsNew(t *testing.T) {
	srv := durabletest.Server(t)
	model := llmtest.NewServer(t)
	model.Enqueue(
		llmtest.ToolCalls(llmtest.ToolCall{ID: "c1", Name: "lookup_order", Arguments: `{"order_id":"A-1"}`}),
		llmtest.ToolCalls(llmtest.ToolCall{ID: "c2", Name: "lookup_order", Arguments: `{"order_id":"A-2"}`}),
		llmtest.ContextLengthExceeded(),
		llmtest.Text("SUMMARY: both orders were looked up."),
		llmtest.ToolCalls(llmtest.ToolCall{ID: "c3", Name: "send_email", Arguments: `{"email":"bob@example.com","subject":"your orders"}`}),
		llmtest.Text("all done"),
	)
	s := newShop()
	llmCfg := llm.Config{Models: map[string]llm.Model{"main": {ID: "gpt-4o-mini", BaseURL: model.URL, APIKey: "sk-test"}}}
	w := agentWorker(t, srv, s, t.TempDir(), &llmCfg, worker.Options{})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startAgent(ctx, t, c, w, Config{
		System:         "You are a support agent.",
		Prompt:         "Look up A-1 and A-2, then email the customer.",
		Tools:          []string{"lookup_order", "send_email"},
		MaxTurnsPerRun: 2,
		Compaction:     Compaction{Keep: 2},
	})
	res := result(ctx, t, run)
	assert.Equal(t, StopAnswered, res.Stop)
	assert.Equal(t, "all done", res.Answer)
	assert.Equal(t, 4, res.Turns)
	assert.Equal(t, 2, res.Runs, "one continue-as-new")
	assert.Equal(t, 1, res.Compactions)
	assert.Equal(t, 5, res.Usage.Calls, "four turns and the summary")

	reqs := model.Requests()
	require.Len(t, reqs, 6)
	roles := func(r llmtest.Request) string {
		var out []string
		for _, m := range r.Messages {
			out = append(out, m.Role)
		}
		return strings.Join(out, ",")
	}
	// After continue-as-new the provider gets the whole conversation, its
	// content loaded from the message store.
	assert.Equal(t, "system,user,assistant,tool,assistant,tool", roles(reqs[2]))
	assert.Contains(t, reqs[2].Messages[3].Content, `"order_id":"A-1"`)
	assert.Contains(t, reqs[2].Messages[5].Content, `"order_id":"A-2"`)
	assert.Len(t, reqs[2].Tools, 2)
	// The compaction summarises the first call and its result, without tools.
	assert.Equal(t, "assistant,tool,user", roles(reqs[3]))
	assert.Equal(t, DefaultCompactionPrompt, reqs[3].Messages[2].Content)
	assert.Empty(t, reqs[3].Tools)
	// Then the turn runs again on the compacted conversation.
	assert.Equal(t, "system,user,assistant,assistant,tool", roles(reqs[4]))
	assert.Equal(t, "Look up A-1 and A-2, then email the customer.", reqs[4].Messages[1].Content)
	summary := reqs[4].Messages[2].Content
	assert.True(t, strings.HasPrefix(summary, SummaryPrefix), summary)
	assert.Contains(t, summary, "SUMMARY: both orders were looked up.")
	assert.Contains(t, summary, `called lookup_order {"order_id":"A-1"}: ok`)
	assert.Equal(t, "c2", reqs[4].Messages[3].ToolCalls[0].ID)
	assert.Equal(t, "system,user,assistant,assistant,tool,assistant,tool", roles(reqs[5]))
	_, _, emails := s.counts()
	assert.Equal(t, 1, emails)

	// History carries references: the second run's first request sends
	// every message by reference except the last result, which is shorter
	// than the inline limit and arrived after the last request (this
	// request stores it).
	first := firstRequest(ctx, t, c, run.GetID())
	require.Len(t, first.Messages, 6)
	for i, m := range first.Messages[:5] {
		assert.NotEmpty(t, m.Ref, "message %d", i)
		assert.Empty(t, m.Content, "message %d", i)
	}
	assert.Equal(t, "c2", first.Messages[5].ToolCallID)
	assert.LessOrEqual(t, len(first.Messages[5].Content), 64, "ToolsConfig.InlineLimit of agentWorker")
	assert.True(t, first.StoreMessages)
}

// firstRequest decodes the input of the first llm activity of the latest
// run of workflow id.
func firstRequest(ctx context.Context, t *testing.T, c client.Client, id string) llm.Request {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		a := ev.GetActivityTaskScheduledEventAttributes()
		if a == nil || a.GetActivityType().GetName() != llm.ActivityComplete {
			continue
		}
		var req llm.Request
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &req))
		return req
	}
	t.Fatal("no llm activity in the history")
	return llm.Request{}
}
