package hitl

import (
	"context"

	"go.temporal.io/sdk/client"
)

// Submit sends d to the review running as workflowID and returns once the
// workflow has accepted it, without waiting for it to be applied: for an
// edit, before Revise has produced the new version (a reviewer's page can
// then show the revision being written). It runs in client code.
//
// A refused decision returns the same errors as [Decide]. A decision
// accepted here can still fail when applied (a revision that fails, a
// decision checked after others received with it); the audit trail
// ([Status]) records the outcome. Use [Decide] to wait for it. d.ID, when
// set, is the update ID, so a retried Submit or a later Decide with the
// same ID refers to the same decision.
func Submit(ctx context.Context, c client.Client, workflowID string, d Decision) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:     d.ID,
		WorkflowID:   workflowID,
		UpdateName:   UpdateDecide,
		Args:         []any{d},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err != nil {
		return closedOr(ctx, c, workflowID, err)
	}
	// A refused update comes back completed, with the validator's error;
	// its handle answers at once. The handle of an accepted one would
	// poll the server: the cancelled context stops it.
	now, cancel := context.WithCancel(ctx)
	cancel()
	if de := AsDecisionError(h.Get(now, nil)); de != nil {
		return de
	}
	return nil
}
