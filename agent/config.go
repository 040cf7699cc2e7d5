package agent

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/llm"
)

// Defaults of [Config].
const (
	// DefaultMaxTurns bounds the model turns of one agent.
	DefaultMaxTurns = 20
	// DefaultMaxRepeats is how many times the same call (tool and
	// arguments) may be made before the loop stops as [StopLoop].
	DefaultMaxRepeats = 3
	// DefaultMaxTurnsPerRun continues as new after this many turns in one
	// run.
	DefaultMaxTurnsPerRun = 50
	// DefaultKeepMessages is how many of the newest messages a compaction
	// keeps as they are.
	DefaultKeepMessages = 6
	// DefaultReviewDeadline bounds the wait for an approval or a budget
	// decision.
	DefaultReviewDeadline = 24 * time.Hour
	// DefaultApprovalValidFor is how long an approval allows its call to
	// start.
	DefaultApprovalValidFor = time.Hour
	// DefaultAuditLimit is the number of newest call records kept in
	// [State] and the status.
	DefaultAuditLimit = 200
)

// Config configures [Run]. Prompt (or Messages) is required on the first
// run; every other field has a stated default. Config is workflow-side
// data: it names models and tools, never keys.
type Config struct {
	// System is the system message, first in the conversation.
	System string
	// Prompt is the user's request. It starts the conversation (after
	// System and Messages) on the first run; later runs take the
	// conversation from [State].
	Prompt string
	// Messages, when set, are the conversation before Prompt.
	Messages []llm.Message

	// Model is the configured llm model name (empty: the worker's
	// default), Fallback the models tried after a retryable failure.
	Model    string
	Fallback []string
	// MaxTokens caps each answer; it also makes the budget's estimate of
	// the next turn tight. 0 means the provider's default.
	MaxTokens int64
	// Temperature, when set, is sent as is.
	Temperature *float64
	// ToolChoice and ParallelToolCalls are sent as is (llm.Request).
	ToolChoice        string
	ParallelToolCalls *bool

	// Tools names the tools offered to the model; empty offers every tool
	// of the worker's catalogue. A name the worker does not have fails the
	// run with [ErrTypeInvalidConfig].
	Tools []string
	// Policies tightens the worker's policy of some tools, by name
	// ([Policy.Tighten]): require approval of a tool the worker declared
	// side-effecting, for example. It never loosens one.
	Policies map[string]Policy

	// Limits bound the agent.
	Limits Limits
	// BudgetReview, when set, asks a human (a [WorkflowBudgetReview] child
	// workflow) to raise the budget or stop when the next turn could exceed
	// it; nil stops the agent with [StopBudget].
	BudgetReview *Review
	// Approval configures the reviews of calls that need approval. The
	// zero value lets anyone approve, waits [DefaultReviewDeadline] and
	// gives approvals [DefaultApprovalValidFor].
	Approval Review
	// Compaction configures how a conversation too long for the model is
	// summarised.
	Compaction Compaction

	// MaxTurnsPerRun continues as new after this many turns in one run; 0
	// means [DefaultMaxTurnsPerRun]. Run also continues as new when the
	// server suggests it.
	MaxTurnsPerRun int
	// ContinueAsNew builds the continue-as-new error that restarts the
	// caller's workflow with state (put it in the workflow's input). Nil
	// means the workflow takes *State as its only argument. It is not
	// encoded, so a Config can travel in a workflow's input.
	ContinueAsNew func(ctx workflow.Context, state *State) error `json:"-"`
	// Session names the agent in idempotency keys ([CallKey]). Empty
	// means "<workflow ID>/<first run ID>": stable across retries,
	// continue-as-new and resets of this agent, different for every other.
	// Set a business key (a ticket ID) when a second workflow for the same
	// request must not repeat the effects of the first.
	Session string

	// LLMOptions replaces llm.ActivityOptions for the model turns.
	LLMOptions *workflow.ActivityOptions
	// ToolOptions replaces [ToolActivityOptions] for the tool activities
	// (the Summary is filled per call).
	ToolOptions *workflow.ActivityOptions
	// FailOnToolError fails the run when a tool fails after its retries,
	// instead of telling the model. Compensations then run.
	FailOnToolError bool
	// SearchAttributes upserts llm.SearchAttributeCostUSD and
	// llm.SearchAttributeTokens after every turn (register them first).
	SearchAttributes bool
	// AuditLimit is the number of newest call records kept; 0 means
	// [DefaultAuditLimit]. Older ones are counted and stay in history.
	AuditLimit int
}

