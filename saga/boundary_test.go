package saga_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/saga"
)

// boundaryWorkflow registers one workflow-side compensation that fails when
// asked, then fails itself (after the pivot when asked).
func boundaryWorkflow(ctx workflow.Context, undoFails, pivot bool) (err error) {
	defer func() { err = saga.WorkflowError(err) }()
	s := saga.New(ctx, saga.Options{})
	defer s.CompensateOnError(ctx, &err)
	s.AddFunc("reserve", func(workflow.Context) error {
		if undoFails {
			return errors.New("release refused")
		}
		return nil
	})
	if pivot {
		s.Pivot()
	}
	return temporal.NewNonRetryableApplicationError("charge declined", "Declined", nil)
}

func TestWorkflowErrorCrossesTheBoundary(t *testing.T) {
	tests := []struct {
		name             string
		undoFails, pivot bool
		is               func(error) bool
		want             saga.Outcome
	}{
		{"compensated", false, false, saga.IsCompensated, saga.Outcome{Compensated: true}},
		{"incomplete", true, false, saga.IsIncomplete, saga.Outcome{Failed: []string{"reserve"}}},
		{"after pivot", false, true, saga.IsAfterPivot, saga.Outcome{Pivoted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ts testsuite.WorkflowTestSuite
			env := ts.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(boundaryWorkflow)
			env.ExecuteWorkflow(boundaryWorkflow, tt.undoFails, tt.pivot)
			require.True(t, env.IsWorkflowCompleted())
			err := env.GetWorkflowError()
			require.Error(t, err)
			assert.True(t, tt.is(err), "type of %v", err)
			out, ok := saga.OutcomeOf(err)
			require.True(t, ok)
			assert.Equal(t, tt.want, out)
			var sagaErr *temporal.ApplicationError
			require.ErrorAs(t, err, &sagaErr)
			var cause *temporal.ApplicationError
			require.ErrorAs(t, sagaErr.Unwrap(), &cause, "the original failure stays the cause")
			assert.Equal(t, "Declined", cause.Type())
		})
	}
}

func TestWorkflowErrorLeavesOtherErrors(t *testing.T) {
	plain := errors.New("x")
	assert.Same(t, plain, saga.WorkflowError(plain))
	require.NoError(t, saga.WorkflowError(nil))
}
