package research

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
)

// DemoResult is what [RunDemo] returns: the workflow's [Result], its run ID
// and what following its stream showed.
type DemoResult struct {
	Result
	// RunID is the run of the workflow.
	RunID string
	// Stream is what [Follow] saw while the workflow ran.
	Stream Progress
}

// RunDemo starts [ReportWorkflow] for topic on [TaskQueue] with a fresh
// workflow ID ("research-" and a random suffix), follows its stream with
// [Follow] (calling watch, when not nil, for each event) until it closes,
// and returns its result. A worker registered with [Register] and llm's
// activities must poll TaskQueue. An invalid topic is refused before
// anything is started. A failure to follow the stream is returned after the
// workflow's result, which does not depend on it.
func RunDemo(ctx context.Context, c client.Client, topic string, watch Watch) (DemoResult, error) {
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
	progress, ferr := Follow(ctx, c, run.GetID(), watch)
	out.Stream = progress
	if err := run.Get(ctx, &out.Result); err != nil {
		return out, fmt.Errorf("research: workflow %s: %w", run.GetID(), err)
	}
	return out, ferr
}
