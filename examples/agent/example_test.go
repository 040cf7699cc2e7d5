package supportagent_test

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/agent"
	supportagent "github.com/durable-llm/durable-llm/examples/agent"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
)

// A ticket with the offline model: the agent looks the order up and asks
// for the refund; the reviewer halves it and approves; the refund runs once
// and the customer gets an email.
func ExampleSupportWorkflow() {
	dir, err := os.MkdirTemp("", "supportagent-example")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	w, err := supportagent.NewWorker(supportagent.Config{Dir: dir, LLM: llm.Config{Models: map[string]llm.Model{"offline": llm.Offline()}}})
	if err != nil {
		panic(err)
	}
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestWorkflowEnvironment()
	w.Register(env)
	// The reviewer: an edit after a minute, the approval after two.
	for i, d := range []hitl.Decision{
		{Reviewer: "lead", Action: hitl.ActionEdit, Version: 1, Text: `{"amount_cents": 2500}`},
		{Reviewer: "lead", Action: hitl.ActionApprove, Version: 2},
	} {
		env.RegisterDelayedCallback(func() {
			v, _ := env.QueryWorkflow(agent.QueryStatus)
			var st agent.Status
			_ = v.Get(&st)
			_ = env.UpdateWorkflowByID(st.Reviews[0], hitl.UpdateDecide, fmt.Sprint(i), &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(any, error) {},
			}, d)
		}, time.Duration(i+1)*time.Minute)
	}
	env.ExecuteWorkflow(supportagent.WorkflowName, supportagent.Ticket{
		ID:   "T-1",
		Text: "Order A-1001 arrived broken. Please lookup order A-1001, issue refund for it and send email to the customer.",
	})
	var res agent.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		panic(err)
	}
	fmt.Println(res.Stop, "after", res.Turns, "turns")
	for _, c := range res.Calls {
		approved := ""
		if c.Approval != nil {
			approved = fmt.Sprintf(", approved by %s (version %d)", c.Approval.By, c.Approval.Version)
		}
		fmt.Printf("%s %s: %s%s\n", c.Tool, c.Policy, c.Outcome, approved)
	}
	refunds, _ := w.Backend.Refunds()
	emails, _ := w.Backend.Emails()
	fmt.Println("refunds:", len(refunds), "of", refunds[0].AmountCents, "cents; emails:", len(emails))
	// Output:
	// answered after 4 turns
	// lookup_order read-only: ok
	// issue_refund side-effect+approval+undo: ok, approved by lead (version 2)
	// send_email side-effect: ok
	// refunds: 1 of 2500 cents; emails: 1
}
