package badinput_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// agentFixture is a refund tool that counts its effects, registered with
// the tool's activities in an activity test environment.
type agentFixture struct {
	refunds atomic.Int32
	tools   *agent.Tools
	env     *testsuite.TestActivityEnvironment
	now     time.Time
}

type refundArgs struct {
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
}

func newAgentFixture(t *testing.T) *agentFixture {
	t.Helper()
	f := &agentFixture{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	refund := func(_ context.Context, in refundArgs) (string, error) {
		if in.AmountCents > 10_000 {
			return "", agent.ToolError("refunds above 100.00 need a manager")
		}
		f.refunds.Add(1)
		return "refunded", nil
	}
	tools, err := agent.NewTools(agent.ToolsConfig{Store: idem.NewMemoryStore(), Now: func() time.Time { return f.now }},
		agent.NewTool("issue_refund", "Refund an order", refund, agent.NeedsApproval),
		agent.NewTool("refund_small", "Refund a small amount", refund, agent.SideEffect))
	require.NoError(t, err)
	f.tools = tools
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	f.env = s.NewTestActivityEnvironment()
	tools.RegisterActivities(f.env)
	return f
}

func (f *agentFixture) call(name, args, key string, a *agent.Approval) error {
	_, err := f.env.ExecuteActivity(agent.ToolActivity(name), agent.CallInput{
		Call: llm.ToolCall{ID: "call_1", Name: name, Arguments: args}, Key: key, Approval: a,
	})
	return err
}

func (f *agentFixture) approval(t *testing.T, tool, args string, valid time.Duration) *agent.Approval {
	t.Helper()
	out, err := f.tools.Check(context.Background(), agent.CheckInput{Tool: tool, Arguments: args})
	require.NoError(t, err)
	return &agent.Approval{Hash: out.Hash, By: "bob", At: f.now, ExpiresAt: f.now.Add(valid)}
}

// loopingModel always asks for the same call.
func loopingModel(_ context.Context, req llm.Request) (llm.Response, error) {
	return llm.Response{FinishReason: "tool_calls", PromptTokens: 10, CompletionTokens: 5, CostKnown: true,
		ToolCalls: []llm.ToolCall{{ID: "call_loop", Name: "refund_small", Arguments: `{"order_id":"A-1","amount_cents":100}`}}}, nil
}

func agentLoopWorkflow(ctx workflow.Context) (agent.Result, error) {
	return agent.Run(ctx, agent.Config{Prompt: "refund A-1", Limits: agent.Limits{MaxRepeats: 2}}, nil)
}

// TestAgentCatalogue is the bad-input catalogue of package agent: each case
// feeds one bad input, checks the typed error (or the recorded outcome the
// model is told), and checks that no refund ran.
func TestAgentCatalogue(t *testing.T) {
	good := `{"amount_cents":2500,"order_id":"A-1"}`
	cases := []struct {
		name    string
		run     func(t *testing.T, f *agentFixture) error
		want    func(error) bool
		refunds int32
	}{
		{"unknown tool", func(_ *testing.T, f *agentFixture) error {
			_, err := f.tools.Check(context.Background(), agent.CheckInput{Tool: "delete_everything", Arguments: "{}"})
			return err
		}, agent.IsUnknownTool, 0},
		{"arguments that are not JSON", func(_ *testing.T, f *agentFixture) error {
			return f.call("refund_small", `{"order_id":`, "k1", nil)
		}, agent.IsInvalidArguments, 0},
		{"arguments that do not match the schema", func(_ *testing.T, f *agentFixture) error {
			return f.call("refund_small", `{"order_id":"A-1","amount_cents":"lots"}`, "k1", nil)
		}, agent.IsInvalidArguments, 0},
		{"arguments with an unknown field", func(_ *testing.T, f *agentFixture) error {
			return f.call("refund_small", `{"order_id":"A-1","amount_cents":1,"bonus":true}`, "k1", nil)
		}, agent.IsInvalidArguments, 0},
		{"a tool error is final and recorded", func(t *testing.T, f *agentFixture) error {
			err := f.call("refund_small", `{"order_id":"A-1","amount_cents":20000}`, "k1", nil)
			again := f.call("refund_small", `{"order_id":"A-1","amount_cents":20000}`, "k1", nil)
			assert.True(t, agent.IsToolError(again), "the recorded refusal is returned again: %v", again)
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.True(t, ae.NonRetryable())
			return err
		}, agent.IsToolError, 0},
		{"a call that needs approval without one", func(_ *testing.T, f *agentFixture) error {
			return f.call("issue_refund", good, "k1", nil)
		}, agent.IsNotApproved, 0},
		{"an approval for other arguments", func(t *testing.T, f *agentFixture) error {
			a := f.approval(t, "issue_refund", good, time.Hour)
			return f.call("issue_refund", `{"amount_cents":9999,"order_id":"A-1"}`, "k1", a)
		}, agent.IsApprovalMismatch, 0},
		{"an approval after its expiry", func(t *testing.T, f *agentFixture) error {
			a := f.approval(t, "issue_refund", good, time.Minute)
			f.now = f.now.Add(time.Minute)
			return f.call("issue_refund", good, "k1", a)
		}, agent.IsApprovalExpired, 0},
		{"an approval edit that is not JSON", func(_ *testing.T, f *agentFixture) error {
			_, err := f.tools.Check(context.Background(), agent.CheckInput{Tool: "issue_refund", Arguments: good, Patch: "make it bigger"})
			return err
		}, agent.IsInvalidArguments, 0},
		{"a key reused for other arguments", func(t *testing.T, f *agentFixture) error {
			require.NoError(t, f.call("refund_small", good, "k1", nil))
			return f.call("refund_small", `{"amount_cents":1,"order_id":"A-1"}`, "k1", nil)
		}, idem.IsKeyReused, 1},
		// The model asks for the same call again and again: the repeat (same
		// call id, so the same key) returns the recorded refund, and the
		// third ask stops the loop.
		{"a model that loops", func(t *testing.T, f *agentFixture) error {
			var s testsuite.WorkflowTestSuite
			s.SetLogger(durabletest.Logger())
			env := s.NewTestWorkflowEnvironment()
			f.tools.Register(env)
			env.RegisterActivityWithOptions(loopingModel, activityName(llm.ActivityComplete))
			env.RegisterWorkflow(agentLoopWorkflow)
			env.ExecuteWorkflow(agentLoopWorkflow)
			require.NoError(t, env.GetWorkflowError())
			var res agent.Result
			require.NoError(t, env.GetWorkflowResult(&res))
			assert.Equal(t, agent.StopLoop, res.Stop)
			if res.Stop != agent.StopLoop {
				return nil
			}
			return errLoop
		}, func(err error) bool { return err == errLoop }, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newAgentFixture(t)
			err := c.run(t, f)
			require.Error(t, err)
			assert.True(t, c.want(err), "unexpected error: %v", err)
			assert.Equal(t, c.refunds, f.refunds.Load(), "refunds that ran")
		})
	}
}

var errLoop = &loopStop{}

// loopStop stands for the loop's StopLoop result in the table.
type loopStop struct{}

func (*loopStop) Error() string { return "agent stopped the loop" }
