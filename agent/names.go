package agent

import "strconv"

// Wire names: activities, workflows and queries the package registers and
// schedules. They are stable, so histories replay across versions and
// clients in any language can use them.
const (
	// ActivityListTools is the activity that returns the worker's tool
	// catalogue ([Catalog]); [Run] calls it once per agent.
	ActivityListTools = "agent.ListTools"
	// ActivityCheck validates a call's arguments against its tool's schema
	// and returns them canonical with their hash ([CheckInput],
	// [CheckOutput]). Approvals use it before a review and for edits.
	ActivityCheck = "agent.Check"
	// ActivityToolPrefix starts the activity name of every tool: the tool
	// lookup_order runs as the activity "agent.tool.lookup_order".
	ActivityToolPrefix = "agent.tool."
	// ActivityUndoPrefix starts the activity name of every tool's undo.
	ActivityUndoPrefix = "agent.undo."

	// WorkflowApproval is the child workflow that holds the review of one
	// call ([ApprovalWorkflow]); reviewers decide on it with the hitl
	// client helpers or hitlhttp.
	WorkflowApproval = "agent.Approval"
	// WorkflowBudgetReview is the child workflow that asks a human to
	// raise the budget or stop ([BudgetReviewWorkflow]).
	WorkflowBudgetReview = "agent.BudgetReview"

	// QueryStatus answers with the agent's [Status]: turns, calls with
	// their policy and outcome, approvals, usage and cost.
	QueryStatus = "agent.status"
)

// ToolActivity is the activity name of the tool called name.
func ToolActivity(name string) string { return ActivityToolPrefix + name }

// UndoActivity is the activity name of the undo of the tool called name.
func UndoActivity(name string) string { return ActivityUndoPrefix + name }

// ApprovalID is the workflow ID of the review of call callID made by the
// agent running as agentID: "<agentID>/approval/<callID>".
func ApprovalID(agentID, callID string) string { return agentID + "/approval/" + callID }

// BudgetReviewID is the workflow ID of the agent's n-th budget review
// (from 1): "<agentID>/budget/<n>".
func BudgetReviewID(agentID string, n int) string {
	return agentID + "/budget/" + strconv.Itoa(n)
}
