package llm

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// QueryBudget is the name of the query [Budget.RegisterQuery] registers; it
// answers with a copy of the [Budget].
const QueryBudget = "llm.budget"

// Search attributes [Budget.Upsert] sets. They must be registered on the
// server before a workflow upserts them, or its workflow task fails:
//
//	temporal operator search-attribute create --name LLMCostUSD --type Double
//	temporal operator search-attribute create --name LLMTokens --type Int
//
// (the dev server: durable.DevServerOptions.SearchAttributes). Then list
// expensive runs with `temporal workflow list --query 'LLMCostUSD > 1'`.
var (
	// SearchAttributeCostUSD is the known cost of the workflow's calls so far.
	SearchAttributeCostUSD = temporal.NewSearchAttributeKeyFloat64("LLMCostUSD")
	// SearchAttributeTokens is the number of tokens of its calls so far.
	SearchAttributeTokens = temporal.NewSearchAttributeKeyInt64("LLMTokens")
)

// Usage is what a set of calls consumed.
type Usage struct {
	// Calls is the number of answers received.
	Calls int
	// PromptTokens and CompletionTokens are the token counts: reported by
	// the provider, or estimated for answers that came without usage.
	PromptTokens, CompletionTokens int64
	// CostUSD is the sum of the known costs and of the estimated costs of
	// answers without usage.
	CostUSD float64
	// PricedTokens is the number of tokens of calls whose cost (known or
	// estimated) is in CostUSD.
	PricedTokens int64
	// UnknownCostCalls counts answers whose cost the worker could not price:
	// CostUSD leaves them out.
	UnknownCostCalls int
	// EstimatedCalls counts answers that came without usage (see
	// [Response.UsageEstimated]): their tokens and cost are estimates.
	EstimatedCalls int `json:",omitempty"`
}

// TotalTokens returns PromptTokens + CompletionTokens.
func (u Usage) TotalTokens() int64 { return u.PromptTokens + u.CompletionTokens }

// Add adds one answer's usage.
func (u *Usage) Add(r Response) {
	u.Calls++
	u.PromptTokens += r.PromptTokens
	u.CompletionTokens += r.CompletionTokens
	if r.UsageEstimated {
		u.EstimatedCalls++
	}
	switch {
	case r.CostKnown, r.UsageEstimated && r.CostUSD > 0:
		u.CostUSD += r.CostUSD
		u.PricedTokens += r.TotalTokens()
	default:
		u.UnknownCostCalls++
	}
}

// addUsage adds the usage v accounts for.
func (u *Usage) addUsage(v Usage) {
	u.Calls += v.Calls
	u.PromptTokens += v.PromptTokens
	u.CompletionTokens += v.CompletionTokens
	u.CostUSD += v.CostUSD
	u.PricedTokens += v.PricedTokens
	u.UnknownCostCalls += v.UnknownCostCalls
	u.EstimatedCalls += v.EstimatedCalls
}

// Budget is a workflow-side ledger of LLM usage with optional limits. Pass
// it to calls with [WithBudget]: each call is checked before it is
// scheduled and its usage added when its answer arrives. Everything it
// reads comes from the workflow's history, so it is deterministic; it lives
// in workflow state, so carry it in the input of a continue-as-new.
//
// The zero value is a ledger without limits. A Budget is used from one
// workflow only; workflow code runs one coroutine at a time, so it needs no
// lock. Calls in flight at once (started in parallel) hold their estimates
// until they finish, so parallel calls cannot overshoot together.
//
// A call's estimate is its prompt length / 4 tokens plus its
// [Request.MaxTokens] (so set MaxTokens to make the check tight), priced at
// EstimatePrice or, when nil, at the average cost per token of the answers
// so far. Attempts that failed after the provider billed them (a truncated
// stream) never reach the workflow and are not counted. A steerable call
// ([WithSteering]) that was stopped or redirected, or whose workflow was
// cancelled, is counted with what its interrupted generations were billed.
type Budget struct {
	// MaxTokens is the token limit; 0 means none.
	MaxTokens int64
	// MaxCostUSD is the cost limit in US dollars; 0 means none.
	MaxCostUSD float64
	// EstimatePrice prices a call's estimate before it is made. Nil means
	// the average cost per token seen so far (nothing before the first
	// priced answer).
	EstimatePrice *Price `json:",omitempty"`
	// SearchAttributes upserts [SearchAttributeCostUSD] and
	// [SearchAttributeTokens] after every answer. Register them on the
	// server first.
	SearchAttributes bool `json:",omitempty"`
	// Used is what the calls charged to the budget consumed.
	Used Usage

	reservedTokens int64
	reservedUSD    float64
}

