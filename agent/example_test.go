package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// OrderID is the argument of the lookup tool.
type OrderID struct {
	OrderID string `json:"order_id" jsonschema:"the order id, like A-1001"`
}

// Order is what the lookup tool returns.
type Order struct {
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
	Email       string `json:"email"`
}

// Email is the argument of the email tool.
type Email struct {
	Email   string `json:"email"`
	Subject string `json:"subject"`
}

func lookupOrder(_ context.Context, in OrderID) (Order, error) {
	if in.OrderID == "" {
		return Order{}, agent.ToolError("which order? ask the customer for its id")
	}
	return Order{OrderID: in.OrderID, AmountCents: 4999, Email: "ada@example.com"}, nil
}

func sendEmail(_ context.Context, in Email) (string, error) {
	return "sent to " + in.Email, nil
}

// SupportInput is the input of SupportWorkflow; State carries the agent
// through continue-as-new.
type SupportInput struct {
	Ticket string
	State  *agent.State
}

// SupportWorkflow answers a support ticket with tools.
func SupportWorkflow(ctx workflow.Context, in SupportInput) (agent.Result, error) {
	return agent.Run(ctx, agent.Config{
		System: "You are a support agent. Use the tools.",
		Prompt: in.Ticket,
		Limits: agent.Limits{MaxTurns: 8},
		ContinueAsNew: func(ctx workflow.Context, s *agent.State) error {
			in.State = s
			return workflow.NewContinueAsNewError(ctx, SupportWorkflow, in)
		},
	}, in.State)
}

func ExampleRun() {
	// Worker side: the tools, the stores, the offline model.
	tools, err := agent.NewTools(agent.ToolsConfig{Store: idem.NewMemoryStore(), Messages: &agent.MemoryMessages{}},
		agent.NewTool("lookup_order", "Look up an order by id", lookupOrder, agent.ReadOnly),
		agent.NewTool("send_email", "Email the customer", sendEmail, agent.SideEffect),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	acts, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{"default": llm.Offline()}, Messages: &agent.MemoryMessages{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	tools.Register(env)
	acts.Register(env)
	env.RegisterWorkflow(SupportWorkflow)

	env.ExecuteWorkflow(SupportWorkflow, SupportInput{Ticket: "Please lookup order A-1001 and send email to the customer."})
	var res agent.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Stop, res.Turns, "turns")
	for _, c := range res.Calls {
		fmt.Println(c.Tool, c.Policy, c.Outcome, c.Detail)
	}
	fmt.Println(strings.Split(res.Answer, "\n")[0])
	// Output:
	// answered 3 turns
	// lookup_order read-only ok {"order_id":"A-1001","amount_cents":4999,"email":"ada@example.com"}
	// send_email side-effect ok "sent to ada@example.com"
	// [offline model] No provider was called: this answer is generated locally from the tool results.
}

func ExampleNewTool() {
	t := agent.NewTool("lookup_order", "Look up an order by id", lookupOrder, agent.ReadOnly)
	fmt.Println(t.Spec().Name, t.Spec().Policy)
	fmt.Println(string(t.Spec().Parameters))
	// Output:
	// lookup_order read-only
	// {"type":"object","properties":{"order_id":{"type":"string","description":"the order id, like A-1001"}},"required":["order_id"],"additionalProperties":false}
}

func ExampleCallHash() {
	a, _ := agent.Canonical(`{ "order_id": "A-1", "amount_cents": 4999 }`)
	b, _ := agent.Canonical(`{"amount_cents":4999,"order_id":"A-1"}`)
	fmt.Println(string(a))
	fmt.Println(agent.CallHash("issue_refund", a) == agent.CallHash("issue_refund", b))
	edited, _ := agent.Patch(string(a), `{"amount_cents": 2500}`)
	fmt.Println(string(edited))
	// Output:
	// {"amount_cents":4999,"order_id":"A-1"}
	// true
	// {"amount_cents":2500,"order_id":"A-1"}
}

func ExampleCallKey() {
	fmt.Println(agent.CallKey("support-42/0b7e", "call_abc"))
	fmt.Println(agent.ToolActivity("issue_refund"))
	fmt.Println(agent.ApprovalID("support-42", "call_abc"))
	// Output:
	// agent/support-42/0b7e/call_abc
	// agent.tool.issue_refund
	// support-42/approval/call_abc
}
