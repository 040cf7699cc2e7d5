package hitl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// parityScript is one review's decisions and the error each must return:
// refusals, an approval, a decision while Config.Finish persists, and one
// after the workflow ended.
var parityScript = []struct {
	d    hitl.Decision
	want error // nil: applied
}{
	{hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2}, hitl.ErrStaleVersion},
	{hitl.Decision{Reviewer: "mallory", Action: hitl.ActionApprove, Version: 1}, hitl.ErrUnknownReviewer},
	{hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1}, hitl.ErrEmptyEdit},
	{hitl.Decision{Reviewer: "alice", Action: hitl.ActionReject, Version: 1}, hitl.ErrInvalidDecision},
	{hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}, nil},
	{hitl.Decision{Reviewer: "alice", Action: hitl.ActionReject, Version: 1, Comment: "wait"}, hitl.ErrClosed}, // during Finish
	{hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}, hitl.ErrClosed},                 // after the end
}

var parityInput = hitltest.Input{Prompt: "x", Persist: true, Stages: []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}}}

// hitltest.Decide in the test environment and hitl.Decide on the dev
// server return the same typed errors for the same decisions.
func TestIntegrationHitltestDecideMatchesClient(t *testing.T) {
	last := len(parityScript) - 1

	env, _ := newEnv(t)
	env.OnActivity(hitltest.ActivityPersist, mock.Anything, mock.Anything).After(time.Hour).Return(nil)
	sent := make([]*hitltest.Sent, len(parityScript))
	for i, s := range parityScript {
		at := time.Duration(i+1) * time.Minute
		if i == last {
			at = 2 * time.Hour
		}
		sent[i] = hitltest.Decide(env, at, s.d)
	}
	env.ExecuteWorkflow(hitltest.Workflow, parityInput)
	require.True(t, env.IsWorkflowCompleted())

	c, w, a := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reached, release := a.Hold(hitltest.ActivityPersist)
	defer release()
	opts := openOpts("parity", w.TaskQueue)
	_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, parityInput)
	require.NoError(t, err)
	for i, s := range parityScript {
		if i == last {
			release()
			waitResult(ctx, t, c, opts.ID)
		}
		if s.want == hitl.ErrClosed && i < last {
			<-reached
		}
		_, serverErr := hitl.Decide(ctx, c, opts.ID, s.d)
		_, envErr := sent[i].Result()
		if s.want == nil {
			require.NoError(t, serverErr, "step %d on the server", i)
			require.NoError(t, envErr, "step %d in the test environment", i)
			continue
		}
		require.ErrorIs(t, serverErr, s.want, "step %d on the server", i)
		require.ErrorIs(t, envErr, s.want, "step %d in the test environment", i)
		require.Equal(t, hitl.IsRefusal(serverErr), hitl.IsRefusal(envErr), "step %d", i)
	}
}
