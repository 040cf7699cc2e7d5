package ordersaga

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/saga"
)

// DemoResult is what [RunDemo] prints: how the order ended and what the
// store holds for it.
type DemoResult struct {
	WorkflowID string
	RunID      string
	// Outcome is OutcomeCompleted, OutcomeCompensated, OutcomeIncomplete or
	// OutcomeRejected.
	Outcome string
	// Ledger summarizes the saga's ledger, one "step: outcome" per step.
	Ledger string
	// Charges and Refunds count the order's payments in the store: a
	// compensated order that got as far as the charge shows 1 and 1.
	Charges int
	Refunds int
	// Tracking is the shipment's tracking number, when shipped.
	Tracking string
	// Error is the failure that ended the order, when it did not complete.
	Error string
}

// RunDemo starts [OrderWorkflow] for order on [TaskQueue] (workflow ID
// "ordersaga-<order ID>"), waits for it and reports how it ended. A worker
// must be polling TaskQueue. Business outcomes (completed, compensated,
// rejected) are results; the error is for anything else (no server, a
// timeout of ctx, an unexpected failure).
func RunDemo(ctx context.Context, c client.Client, order Order) (DemoResult, error) {
	return runOrder(ctx, c, TaskQueue, order)
}

func runOrder(ctx context.Context, c client.Client, taskQueue string, order Order) (DemoResult, error) {
	id := "ordersaga-" + order.ID
	if order.ID == "" {
		id = "ordersaga-without-id"
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, WorkflowName, order)
	if err != nil {
		return DemoResult{}, fmt.Errorf("ordersaga: start order %q: %w", order.ID, err)
	}
	res := DemoResult{WorkflowID: run.GetID(), RunID: run.GetRunID()}
	var st Status
	err = run.Get(ctx, &st)
	switch {
	case err == nil:
	case IsInvalidOrder(err):
		res.Outcome, res.Error = OutcomeRejected, err.Error()
		return res, nil
	case IsCompensated(err), IsCompensationIncomplete(err):
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || !ae.HasDetails() || ae.Details(&st) != nil {
			return res, fmt.Errorf("ordersaga: order %q failed without its status: %w", order.ID, err)
		}
	default:
		return res, fmt.Errorf("ordersaga: order %q: %w", order.ID, err)
	}
	res.Outcome, res.Error = st.Outcome, st.Error
	res.Ledger = SummarizeLedger(st.Ledger)
	if st.Audit != nil {
		res.Charges, res.Refunds, res.Tracking = st.Audit.Charges, st.Audit.Refunds, st.Audit.Tracking
	}
	return res, nil
}

// SummarizeLedger renders a ledger's entries on one line, each step with its
// outcome and its undo's, for example
// "reserve succeeded (undo succeeded); charge failed (undo succeeded)".
// "undo kept" means the saga passed its pivot and keeps the step's work.
func SummarizeLedger(l saga.Ledger) string {
	var b strings.Builder
	for i, e := range l.Entries {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s", e.Name, e.Step)
		if e.CompensationStatus != "" {
			fmt.Fprintf(&b, " (undo %s)", e.CompensationStatus)
		}
	}
	return b.String()
}
