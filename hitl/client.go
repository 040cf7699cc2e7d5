package hitl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Decide sends d to the review running as workflowID (its latest run) and
// waits until the workflow has applied it; for an edit, until Revise has
// produced the new version. It runs in client code.
//
// A refused decision returns a [*DecisionError] matching [ErrStaleVersion],
// [ErrUnauthorized], [ErrUnknownReviewer], [ErrClosed], [ErrEmptyEdit],
// [ErrDuplicate], [ErrInvalidDecision], [ErrEditsNotAccepted] or
// [ErrConflict] with errors.Is (see [IsRefusal]); nothing was written to
// the workflow's history, except for a decision that arrived with others
// in one workflow task, which is checked after them and recorded in the
// audit trail as ignored. A failed revision matches [ErrReviseFailed]; an
// unknown workflow [ErrNotFound].
//
// d.ID, when set, is the update ID, and the review remembers it across
// continue-as-new: sending the same decision again (a retried HTTP
// request) applies it once and answers with the original receipt.
func Decide(ctx context.Context, c client.Client, workflowID string, d Decision) (Receipt, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:     d.ID,
		WorkflowID:   workflowID,
		UpdateName:   UpdateDecide,
		Args:         []any{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return Receipt{}, closedOr(ctx, c, workflowID, err)
	}
	var rc Receipt
	if err := h.Get(ctx, &rc); err != nil {
		return Receipt{}, closedOr(ctx, c, workflowID, err)
	}
	return rc, nil
}

// closedOr maps err, telling a finished review ([ErrClosed]) from a missing
// one ([ErrNotFound]): the server answers NotFound for both.
func closedOr(ctx context.Context, c client.Client, workflowID string, err error) error {
	err = clientError(workflowID, err)
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	d, derr := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if derr != nil || d.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return err
	}
	return &DecisionError{
		Type:    ErrTypeClosed,
		Message: fmt.Sprintf("hitl: the review %q has ended (%s) and takes no more decisions", workflowID, d.GetWorkflowExecutionInfo().GetStatus()),
		Err:     err,
	}
}

// Approve approves version on behalf of reviewer. See [Decide].
func Approve(ctx context.Context, c client.Client, workflowID, reviewer string, version int, comment string) (Receipt, error) {
	return Decide(ctx, c, workflowID, Decision{Reviewer: reviewer, Action: ActionApprove, Version: version, Comment: comment})
}

// Edit asks for a new version of version with instructions, and returns
// once it exists (Receipt.Version). See [Decide].
func Edit(ctx context.Context, c client.Client, workflowID, reviewer string, version int, instructions string) (Receipt, error) {
	return Decide(ctx, c, workflowID, Decision{Reviewer: reviewer, Action: ActionEdit, Version: version, Instructions: instructions})
}

// Reject rejects version with reason and ends the review. See [Decide].
func Reject(ctx context.Context, c client.Client, workflowID, reviewer string, version int, reason string) (Receipt, error) {
	return Decide(ctx, c, workflowID, Decision{Reviewer: reviewer, Action: ActionReject, Version: version, Comment: reason})
}

// RequestChanges sends version back to the first stage with comment. See [Decide].
func RequestChanges(ctx context.Context, c client.Client, workflowID, reviewer string, version int, comment string) (Receipt, error) {
	return Decide(ctx, c, workflowID, Decision{Reviewer: reviewer, Action: ActionRequestChanges, Version: version, Comment: comment})
}

// GetStatus queries the [Status] of the review running (or finished) as
// workflowID. It needs a worker polling the workflow's task queue.
func GetStatus(ctx context.Context, c client.Client, workflowID string) (Status, error) {
	var st Status
	v, err := c.QueryWorkflow(ctx, workflowID, "", QueryStatus)
	if err != nil {
		return st, clientError(workflowID, err)
	}
	if err := v.Get(&st); err != nil {
		return st, clientError(workflowID, err)
	}
	return st, nil
}

