package llm

import (
	"context"

	"go.temporal.io/sdk/client"
)

// Stop stops the steerable calls generating in workflowID's latest run
// (see [Steering]): each returns what it had written, marked
// [Response.Stopped]. by names who stops, reason says why (optional); both
// are recorded in [Response.Steers]. It returns once the calls have
// stopped and recorded their partial answers.
//
// It returns an [ErrTypeInvalidSteer] error, before sending anything, when
// by is empty; an [ErrTypeNotSteerable] error when no steerable call is
// generating; and the client's error when the workflow is not found or
// has no [Steering]. Client code: it must not run in a workflow.
func Stop(ctx context.Context, c client.Client, workflowID, by, reason string) error {
	_, err := Steer(ctx, c, workflowID, SteerRequest{Action: SteerStop, By: by, Reason: reason})
	return err
}

// Redirect stops the steerable calls generating in workflowID's latest run
// and has each ask again with what it had written as an assistant message
// and message as a user message appended to its conversation (see
// [Steering]). by names who redirects. It returns once the interrupted
// calls have recorded their partial answers; the new calls go on.
//
// Its errors are those of [Stop]; an empty message is an
// [ErrTypeInvalidSteer] error. Client code: it must not run in a workflow.
func Redirect(ctx context.Context, c client.Client, workflowID, by, message string) error {
	_, err := Steer(ctx, c, workflowID, SteerRequest{Action: SteerRedirect, By: by, Message: message})
	return err
}

// Steer sends s as the [UpdateSteer] update to workflowID's latest run and
// waits for its [SteerResult]. A request that fails [SteerRequest.Validate]
// is refused without being sent. Client code: it must not run in a
// workflow.
func Steer(ctx context.Context, c client.Client, workflowID string, s SteerRequest) (SteerResult, error) {
	if err := s.Validate(); err != nil {
		return SteerResult{}, err
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   UpdateSteer,
		Args:         []any{s},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return SteerResult{}, err
	}
	var r SteerResult
	if err := h.Get(ctx, &r); err != nil {
		return SteerResult{}, err
	}
	return r, nil
}
