package docapproval

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
)

// Step is one scripted reviewer decision for [RunDemo]. It applies to the
// version current when it runs.
type Step struct {
	// Reviewer decides.
	Reviewer string
	// Action is hitl.ActionEdit, ActionApprove, ActionReject or
	// ActionRequestChanges.
	Action hitl.Action
	// Instructions are the edits (for ActionEdit).
	Instructions string
	// Comment is the note of an approval or the reason of a rejection.
	Comment string
}

// DemoResult is what [RunDemo] reports.
type DemoResult struct {
	// WorkflowID is the review's workflow.
	WorkflowID string
	// Phase is how the review stands after the script.
	Phase hitl.Phase
	// Versions is the number of the last version (1 + successful edits).
	Versions int
	// ApprovedPath is the approved record's file; empty unless approved.
	ApprovedPath string
	// Created is false when the record already existed (a re-run).
	Created bool
	// PersistAttempt is the attempt of the persist activity that succeeded.
	PersistAttempt int32
	// Tokens and CostUSD sum the LLM calls of every version; CostKnown is
	// false when some call could not be priced (CostUSD leaves it out).
	Tokens    int64
	CostUSD   float64
	CostKnown bool
	// LLMCalls counts the LLM answers (1 draft + one per edit, and one
	// per generation a reviewer stopped or redirected).
	LLMCalls int
	// AuditEntries counts the review's audit entries.
	AuditEntries int
	// Result is the workflow's result; zero while the review is open.
	Result Result
}

// DemoOption changes how [RunDemo] starts the review.
type DemoOption func(*client.StartWorkflowOptions)

// WithTaskQueue starts the review on queue instead of [TaskQueue].
func WithTaskQueue(queue string) DemoOption {
	return func(o *client.StartWorkflowOptions) { o.TaskQueue = queue }
}

// WithWorkflowID starts the review as id instead of [WorkflowID](doc_id).
func WithWorkflowID(id string) DemoOption {
	return func(o *client.StartWorkflowOptions) { o.ID = id }
}

// RunDemo starts a review of in (or attaches to the one running under the
// same workflow ID), waits for version 1, applies the script through the
// hitl client helpers, each step on the version the previous one left,
// and, when the script closed the review, waits for the workflow's result.
// It runs in client code; a worker must serve the task queue.
//
// A refused step returns the *hitl.DecisionError (hitl.IsRefusal) and the
// result so far.
func RunDemo(ctx context.Context, c client.Client, in Input, script []Step, opts ...DemoOption) (DemoResult, error) {
	if err := in.Validate(); err != nil {
		return DemoResult{}, err
	}
	so := client.StartWorkflowOptions{ID: WorkflowID(in.DocID), TaskQueue: TaskQueue}
	for _, o := range opts {
		o(&so)
	}
	out := DemoResult{WorkflowID: so.ID}
	st, err := hitl.Open(ctx, c, so, WorkflowName, in)
	if err != nil {
		return out, fmt.Errorf("docapproval: open review %s: %w", so.ID, err)
	}
	out.Phase, out.Versions, out.AuditEntries = st.Phase, st.Version, st.AuditCount
	for i, s := range script {
		rc, err := hitl.Decide(ctx, c, so.ID, hitl.Decision{
			Reviewer: s.Reviewer, Action: s.Action, Version: out.Versions,
			Instructions: s.Instructions, Comment: s.Comment,
		})
		if err != nil {
			return out, fmt.Errorf("docapproval: step %d (%s by %s on v%d): %w", i+1, s.Action, s.Reviewer, out.Versions, err)
		}
		out.Phase, out.Versions = rc.Phase, rc.Version
	}
	if !out.Phase.Closed() {
		if st, err := hitl.GetStatus(ctx, c, so.ID); err == nil {
			out.AuditEntries = st.AuditCount
		}
		doc, err := hitl.GetDraft[Document](ctx, c, so.ID)
		if err != nil {
			return out, err
		}
		out.fill(doc, llm.Usage{})
		return out, nil
	}
	var res Result
	// The run ID from Open: the client follows continue-as-new from it
	// without asking the server which run is current.
	if err := c.GetWorkflow(ctx, so.ID, st.RunID).Get(ctx, &res); err != nil {
		return out, fmt.Errorf("docapproval: review %s: %w", so.ID, err)
	}
	out.Result, out.Phase, out.Versions, out.AuditEntries = res, res.Phase, res.Document.Version, res.AuditCount
	out.ApprovedPath, out.Created, out.PersistAttempt = res.Persisted.Path, res.Persisted.Created, res.Persisted.Attempt
	out.fill(res.Document, res.Stopped)
	return out, nil
}

// fill sets the usage figures: doc's, and the revisions stopped after it.
func (r *DemoResult) fill(doc Document, stopped llm.Usage) {
	u := addUsage(doc.Usage, stopped)
	r.Tokens = u.TotalTokens()
	r.CostUSD = u.CostUSD
	r.CostKnown = u.UnknownCostCalls == 0
	r.LLMCalls = u.Calls
}
