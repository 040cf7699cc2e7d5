package agent

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
)

// estimate is the expected size and cost of the next turn: the last
// turn's prompt and answer (both are in the next prompt), what was added
// since (4 characters a token), and the answer's cap.
func (r *run) estimate() (tokens int64, usd float64) {
	s := r.s
	prompt := s.LastPromptTokens + s.LastCompletionTokens + int64(s.PendingChars+3)/4
	if s.Turns == 0 {
		for _, t := range r.tools {
			prompt += int64(len(t.Name)+len(t.Description)+len(t.Parameters)+3) / 4
		}
	}
	tokens = prompt + r.cfg.MaxTokens
	switch b := &s.Budget; {
	case b.EstimatePrice != nil:
		usd = b.EstimatePrice.Cost(prompt, r.cfg.MaxTokens)
	case b.Used.PricedTokens > 0:
		usd = b.Used.CostUSD / float64(b.Used.PricedTokens) * float64(tokens)
	}
	return tokens, usd
}

// over says why the next turn could exceed the budget, or "".
func (r *run) over(tokens int64, usd float64) string {
	b := &r.s.Budget
	if b.MaxTokens > 0 && b.Used.TotalTokens()+tokens > b.MaxTokens {
		return fmt.Sprintf("the next turn needs about %d tokens and %d of %d are used", tokens, b.Used.TotalTokens(), b.MaxTokens)
	}
	if b.MaxCostUSD > 0 && (b.Used.CostUSD+usd > b.MaxCostUSD || b.Used.CostUSD >= b.MaxCostUSD) {
		return fmt.Sprintf("the next turn may cost about $%.4f and $%.4f of $%.4f is used", usd, b.Used.CostUSD, b.MaxCostUSD)
	}
	return ""
}

// checkBudget reports whether the next turn fits the budget, asking a
// human to raise it first when Config.BudgetReview is set.
func (r *run) checkBudget(ctx workflow.Context) (bool, string, error) {
	for {
		tokens, usd := r.estimate()
		why := r.over(tokens, usd)
		if why == "" {
			return true, "", nil
		}
		if r.cfg.BudgetReview == nil {
			return false, why, nil
		}
		raised, detail, err := r.reviewBudget(ctx, tokens, usd, why)
		if err != nil || !raised {
			return false, detail, err
		}
	}
}

// reviewBudget runs a budget review and applies the new limits.
func (r *run) reviewBudget(ctx workflow.Context, tokens int64, usd float64, why string) (bool, string, error) {
	b := &r.s.Budget
	r.s.BudgetReviews++
	agentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	id := BudgetReviewID(agentID, r.s.BudgetReviews)
	p := BudgetProposal{Agent: agentID, Reason: why, Used: b.Used, MaxTokens: b.MaxTokens, MaxCostUSD: b.MaxCostUSD, NextTokens: tokens, NextCostUSD: usd}
	if b.MaxTokens > 0 {
		p.NewMaxTokens = max(2*b.MaxTokens, b.Used.TotalTokens()+2*tokens)
	}
	if b.MaxCostUSD > 0 {
		p.NewMaxCostUSD = max(2*b.MaxCostUSD, b.Used.CostUSD+2*usd)
	}
	r.phase = PhaseAwaitingBudget
	r.reviews = append(r.reviews, id)
	defer func() { r.reviews = removeString(r.reviews, id); r.phase = PhaseThinking }()
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:    id,
		StaticSummary: "raise the budget of agent " + agentID + " or stop",
	})
	var res BudgetResult
	if err := workflow.ExecuteChildWorkflow(cctx, WorkflowBudgetReview, BudgetRequest{Proposal: p, Review: *r.cfg.BudgetReview}).Get(ctx, &res); err != nil {
		return false, "", err
	}
	if res.Phase != hitl.PhaseApproved {
		detail := fmt.Sprintf("%s; the budget review ended %s", why, res.Phase)
		if res.By != "" {
			detail += " by " + res.By
		}
		if res.Reason != "" {
			detail += ": " + res.Reason
		}
		return false, detail, nil
	}
	if res.Proposal.NewMaxTokens > 0 || b.MaxTokens > 0 {
		b.MaxTokens = res.Proposal.NewMaxTokens
	}
	if res.Proposal.NewMaxCostUSD > 0 || b.MaxCostUSD > 0 {
		b.MaxCostUSD = res.Proposal.NewMaxCostUSD
	}
	workflow.GetLogger(ctx).Info("agent: budget raised", "by", res.By, "max_tokens", b.MaxTokens, "max_cost_usd", b.MaxCostUSD)
	return true, "", nil
}

