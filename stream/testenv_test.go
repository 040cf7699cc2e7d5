package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/stream"
)

// publishInTestEnv is an activity that tries to publish.
func publishInTestEnv(ctx context.Context) (string, error) {
	p, err := stream.NewPublisher(ctx, stream.PublisherOptions{Topic: "t"})
	if err != nil {
		return err.Error(), nil
	}
	p.Delta("hello")
	return "published", p.Close(ctx, nil)
}

func publishingWorkflow(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, publishInTestEnv).Get(ctx, &out)
	return out, err
}

// In the SDK's test environment the activity's client is a mock that would
// end the test process on a signal: NewPublisher refuses instead.
func TestNewPublisherRefusesTheTestEnvironment(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(publishingWorkflow)
	env.RegisterActivity(publishInTestEnv)
	env.ExecuteWorkflow(publishingWorkflow)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out string
	require.NoError(t, env.GetWorkflowResult(&out))
	require.Equal(t, stream.ErrTestEnvironment.Error(), out)
}
