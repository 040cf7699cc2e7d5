package research

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
)

// DemoResult is what [RunDemo] returns: the workflow's [Result] and its run ID.
type DemoResult struct {
	Result
	// RunID is the run of the workflow.
	RunID string
}

// RunDemo starts [ReportWorkflow] for topic on [TaskQueue] with a fresh
// workflow ID ("research-" and a random suffix), waits for it and returns its
// result. A worker registered with [Register] and llm's activities must poll
// TaskQueue. An invalid topic is refused before anything is started.
func RunDemo(ctx context.Context, c client.Client, topic string) (DemoResult, error) {
	if err := ValidateTopic(topic); err != nil {
		return DemoResult{}, err
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        "research-" + uuid.NewString()[:8],
		TaskQueue: TaskQueue,
	}, ReportWorkflow, Input{Topic: topic})
	if err != nil {
		return DemoResult{}, fmt.Errorf("research: start the workflow: %w", err)
	}
	out := DemoResult{RunID: run.GetRunID()}
	if err := run.Get(ctx, &out.Result); err != nil {
		return out, fmt.Errorf("research: workflow %s: %w", run.GetID(), err)
	}
	return out, nil
}