// Limits bound an agent. Zero values mean the stated defaults or no limit.
type Limits struct {
	// MaxTurns bounds the model turns; 0 means [DefaultMaxTurns].
	MaxTurns int
	// MaxTokens and MaxCostUSD bound what the model turns (compactions
	// included) may use; 0 means none. The next turn is estimated from the
	// last turn's prompt and answer plus what was added since, plus
	// Config.MaxTokens.
	MaxTokens  int64
	MaxCostUSD float64
	// EstimatePrice prices the estimate; nil means the average cost per
	// token so far.
	EstimatePrice *llm.Price
	// MaxRepeats is how many times one call (same tool, same arguments)
	// may be made; the next one stops the agent as [StopLoop]. 0 means
	// [DefaultMaxRepeats].
	MaxRepeats int
}

// Review configures the human reviews the agent opens as child workflows
// (hitl reviews): approvals of calls and budget decisions.
type Review struct {
	// Reviewers may decide; empty means anyone.
	Reviewers []string
	// Deadline bounds the wait for a decision; when it passes the call is
	// not run (or the agent stops for its budget). 0 means
	// [DefaultReviewDeadline].
	Deadline time.Duration
	// ValidFor is how long an approval allows its call to start (approvals
	// only); 0 means [DefaultApprovalValidFor].
	ValidFor time.Duration
	// DisableSearchAttributes stops the reviews from upserting the HITL*
	// search attributes (for namespaces where they are not registered).
	DisableSearchAttributes bool
}

// Compaction configures the summary step that runs when the model answers
// that the conversation is too long (llm.ErrTypeContextLengthExceeded), or
// when a turn's prompt passes AtTokens.
type Compaction struct {
	// AtTokens compacts before a turn whose predecessor's prompt reached
	// this many tokens; 0 compacts only on a context-length error.
	AtTokens int64
	// Keep is how many of the newest messages stay as they are; 0 means
	// [DefaultKeepMessages]. The system message and the first user message
	// always stay.
	Keep int
	// MaxTokens caps the summary; 0 means 1024.
	MaxTokens int64
	// Prompt is the instruction that asks for the summary; empty means
	// [DefaultCompactionPrompt].
	Prompt string
}

// DefaultCompactionPrompt asks the model to summarise the conversation so far.
const DefaultCompactionPrompt = "Summarise the conversation above for your own later use: the facts found, the actions taken and their results, and what is left to do. Be complete and brief."

func (c Config) withDefaults(first bool) (Config, error) {
	if first && c.Prompt == "" && len(c.Messages) == 0 {
		return c, configError("Config.Prompt (or Messages) is required to start an agent")
	}
	if c.Limits.MaxTurns <= 0 {
		c.Limits.MaxTurns = DefaultMaxTurns
	}
	if c.Limits.MaxRepeats <= 0 {
		c.Limits.MaxRepeats = DefaultMaxRepeats
	}
	if c.Limits.MaxTokens < 0 || c.Limits.MaxCostUSD < 0 {
		return c, configError("Limits: negative MaxTokens or MaxCostUSD; use 0 for no limit")
	}
	if c.MaxTurnsPerRun <= 0 {
		c.MaxTurnsPerRun = DefaultMaxTurnsPerRun
	}
	if c.AuditLimit <= 0 {
		c.AuditLimit = DefaultAuditLimit
	}
	if c.Compaction.Keep <= 0 {
		c.Compaction.Keep = DefaultKeepMessages
	}
	if c.Compaction.MaxTokens <= 0 {
		c.Compaction.MaxTokens = 1024
	}
	if c.Compaction.Prompt == "" {
		c.Compaction.Prompt = DefaultCompactionPrompt
	}
	var err error
	if c.Approval, err = c.Approval.withDefaults("Approval"); err != nil {
		return c, err
	}
	if c.BudgetReview != nil {
		r, err := c.BudgetReview.withDefaults("BudgetReview")
		if err != nil {
			return c, err
		}
		c.BudgetReview = &r
	}
	return c, nil
}

func (r Review) withDefaults(field string) (Review, error) {
	if r.Deadline < 0 || r.ValidFor < 0 {
		return r, configError("%s: negative Deadline or ValidFor; use 0 for the default", field)
	}
	if r.Deadline == 0 {
		r.Deadline = DefaultReviewDeadline
	}
	if r.ValidFor == 0 {
		r.ValidFor = DefaultApprovalValidFor
	}
	return r, nil
}

// String is a short description for logs.
func (l Limits) String() string {
	return fmt.Sprintf("turns %d, tokens %d, $%.4f", l.MaxTurns, l.MaxTokens, l.MaxCostUSD)
}