// GetDraft queries the current draft of the review in full.
func GetDraft[T any](ctx context.Context, c client.Client, workflowID string) (T, error) {
	var out T
	v, err := c.QueryWorkflow(ctx, workflowID, "", QueryDraft)
	if err != nil {
		return out, clientError(workflowID, err)
	}
	if err := v.Get(&out); err != nil {
		return out, clientError(workflowID, err)
	}
	return out, nil
}

// Open starts the review workflow (workflow with args, under opts), or
// attaches to the one already running with opts.ID, and returns its
// [Status] once version 1 exists. It uses update-with-start; when
// opts.WorkflowIDConflictPolicy is unset it becomes USE_EXISTING, so
// calling Open twice opens one review.
//
// When opts sets no search attributes, the start request carries
// HITLStatus "drafting", so the review records fewer search-attribute
// upserts ([RecordingQuiet]; a caller that sets its own attributes gets
// the same by adding StatusAttribute.ValueSet("drafting") to them). A
// review whose Config leaves HITLStatus out (SearchAttributes,
// DisableSearchAttributes) removes it in its first workflow task. On a
// namespace without HITLStatus, Open starts the review without it.
//
// When the review cannot start because the namespace lacks the
// [SearchAttributes] it upserts (its workflow task failed with cause
// BadSearchAttributes), Open returns a [*SearchAttributesError] (errors.Is
// [ErrSearchAttributes]) naming each one and how to register it.
func Open(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, workflow any, args ...any) (Status, error) {
	if opts.WorkflowIDConflictPolicy == enums.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED {
		opts.WorkflowIDConflictPolicy = enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	}
	marked := opts
	mark := opts.TypedSearchAttributes.Size() == 0 && len(opts.SearchAttributes) == 0 //nolint:staticcheck // a caller may still set the deprecated map: Open then leaves the attributes alone
	if mark {
		marked.TypedSearchAttributes = temporal.NewSearchAttributes(StatusAttribute.ValueSet(string(PhaseDrafting)))
	}
	st, err := open(ctx, c, marked, workflow, args...)
	if err != nil && mark && unknownAttribute(err) {
		st, err = open(ctx, c, opts, workflow, args...) // the namespace lacks HITLStatus: the workflow reports it
	}
	if err != nil {
		return Status{}, openError(ctx, c, opts.ID, err)
	}
	return st, nil
}

// open is one update-with-start of Open.
func open(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, workflow any, args ...any) (Status, error) {
	op := c.NewWithStartWorkflowOperation(opts, workflow, args...)
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   UpdateAttach,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return Status{}, err
	}
	var st Status
	err = h.Get(ctx, &st)
	return st, err
}

// unknownAttribute reports whether the server refused a start request
// for a search attribute the namespace does not define.
func unknownAttribute(err error) bool {
	var inv *serviceerror.InvalidArgument
	return errors.As(err, &inv) && strings.Contains(inv.Error(), StatusAttribute.GetName())
}

// openError explains a review that failed to open: missing search
// attributes fail its first workflow task, which the SDK reports only as
// an unexpected workflow task failure.
func openError(ctx context.Context, c client.Client, workflowID string, err error) error {
	if AsDecisionError(err) == nil && ctx.Err() == nil && failedOnSearchAttributes(ctx, c, workflowID) {
		var sa *SearchAttributesError
		if cerr := CheckSearchAttributes(ctx, c); errors.As(cerr, &sa) {
			sa.Err = err
			return sa
		}
	}
	return clientError(workflowID, err)
}

// failedOnSearchAttributes reports whether a workflow task of the review
// failed because it upserted search attributes the server refused.
func failedOnSearchAttributes(ctx context.Context, c client.Client, workflowID string) bool {
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return false
		}
		if ev.GetWorkflowTaskFailedEventAttributes().GetCause() == enums.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES {
			return true
		}
	}
	return false
}
