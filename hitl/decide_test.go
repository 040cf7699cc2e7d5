package hitl_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// hitltest.Decide answers like hitl.Decide: typed refusals, a refusal while
// Config.Finish runs, and ErrClosed for a decision due after the workflow
// ended.
func TestHitltestDecideErrors(t *testing.T) {
	env, _ := newEnv(t)
	env.OnActivity(hitltest.ActivityPersist, mock.Anything, mock.Anything).After(time.Hour).Return(nil)
	stale := hitltest.Decide(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2})
	ok := hitltest.Decide(env, 2*time.Minute, hitl.Decision{ID: "ok", Reviewer: "alice", Action: hitl.ActionApprove, Version: 1})
	during := hitltest.Decide(env, 3*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionReject, Version: 1, Comment: "wait"})
	after := hitltest.Decide(env, 3*time.Hour, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(hitl.SignalSubmitEdit, "too late") }, 4*time.Minute)
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Persist: true})

	res := result(t, env)
	_, err := stale.Result()
	require.ErrorIs(t, err, hitl.ErrStaleVersion)
	assert.False(t, stale.Accepted())
	rc, err := ok.Result()
	require.NoError(t, err)
	assert.Equal(t, hitl.Receipt{Seq: 2, Version: 1, Phase: hitl.PhaseApproved, Stage: "review"}, rc)
	_, err = during.Result()
	require.ErrorIs(t, err, hitl.ErrClosed, "refused while Finish persists")
	var de *hitl.DecisionError
	require.ErrorAs(t, err, &de)
	_, err = after.Result()
	require.ErrorIs(t, err, hitl.ErrClosed, "the workflow had ended")
	assert.True(t, hitl.IsRefusal(err))

	late := entry(t, res.Audit, "anonymous", hitl.ActionEdit)
	assert.Contains(t, late.Ignored, hitl.ErrTypeClosed, "a signal during Finish is in the returned trail")
}

func TestEditsNotAcceptedWithoutRevise(t *testing.T) {
	env, _ := newEnv(t)
	edit := hitltest.Decide(env, time.Minute, hitl.Decision{Reviewer: "m", Action: hitl.ActionEdit, Version: 1, Instructions: "x"})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(hitl.SignalSubmitEdit, "y") }, 2*time.Minute)
	ok := hitltest.Decide(env, 3*time.Minute, hitl.Decision{Reviewer: "m", Action: hitl.ActionApprove, Version: 1})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "expense", NoEdits: true})

	res := result(t, env)
	_, err := edit.Result()
	require.ErrorIs(t, err, hitl.ErrEditsNotAccepted)
	assert.False(t, edit.Accepted())
	_, err = ok.Result()
	require.NoError(t, err)
	assert.Contains(t, entry(t, res.Audit, "anonymous", hitl.ActionEdit).Ignored, hitl.ErrTypeEditsNotAccepted)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
}

// runOnce runs one run of in in a fresh test environment with the given
// decisions and returns the carried input when it continued as new, else
// the result.
func runOnce(t *testing.T, in hitltest.Input, send func(*testsuite.TestWorkflowEnvironment)) (next *hitltest.Input, res hitl.Result[string]) {
	t.Helper()
	env, _ := newEnv(t)
	send(env)
	env.ExecuteWorkflow(hitltest.Workflow, in)
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); errors.As(err, &can) {
		var n hitltest.Input
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &n))
		return &n, res
	}
	return nil, result(t, env)
}

// A decision ID applied in one run is answered with its receipt in the
// next, never applied twice; the newest DecisionIDLimit IDs are kept.
func TestDecisionIDsAcrossRuns(t *testing.T) {
	stages := []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}, {Name: "legal", Reviewers: []string{"alice", "bob"}}}
	in := hitltest.Input{Prompt: "x", Stages: stages, MaxDecisionsPerRun: 1, DecisionIDLimit: 2}
	click := hitl.Decision{ID: "click", Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}
	var first *hitltest.Sent
	next, _ := runOnce(t, in, func(e *testsuite.TestWorkflowEnvironment) { first = hitltest.Decide(e, time.Minute, click) })
	require.NotNil(t, next, "the run continued as new")
	rc, err := first.Result()
	require.NoError(t, err)
	require.Len(t, next.State.Decided, 1)
	assert.Equal(t, hitl.Decided{ID: "click", Reviewer: "alice", Action: hitl.ActionApprove, Receipt: rc}, next.State.Decided[0])

	var again *hitltest.Sent
	next.MaxDecisionsPerRun = 2
	next, _ = runOnce(t, *next, func(e *testsuite.TestWorkflowEnvironment) {
		again = hitltest.Decide(e, time.Minute, click)
		e.RegisterDelayedCallback(func() { e.SignalWorkflow(hitl.SignalDecide, click) }, 2*time.Minute)
	})
	require.NotNil(t, next)
	rc2, err := again.Result()
	require.NoError(t, err)
	assert.Equal(t, rc, rc2, "the original receipt")
	assert.Equal(t, "legal", stages[next.State.Stage].Name)
	assert.Empty(t, next.State.Approvals, "not applied again in legal")
	last := next.State.Audit[len(next.State.Audit)-1]
	assert.Contains(t, last.Ignored, hitl.ErrTypeDuplicate, "the repeated signal is recorded")

	// Two more applied IDs push "click" out of the bounded memory.
	next.MaxDecisionsPerRun = 1
	for i := range 2 {
		d := hitl.Decision{ID: fmt.Sprint("rc-", i), Reviewer: "alice", Action: hitl.ActionRequestChanges, Version: 1}
		next, _ = runOnce(t, *next, func(e *testsuite.TestWorkflowEnvironment) { hitltest.Decide(e, time.Minute, d) })
		require.NotNil(t, next)
	}
	ids := []string{next.State.Decided[0].ID, next.State.Decided[1].ID}
	assert.Equal(t, []string{"rc-0", "rc-1"}, ids)
}

// A signal that arrives before version 1 exists is about no version: it is
// recorded as ignored and never applies to the draft made after it.
func TestSignalBeforeTheDraftIsIgnored(t *testing.T) {
	env, _ := newEnv(t)
	env.OnActivity(hitltest.ActivityDraft, mock.Anything, mock.Anything).After(time.Minute).Return("slow draft", nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(hitl.SignalApprove, nil) }, 30*time.Second)
	ok := hitltest.Decide(env, 2*time.Minute, hitl.Decision{Reviewer: "a", Action: hitl.ActionApprove, Version: 1})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x"})

	res := result(t, env)
	_, err := ok.Result()
	require.NoError(t, err)
	early := entry(t, res.Audit, "anonymous", hitl.ActionApprove)
	assert.Contains(t, early.Ignored, "no draft yet")
	assert.Equal(t, "a", res.By, "the approval that saw version 1 approved it")
}
