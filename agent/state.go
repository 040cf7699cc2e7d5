package agent

import (
	"github.com/durable-llm/durable-llm/llm"
)

// StopReason says why an agent stopped without an error.
type StopReason string

// Stop reasons of a [Result].
const (
	// StopAnswered: the model answered without calling a tool.
	StopAnswered StopReason = "answered"
	// StopMaxTurns: Limits.MaxTurns model turns were used.
	StopMaxTurns StopReason = "max_turns"
	// StopBudget: the next turn could exceed the budget and no review
	// raised it (none configured, denied, or no decision in time).
	StopBudget StopReason = "budget"
	// StopLoop: the model made the same call more than Limits.MaxRepeats
	// times.
	StopLoop StopReason = "loop"
)

// Outcome is what became of one call.
type Outcome string

// Outcomes of a [CallRecord].
const (
	// OutcomePending: the call is being approved or run.
	OutcomePending Outcome = "pending"
	// OutcomeOK: the tool ran and returned a result.
	OutcomeOK Outcome = "ok"
	// OutcomeError: the tool refused or failed; the model was told.
	OutcomeError Outcome = "error"
	// OutcomeInvalid: the arguments did not match the schema; the model was told.
	OutcomeInvalid Outcome = "invalid"
	// OutcomeUnknownTool: the model called a tool that is not offered.
	OutcomeUnknownTool Outcome = "unknown_tool"
	// OutcomeDenied: a reviewer rejected the call; the reason went to the model.
	OutcomeDenied Outcome = "denied"
	// OutcomeTimedOut: no reviewer decided before the deadline.
	OutcomeTimedOut Outcome = "timed_out"
	// OutcomeExpired: the approval expired before the call could start.
	OutcomeExpired Outcome = "expired"
	// OutcomeUndone: the call succeeded and was compensated.
	OutcomeUndone Outcome = "undone"
)

// CallRecord is one tool call in the audit trail.
type CallRecord struct {
	// Seq numbers calls from 1 across the agent (continue-as-new included).
	Seq int `json:"seq"`
	// Turn is the model turn that asked for the call.
	Turn int `json:"turn"`
	// ID is the model's call id; Tool the tool's name.
	ID   string `json:"id"`
	Tool string `json:"tool"`
	// Policy is the policy the call ran under.
	Policy Policy `json:"policy"`
	// Arguments are the arguments it ran with (the approved ones), clipped.
	Arguments string `json:"arguments"`
	// Outcome is what became of it; Detail the error, denial reason or
	// result excerpt.
	Outcome Outcome `json:"outcome"`
	Detail  string  `json:"detail,omitempty"`
	// Ref is the result's reference when it is kept outside history.
	Ref string `json:"ref,omitempty"`
	// Key is the idempotency key of an at-most-once call.
	Key string `json:"key,omitempty"`
	// Review is the workflow ID of the call's approval review, Approval
	// the approval it ran under.
	Review   string    `json:"review,omitempty"`
	Approval *Approval `json:"approval,omitempty"`
}

// UndoRecord is a compensable call that succeeded: [Run] registers its
// undo with saga on every run, so a failure after continue-as-new still
// undoes it.
type UndoRecord struct {
	// Tool is the tool's name; Input the undo activity's input.
	Tool  string
	Input UndoInput
}

// State is everything an agent needs to resume: pass it to [Run] (nil
// starts a new agent) and carry it through continue-as-new. It holds the
// conversation by reference when the worker has a message store, so it
// stays small. Treat it as read-only; its fields are exported for the data
// converter.
type State struct {
	// Session is the agent's name in idempotency keys ([CallKey]).
	Session string
	// Catalog is the worker's tool catalogue, fetched once.
	Catalog *Catalog `json:",omitempty"`
	// Messages is the conversation, by reference when Catalog.ByRef.
	Messages []llm.Message
	// Pinned is how many leading messages compaction never touches (the
	// system message and the first user message).
	Pinned int
	// Turns counts model turns; Budget holds the limits (as raised by
	// budget reviews) and the usage of every model call.
	Turns  int
	Budget llm.Budget
	// LastPromptTokens and LastCompletionTokens are the last turn's usage;
	// PendingChars counts what was added since, for the next estimate.
	LastPromptTokens, LastCompletionTokens int64
	PendingChars                           int
	// Calls are the newest call records; CallCount counts them all.
	Calls     []CallRecord
	CallCount int
	// Undo lists the compensable calls that succeeded.
	Undo []UndoRecord `json:",omitempty"`
	// Repeats counts each call (tool and arguments) made so far.
	Repeats map[string]int `json:",omitempty"`
	// Compactions counts summary steps; BudgetReviews budget reviews.
	Compactions   int
	BudgetReviews int
	// Runs counts the workflow runs of the agent.
	Runs int
}

// Result is how an agent ended without an error.
type Result struct {
	// Answer is the model's final text (empty unless Stop is StopAnswered).
	Answer string
	// Stop says why the agent stopped; Detail explains it.
	Stop   StopReason
	Detail string `json:",omitempty"`
	// Turns, ToolCalls, Compactions and Runs count what the agent did.
	Turns, ToolCalls, Compactions, Runs int
	// Usage is what the model calls used, with their cost.
	Usage llm.Usage
	// Calls is the retained audit trail.
	Calls []CallRecord
}

// Phase is what a running agent is doing, in its [Status].
type Phase string

// Phases of an agent.
const (
	// PhaseThinking: a model turn is running.
	PhaseThinking Phase = "thinking"
	// PhaseCalling: tools are running.
	PhaseCalling Phase = "calling"
	// PhaseAwaitingReview: an approval review is open.
	PhaseAwaitingReview Phase = "awaiting_review"
	// PhaseAwaitingBudget: a budget review is open.
	PhaseAwaitingBudget Phase = "awaiting_budget"
	// PhaseCompacting: the conversation is being summarised.
	PhaseCompacting Phase = "compacting"
	// PhaseCompensating: undos are running after a failure.
	PhaseCompensating Phase = "compensating"
	// PhaseDone: the agent returned.
	PhaseDone Phase = "done"
)

// Status is the answer of [QueryStatus].
type Status struct {
	Phase Phase `json:"phase"`
	// Turns counts model turns; Runs workflow runs; Messages the
	// conversation's length; Compactions the summary steps.
	Turns       int `json:"turns"`
	Runs        int `json:"runs"`
	Messages    int `json:"messages"`
	Compactions int `json:"compactions"`
	// Calls are the retained call records, oldest first; CallCount counts
	// every call.
	Calls     []CallRecord `json:"calls"`
	CallCount int          `json:"call_count"`
	// Reviews lists the workflow IDs of the open reviews (approvals or a
	// budget review); reviewers decide on them with the hitl client or
	// hitlhttp.
	Reviews []string `json:"reviews,omitempty"`
	// Usage, MaxTokens and MaxCostUSD are the budget: what was used and the
	// current limits (0: none).
	Usage      llm.Usage `json:"usage"`
	MaxTokens  int64     `json:"max_tokens,omitempty"`
	MaxCostUSD float64   `json:"max_cost_usd,omitempty"`
	// Stop is set once the agent stopped.
	Stop StopReason `json:"stop,omitempty"`
}
