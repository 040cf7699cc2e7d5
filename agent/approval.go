package agent

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/hitl"
)

// Proposal is the call a reviewer approves: the T of the hitl review that
// [ApprovalWorkflow] runs. Reviewers see the tool, the canonical arguments
// and their hash; an edit (hitl.ActionEdit with Decision.Text a JSON
// object of the fields to change) makes the next version, checked against
// the tool's schema.
type Proposal struct {
	// Agent is the workflow ID of the agent; CallID the model's call id.
	Agent  string `json:"agent"`
	CallID string `json:"call_id"`
	// Tool is the tool's name and Description its description.
	Tool        string `json:"tool"`
	Description string `json:"description,omitempty"`
	// Arguments are the canonical arguments ([Canonical]).
	Arguments json.RawMessage `json:"arguments"`
	// Hash is [CallHash] of Tool and Arguments: what an approval binds.
	Hash string `json:"hash"`
	// EditedBy lists the reviewers whose edits made this version.
	EditedBy []string `json:"edited_by,omitempty"`
}

// Excerpt renders the call for the review's status and list:
// "issue_refund {"amount_cents":4999,...} (sha256 1a2b3c4d5e6f)".
func (p Proposal) Excerpt() string {
	h := p.Hash
	if len(h) > 12 {
		h = h[:12]
	}
	return fmt.Sprintf("%s %s (sha256 %s)", p.Tool, p.Arguments, h)
}

// ApprovalRequest is the input of [ApprovalWorkflow].
type ApprovalRequest struct {
	// Proposal is the call as the model asked for it, checked.
	Proposal Proposal
	// Review says who may decide, until when, and how long an approval
	// holds (defaults applied by [Run]).
	Review Review
	// State carries the review through continue-as-new; nil at first.
	State *hitl.State[Proposal] `json:",omitempty"`
}

// ApprovalResult is how a review of a call ended.
type ApprovalResult struct {
	// Phase is hitl's: approved, rejected, timed_out, canceled.
	Phase hitl.Phase
	// Proposal is the last version: the approved call when approved.
	Proposal Proposal
	// Approval is set when approved: it binds Proposal.Hash until its
	// ExpiresAt.
	Approval *Approval `json:",omitempty"`
	// By and Reason are who closed the review and why (a rejection's reason).
	By, Reason string
}

// ApprovalWorkflow is the [WorkflowApproval] child workflow: a hitl review
// of one call with one stage (Review.Reviewers, Review.Deadline, timing out
// as rejected). Reviewers approve, edit the arguments (Decision.Text: a JSON
// object of the fields to change, checked with [ActivityCheck]) or reject
// with a reason. When approved it returns an [Approval] of the last
// version, valid for Review.ValidFor from the approval.
func ApprovalWorkflow(ctx workflow.Context, req ApprovalRequest) (ApprovalResult, error) {
	review, err := req.Review.withDefaults("Review")
	if err != nil {
		return ApprovalResult{}, err
	}
	res, err := hitl.Run(ctx, hitl.Config[Proposal]{
		Initial: req.Proposal,
		Revise:  reviseProposal,
		Stages: []hitl.Stage{{
			Name:      "approve " + req.Proposal.Tool,
			Reviewers: review.Reviewers,
			Deadline:  review.Deadline,
			OnTimeout: hitl.TimeoutReject,
		}},
		ContinueAsNew: func(ctx workflow.Context, st *hitl.State[Proposal]) error {
			req.State = st
			return workflow.NewContinueAsNewError(ctx, WorkflowApproval, req)
		},
		DisableSearchAttributes: review.DisableSearchAttributes,
	}, req.State)
	if err != nil {
		return ApprovalResult{}, err
	}
	out := ApprovalResult{Phase: res.Phase, Proposal: res.Artifact, By: res.By, Reason: res.Reason}
	if res.Approved() {
		now := workflow.Now(ctx)
		out.Approval = &Approval{
			Hash:      res.Artifact.Hash,
			By:        res.By,
			At:        now,
			ExpiresAt: now.Add(review.ValidFor),
			Review:    workflow.GetInfo(ctx).WorkflowExecution.ID,
			Version:   res.Version,
			Edited:    len(res.Artifact.EditedBy) > 0,
		}
	}
	return out, nil
}

// reviseProposal applies a reviewer's edit: Decision.Text holds the fields
// to change, as a JSON object.
func reviseProposal(ctx workflow.Context, cur Proposal, d hitl.Decision) (Proposal, error) {
	patch := strings.TrimSpace(d.Text)
	if patch == "" {
		return cur, fmt.Errorf("agent: an edit of a call needs the changed arguments as a JSON object in the decision's text, for example {\"amount_cents\": 2500}; instructions alone cannot change arguments")
	}
	out, err := durable.Execute[CheckOutput](ctx, ActivityCheck, CheckInput{Tool: cur.Tool, Arguments: string(cur.Arguments), Patch: patch},
		durable.Quick("agent: check the edit of "+cur.Tool))
	if err != nil {
		return cur, err
	}
	next := cur
	next.Arguments, next.Hash = out.Arguments, out.Hash
	next.EditedBy = append(append([]string(nil), cur.EditedBy...), d.Reviewer)
	return next, nil
}

func workflowOptions(name string) workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: name}
}
