package supportagent

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
)

const ticketText = "Order A-1001 arrived broken. Please lookup order A-1001, issue refund for it and send email to the customer."

func newTestWorker(t *testing.T) *Worker {
	t.Helper()
	w, err := NewWorker(Config{Dir: t.TempDir(), LLM: llm.Config{Models: map[string]llm.Model{"offline": llm.Offline()}}})
	require.NoError(t, err)
	return w
}

// decideLater sends the decisions to the agent's open review, one a
// minute (mock time) from the minute after the agent asked, so an edit's
// new version exists before the approval of it.
func decideLater(t *testing.T, env *testsuite.TestWorkflowEnvironment, ds ...hitl.Decision) {
	for i, d := range ds {
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(agent.QueryStatus)
			require.NoError(t, err)
			var st agent.Status
			require.NoError(t, v.Get(&st))
			require.Len(t, st.Reviews, 1, "the agent waits for the refund's review")
			require.NoError(t, env.UpdateWorkflowByID(st.Reviews[0], hitl.UpdateDecide, fmt.Sprintf("d%d", i), &testsuite.TestUpdateCallback{
				OnReject:   func(err error) { t.Errorf("decision refused: %v", err) },
				OnComplete: func(any, error) {},
			}, d))
		}, time.Duration(i+1)*time.Minute)
	}
}

func TestSupportWorkflowEditedRefund(t *testing.T) {
	w := newTestWorker(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	w.Register(env)
	decideLater(t, env,
		hitl.Decision{Reviewer: "lead", Action: hitl.ActionEdit, Version: 1, Text: `{"amount_cents": 2500}`},
		hitl.Decision{Reviewer: "lead", Action: hitl.ActionApprove, Version: 2})
	env.ExecuteWorkflow(WorkflowName, Ticket{ID: "t1", Text: ticketText})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res agent.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, agent.StopAnswered, res.Stop)
	require.Len(t, res.Calls, 3)
	assert.Equal(t, []string{ToolLookupOrder, ToolIssueRefund, ToolSendEmail}, []string{res.Calls[0].Tool, res.Calls[1].Tool, res.Calls[2].Tool})
	assert.Contains(t, res.Answer, `"refunded_cents":2500`)

	refunds, err := w.Backend.Refunds()
	require.NoError(t, err)
	require.Len(t, refunds, 1)
	assert.Equal(t, int64(2500), refunds[0].AmountCents, "the reviewer's amount, not the model's 4999")
	assert.Equal(t, res.Calls[1].Key, refunds[0].Key)
	emails, err := w.Backend.Emails()
	require.NoError(t, err)
	require.Len(t, emails, 1)
	assert.Equal(t, "ada@example.com", emails[0].To)
}

func TestSupportWorkflowRejectedRefund(t *testing.T) {
	w := newTestWorker(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	w.Register(env)
	decideLater(t, env, hitl.Decision{Reviewer: "lead", Action: hitl.ActionReject, Version: 1, Comment: "send a replacement instead"})
	env.ExecuteWorkflow(WorkflowName, Ticket{ID: "t2", Text: ticketText})
	require.NoError(t, env.GetWorkflowError())
	var res agent.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, agent.OutcomeDenied, res.Calls[1].Outcome)
	assert.Contains(t, res.Answer, "denied by lead: send a replacement instead")
	refunds, err := w.Backend.Refunds()
	require.NoError(t, err)
	assert.Empty(t, refunds)
}

func TestRefundBounds(t *testing.T) {
	w := newTestWorker(t)
	acts := &Activities{Backend: w.Backend}
	for name, r := range map[string]RefundRequest{
		"more than the order": {OrderID: "A-1001", AmountCents: 5000},
		"nothing":             {OrderID: "A-1001"},
		"unknown order":       {OrderID: "Z-9", AmountCents: 1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := acts.IssueRefund(t.Context(), r)
			require.Error(t, err)
			assert.True(t, agent.IsToolError(err), "the model is told: %v", err)
		})
	}
	_, err := acts.LookupOrder(t.Context(), OrderQuery{OrderID: "nope"})
	assert.True(t, agent.IsToolError(err))
	assert.ErrorContains(t, err, "A-1001", "the error says what an id looks like")
}
