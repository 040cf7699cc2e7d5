package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type lookupArgs struct {
	OrderID string `json:"order_id"`
}

type refundArgs struct {
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason"`
}

type emailArgs struct {
	Email   string `json:"email"`
	Subject string `json:"subject"`
}

func offlineTools(t *testing.T) []Tool {
	t.Helper()
	lookup, err := ToolFor[lookupArgs]("lookup_order", "Look up an order")
	require.NoError(t, err)
	refund, err := ToolFor[refundArgs]("issue_refund", "Refund an order")
	require.NoError(t, err)
	email, err := ToolFor[emailArgs]("send_email", "Email the customer")
	require.NoError(t, err)
	return []Tool{email, refund, lookup}
}

// TestOfflineToolCalls walks the offline model through a whole tool loop:
// one call per answer in the order of mention, arguments from the prompt
// and from earlier results, then a final answer listing the results.
func TestOfflineToolCalls(t *testing.T) {
	a := offlineActivities(t)
	tools := offlineTools(t)
	prompt := "Order A-1001 arrived broken. Please lookup order A-1001, issue refund for it and send email to the customer."
	msgs := []Message{System("You are a support agent."), User(prompt)}

	r1, err := runOnce(t, a, Request{Messages: msgs, Tools: tools})
	require.NoError(t, err)
	require.Equal(t, "tool_calls", r1.FinishReason)
	require.Len(t, r1.ToolCalls, 1)
	assert.Equal(t, "lookup_order", r1.ToolCalls[0].Name, "first mentioned first")
	assert.JSONEq(t, `{"order_id":"A-1001"}`, r1.ToolCalls[0].Arguments)
	assert.True(t, strings.HasPrefix(r1.ToolCalls[0].ID, "call_offline_"))
	again, err := runOnce(t, a, Request{Messages: msgs, Tools: tools})
	require.NoError(t, err)
	assert.Equal(t, r1.ToolCalls, again.ToolCalls, "deterministic ids and arguments")

	msgs = append(msgs, AnswerMessage(r1), ToolResult(r1.ToolCalls[0].ID, `{"order_id":"A-1001","amount_cents":4999,"email":"ada@example.com"}`))
	r2, err := runOnce(t, a, Request{Messages: msgs, Tools: tools})
	require.NoError(t, err)
	require.Len(t, r2.ToolCalls, 1)
	assert.Equal(t, "issue_refund", r2.ToolCalls[0].Name)
	var ra refundArgs
	require.NoError(t, json.Unmarshal([]byte(r2.ToolCalls[0].Arguments), &ra))
	assert.Equal(t, refundArgs{OrderID: "A-1001", AmountCents: 4999, Reason: ra.Reason}, ra, "fields of the earlier result fill the arguments")
	assert.Contains(t, ra.Reason, OfflineLabel)
	assert.NotEqual(t, r1.ToolCalls[0].ID, r2.ToolCalls[0].ID)

	msgs = append(msgs, AnswerMessage(r2), ToolResult(r2.ToolCalls[0].ID, "denied by bob: too much"))
	r3, err := runOnce(t, a, Request{Messages: msgs, Tools: tools})
	require.NoError(t, err)
	require.Len(t, r3.ToolCalls, 1)
	assert.Equal(t, "send_email", r3.ToolCalls[0].Name)
	assert.Contains(t, r3.ToolCalls[0].Arguments, `"email":"ada@example.com"`)

	msgs = append(msgs, AnswerMessage(r3), ToolResult(r3.ToolCalls[0].ID, `{"sent":true}`))
	r4, err := runOnce(t, a, Request{Messages: msgs, Tools: tools})
	require.NoError(t, err)
	assert.Equal(t, "stop", r4.FinishReason)
	assert.Empty(t, r4.ToolCalls)
	assert.True(t, strings.HasPrefix(r4.Text, OfflineLabel), r4.Text)
	assert.Contains(t, r4.Text, "- lookup_order: {\"order_id\":\"A-1001\"")
	assert.Contains(t, r4.Text, "- issue_refund: denied by bob: too much")
	assert.Contains(t, r4.Text, "- send_email: {\"sent\":true}")
}

func TestOfflineToolChoice(t *testing.T) {
	a := offlineActivities(t)
	tools := offlineTools(t)
	yes := true
	cases := []struct {
		name   string
		req    Request
		called []string
	}{
		{"no mention answers in text", Request{Prompt: "Hello there", Tools: tools}, nil},
		{"none", Request{Prompt: "lookup order 7", Tools: tools, ToolChoice: ToolChoiceNone}, nil},
		{"required without mention calls the first tool", Request{Prompt: "Hello", Tools: tools, ToolChoice: ToolChoiceRequired}, []string{"send_email"}},
		{"named tool", Request{Prompt: "lookup order 7", Tools: tools, ToolChoice: "issue_refund"}, []string{"issue_refund"}},
		{"parallel calls every mention", Request{Prompt: "send_email, then lookup-order 7", Tools: tools, ParallelToolCalls: &yes}, []string{"send_email", "lookup_order"}},
		{"whole words only", Request{Prompt: "the lookup_orders table", Tools: tools}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := runOnce(t, a, c.req)
			require.NoError(t, err)
			var got []string
			for _, tc := range r.ToolCalls {
				got = append(got, tc.Name)
			}
			assert.Equal(t, c.called, got)
			if c.called == nil {
				assert.Equal(t, "stop", r.FinishReason)
				assert.True(t, strings.HasPrefix(r.Text, OfflineLabel))
			}
		})
	}
}

// TestOfflineToolCalledSummary: a compaction summary saying "called
// lookup_order" counts as the call, so the model does not repeat it.
func TestOfflineToolCalledSummary(t *testing.T) {
	a := offlineActivities(t)
	tools := offlineTools(t)
	msgs := []Message{User("lookup order A-1 and send email"), Assistant("Summary: called lookup_order for A-1.")}
	r, err := runOnce(t, a, Request{Messages: msgs, Tools: tools})
	require.NoError(t, err)
	require.Len(t, r.ToolCalls, 1)
	assert.Equal(t, "send_email", r.ToolCalls[0].Name)
}
