package hitl_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// newEnv returns a time-skipping test environment with the test workflow
// and fake activities registered.
func newEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *hitltest.Activities) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	a := &hitltest.Activities{}
	hitltest.Register(env, a)
	return env, a
}

// outcome is what the test environment reported for one update.
type outcome struct {
	sent     bool
	accepted bool
	rejected error
	done     bool
	receipt  hitl.Receipt
	err      error
}

// decideAt sends d as an UpdateDecide after delay (workflow time).
func decideAt(env *testsuite.TestWorkflowEnvironment, delay time.Duration, d hitl.Decision) *outcome {
	o := &outcome{}
	env.RegisterDelayedCallback(func() {
		o.sent = true
		env.UpdateWorkflow(hitl.UpdateDecide, d.ID, &testsuite.TestUpdateCallback{
			OnAccept: func() { o.accepted = true },
			OnReject: func(err error) { o.rejected = err },
			OnComplete: func(v any, err error) {
				o.done, o.err = true, err
				if rc, ok := v.(hitl.Receipt); ok {
					o.receipt = rc
				}
			},
		}, d)
	}, delay)
	return o
}

// requireRefused asserts the update was refused by the validator with
// errType: never accepted, so nothing reached history.
func requireRefused(t *testing.T, o *outcome, want error) {
	t.Helper()
	require.True(t, o.sent, "update was never sent")
	require.False(t, o.accepted, "a refused update must not be accepted")
	require.Error(t, o.rejected, "OnReject must be called")
	require.ErrorIs(t, hitl.AsDecisionError(o.rejected), want)
}

// statusAt queries the status after delay and stores it in *st.
func statusAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, delay time.Duration, st *hitl.Status) {
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(hitl.QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(st))
	}, delay)
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) hitl.Result[string] {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res hitl.Result[string]
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func actions(entries []hitl.Entry) []hitl.Action {
	out := make([]hitl.Action, len(entries))
	for i, e := range entries {
		out[i] = e.Action
	}
	return out
}
