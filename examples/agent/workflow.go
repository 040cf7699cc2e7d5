package supportagent

import (
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/agent"
)

// TaskQueue is the task queue of the support agent's workers.
const TaskQueue = "support-agent"

// WorkflowName is the registered name of [SupportWorkflow].
const WorkflowName = "SupportAgent"

// SystemPrompt tells the model how to work the ticket.
const SystemPrompt = "You are a support agent for a small shop. Look the order up before acting, " +
	"refund only what the customer lost, and email the customer what you did."

// Ticket is the input of [SupportWorkflow].
type Ticket struct {
	// ID names the ticket; the workflow ID is "support-<ID>".
	ID string
	// Text is the customer's request.
	Text string
	// Reviewers may approve refunds; empty means "lead".
	Reviewers []string `json:",omitempty"`
	// ApprovalDeadline bounds the wait for a reviewer; 0 means 24 h.
	ApprovalDeadline time.Duration `json:",omitempty"`
	// State carries the agent through continue-as-new; nil at first.
	State *agent.State `json:",omitempty"`
}

// SupportWorkflow works a support ticket with the agent loop: it looks the
// order up, asks a reviewer to approve (or edit) the refund, refunds, and
// emails the customer.
func SupportWorkflow(ctx workflow.Context, t Ticket) (agent.Result, error) {
	reviewers := t.Reviewers
	if len(reviewers) == 0 {
		reviewers = []string{"lead"}
	}
	return agent.Run(ctx, agent.Config{
		System:   SystemPrompt,
		Prompt:   t.Text,
		Limits:   agent.Limits{MaxTurns: 10, MaxCostUSD: 0.50},
		Approval: agent.Review{Reviewers: reviewers, Deadline: t.ApprovalDeadline, ValidFor: time.Hour},
		ContinueAsNew: func(ctx workflow.Context, s *agent.State) error {
			t.State = s
			return workflow.NewContinueAsNewError(ctx, WorkflowName, t)
		},
	}, t.State)
}

// RegisterWorkflows registers [SupportWorkflow] and the agent's review
// workflows (on a worker or a replayer).
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(SupportWorkflow, workflow.RegisterOptions{Name: WorkflowName})
	agent.RegisterWorkflows(r)
}