// estimate is the expected size and cost of req.
func (b *Budget) estimate(req Request) (tokens int64, usd float64) {
	prompt := int64(estimateTokens(req.promptChars() + len(req.Schema)))
	tokens = prompt + req.MaxTokens
	switch {
	case b.EstimatePrice != nil:
		usd = b.EstimatePrice.Cost(prompt, req.MaxTokens)
	case b.Used.PricedTokens > 0:
		usd = b.Used.CostUSD / float64(b.Used.PricedTokens) * float64(tokens)
	}
	return tokens, usd
}

// Check returns an [ErrTypeBudgetExceeded] error (errors.Is
// [ErrBudgetExceeded]) when req could exceed a limit, given what was used
// and what calls in flight may use. It runs in workflow code.
func (b *Budget) Check(req Request) error {
	tokens, usd := b.estimate(req)
	if b.MaxTokens > 0 {
		used := b.Used.TotalTokens() + b.reservedTokens
		if used+tokens > b.MaxTokens {
			return budgetError(fmt.Sprintf("llm: budget exceeded: %q needs about %d tokens but %d of %d are used or reserved; raise Budget.MaxTokens, lower Request.MaxTokens or stop",
				req.label(), tokens, used, b.MaxTokens))
		}
	}
	if b.MaxCostUSD > 0 {
		used := b.Used.CostUSD + b.reservedUSD
		if used+usd > b.MaxCostUSD || used >= b.MaxCostUSD {
			return budgetError(fmt.Sprintf("llm: budget exceeded: %q may cost about $%.4f but $%.4f of $%.4f is used or reserved; raise Budget.MaxCostUSD or stop",
				req.label(), usd, used, b.MaxCostUSD))
		}
	}
	return nil
}

func budgetError(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, ErrTypeBudgetExceeded,
		temporal.ApplicationErrorOptions{NonRetryable: true, Cause: ErrBudgetExceeded})
}

// reserve holds req's estimate while it is in flight; release returns it.
func (b *Budget) reserve(req Request) (release func()) {
	tokens, usd := b.estimate(req)
	b.reservedTokens += tokens
	b.reservedUSD += usd
	return func() {
		b.reservedTokens -= tokens
		b.reservedUSD -= usd
	}
}

// Add records an answer's usage, and upserts the search attributes when
// SearchAttributes is set. It runs in workflow code.
func (b *Budget) Add(ctx workflow.Context, r Response) error {
	b.Used.Add(r)
	if b.SearchAttributes {
		return b.Upsert(ctx)
	}
	return nil
}

// Upsert sets [SearchAttributeCostUSD] and [SearchAttributeTokens] to the
// usage so far. They must be registered on the server.
func (b *Budget) Upsert(ctx workflow.Context) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		SearchAttributeCostUSD.ValueSet(b.Used.CostUSD),
		SearchAttributeTokens.ValueSet(b.Used.TotalTokens()))
}

// RegisterQuery answers the [QueryBudget] query with a copy of b, so a
// client or the Web UI can read the spend of a running workflow.
func (b *Budget) RegisterQuery(ctx workflow.Context) error {
	return workflow.SetQueryHandler(ctx, QueryBudget, func() (Budget, error) { return *b, nil })
}