// BudgetProposal is what a budget review decides: the T of the hitl
// review [BudgetReviewWorkflow] runs. Approving raises the limits to the
// New values; an edit (Decision.Text: {"max_tokens": N, "max_cost_usd": X})
// changes them first; rejecting stops the agent.
type BudgetProposal struct {
	// Agent is the workflow ID of the agent; Reason why it asks.
	Agent  string `json:"agent"`
	Reason string `json:"reason"`
	// Used is what the agent used so far.
	Used llm.Usage `json:"used"`
	// MaxTokens and MaxCostUSD are the current limits (0: none).
	MaxTokens  int64   `json:"max_tokens,omitempty"`
	MaxCostUSD float64 `json:"max_cost_usd,omitempty"`
	// NextTokens and NextCostUSD estimate the next turn.
	NextTokens  int64   `json:"next_tokens"`
	NextCostUSD float64 `json:"next_cost_usd,omitempty"`
	// NewMaxTokens and NewMaxCostUSD are the proposed limits (0: none).
	NewMaxTokens  int64   `json:"new_max_tokens,omitempty"`
	NewMaxCostUSD float64 `json:"new_max_cost_usd,omitempty"`
}

// Excerpt renders the proposal for the review's status and list.
func (p BudgetProposal) Excerpt() string {
	var parts []string
	if p.MaxTokens > 0 || p.NewMaxTokens > 0 {
		parts = append(parts, fmt.Sprintf("tokens %d → %d", p.MaxTokens, p.NewMaxTokens))
	}
	if p.MaxCostUSD > 0 || p.NewMaxCostUSD > 0 {
		parts = append(parts, fmt.Sprintf("cost $%.4f → $%.4f", p.MaxCostUSD, p.NewMaxCostUSD))
	}
	return fmt.Sprintf("raise the budget (%s)? used %d tokens, $%.4f; %s", strings.Join(parts, ", "), p.Used.TotalTokens(), p.Used.CostUSD, p.Reason)
}

// BudgetRequest is the input of [BudgetReviewWorkflow].
type BudgetRequest struct {
	Proposal BudgetProposal
	Review   Review
	// State carries the review through continue-as-new; nil at first.
	State *hitl.State[BudgetProposal] `json:",omitempty"`
}

// BudgetResult is how a budget review ended.
type BudgetResult struct {
	Phase      hitl.Phase
	Proposal   BudgetProposal
	By, Reason string
}

// BudgetReviewWorkflow is the [WorkflowBudgetReview] child workflow: a hitl
// review with one stage (Review.Reviewers, Review.Deadline, timing out as
// rejected) of a [BudgetProposal].
func BudgetReviewWorkflow(ctx workflow.Context, req BudgetRequest) (BudgetResult, error) {
	review, err := req.Review.withDefaults("Review")
	if err != nil {
		return BudgetResult{}, err
	}
	res, err := hitl.Run(ctx, hitl.Config[BudgetProposal]{
		Initial: req.Proposal,
		Revise:  reviseBudget,
		Stages: []hitl.Stage{{
			Name:      "budget",
			Reviewers: review.Reviewers,
			Deadline:  review.Deadline,
			OnTimeout: hitl.TimeoutReject,
		}},
		ContinueAsNew: func(ctx workflow.Context, st *hitl.State[BudgetProposal]) error {
			req.State = st
			return workflow.NewContinueAsNewError(ctx, WorkflowBudgetReview, req)
		},
		DisableSearchAttributes: review.DisableSearchAttributes,
	}, req.State)
	if err != nil {
		return BudgetResult{}, err
	}
	return BudgetResult{Phase: res.Phase, Proposal: res.Artifact, By: res.By, Reason: res.Reason}, nil
}

// reviseBudget applies an edit: Decision.Text is {"max_tokens": N,
// "max_cost_usd": X}, either field optional.
func reviseBudget(_ workflow.Context, cur BudgetProposal, d hitl.Decision) (BudgetProposal, error) {
	var v struct {
		MaxTokens  *int64   `json:"max_tokens"`
		MaxCostUSD *float64 `json:"max_cost_usd"`
	}
	// Decoding the recorded decision is deterministic.
	err := json.Unmarshal([]byte(d.Text), &v) //workflowcheck:ignore
	if err != nil || (v.MaxTokens == nil && v.MaxCostUSD == nil) {
		return cur, fmt.Errorf(`agent: a budget edit needs the new limits as JSON in the decision's text, for example {"max_tokens": 20000, "max_cost_usd": 0.5}`)
	}
	next := cur
	if v.MaxTokens != nil {
		if *v.MaxTokens < 0 {
			return cur, fmt.Errorf("agent: max_tokens %d is negative; use 0 for no limit", *v.MaxTokens)
		}
		next.NewMaxTokens = *v.MaxTokens
	}
	if v.MaxCostUSD != nil {
		if *v.MaxCostUSD < 0 {
			return cur, fmt.Errorf("agent: max_cost_usd %g is negative; use 0 for no limit", *v.MaxCostUSD)
		}
		next.NewMaxCostUSD = *v.MaxCostUSD
	}
	return next, nil
}
