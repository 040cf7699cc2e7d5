package llm

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// activityDraft is the name of the test's own activity, steered with
// Steering.Run.
const activityDraft = "test.Draft"

// signalStored lets runFlow's call return after its answer arrived.
const signalStored = "stored"

// partialUsage is what runFlow's workflow-side call reports when cancelled.
var partialUsage = Usage{Calls: 1, PromptTokens: 12, CompletionTokens: 7, CostUSD: 0.001, PricedTokens: 19}

// runIn says how runFlow makes its steerable call.
type runIn struct {
	// WaitForAsk waits for signalAsk before the call.
	WaitForAsk bool
	// WaitToStore makes the call wait for signalStored after the
	// activity's answer, as a call that stores the answer would.
	WaitToStore bool
	// Partial makes the call workflow code that waits until it is
	// cancelled and reports partialUsage, instead of the activity.
	Partial bool
}

// runOut is what runFlow returns.
type runOut struct {
	Text   string
	Steers []SteerRequest
	// Err is the error of the last Run, if any.
	Err      string
	Canceled bool
}

// runFlow makes one steerable call of its own activity with Steering.Run,
// and runs it again with the message after a redirect.
func runFlow(ctx workflow.Context, in runIn) (runOut, error) {
	st, err := NewSteering(ctx)
	if err != nil {
		return runOut{}, err
	}
	if in.WaitForAsk {
		workflow.GetSignalChannel(ctx, signalAsk).Receive(ctx, nil)
	}
	var (
		out       runOut
		redirects []Message
	)
	for n := 0; ; n++ {
		label := "draft"
		if n > 0 {
			label = fmt.Sprintf("draft (redirect %d)", n)
		}
		var text string
		steer, err := st.Run(ctx, label, func(ctx workflow.Context) (Usage, error) {
			if in.Partial {
				ctx.Done().Receive(ctx, nil)
				return partialUsage, ctx.Err()
			}
			ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
				StartToCloseTimeout: time.Minute, HeartbeatTimeout: 10 * time.Second, WaitForCancellation: true,
			})
			var resp Response
			if err := workflow.ExecuteActivity(ctx, activityDraft, Request{Prompt: "draft", Messages: redirects}).Get(ctx, &resp); err != nil {
				return Usage{}, err // the test environment reports a cancellation without details
			}
			text = resp.Text
			if in.WaitToStore {
				dctx, cancel := workflow.NewDisconnectedContext(ctx)
				defer cancel()
				workflow.GetSignalChannel(dctx, signalStored).Receive(dctx, nil)
			}
			var u Usage
			u.Add(resp)
			return u, nil
		})
		out.Err, out.Canceled = "", false
		if err != nil {
			out.Err, out.Canceled = err.Error(), temporal.IsCanceledError(err)
		}
		if steer == nil {
			out.Text = text
			return out, err
		}
		out.Steers = append(out.Steers, *steer)
		if steer.Action == SteerStop {
			out.Text = text
			return out, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
		redirects = append(redirects, User(steer.Message))
	}
}

// runEnv is the test environment of runFlow, with m as its own activity.
func runEnv(t *testing.T, m *fakeModel) *testsuite.TestWorkflowEnvironment {
	env := steerEnv(t, m)
	env.RegisterActivityWithOptions(m.complete, activity.RegisterOptions{Name: activityDraft})
	env.RegisterWorkflow(runFlow)
	return env
}

func querySteering(t *testing.T, env *testsuite.TestWorkflowEnvironment) []string {
	t.Helper()
	v, err := env.QueryWorkflow(QuerySteering)
	require.NoError(t, err)
	var s SteeringStatus
	require.NoError(t, v.Get(&s))
	return s.InFlight
}

// A stop cancels the caller's own activity: Run returns the stop with the
// cancellation, and the update returns once Run did.
func TestRunStop(t *testing.T) {
	m := newFakeModel(t, 1)
	env := runEnv(t, m)
	var (
		o        *updateOutcome
		inFlight []string
	)
	stop := SteerRequest{Action: SteerStop, By: "ana", Reason: "enough"}
	env.RegisterDelayedCallback(func() {
		<-m.started
		inFlight = querySteering(t, env)
		o = steer(env, stop)
	}, time.Second)
	env.ExecuteWorkflow(runFlow, runIn{})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, o.err)
	assert.True(t, o.accepted)
	assert.Equal(t, SteerResult{Interrupted: 1}, o.result, "cancelled before it reported: nothing known billed")
	assert.Equal(t, []string{"draft"}, inFlight)
	var out runOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, []SteerRequest{stop}, out.Steers)
	assert.True(t, out.Canceled, "Run returns the call's error: %s", out.Err)
	assert.Empty(t, out.Text)
	assert.Len(t, m.requests(), 1)
}

// A redirect cancels the call; the caller runs it again with the message,
// under its own label.
func TestRunRedirect(t *testing.T) {
	m := newFakeModel(t, 1)
	env := runEnv(t, m)
	var o *updateOutcome
	redirect := SteerRequest{Action: SteerRedirect, By: "ana", Message: "shorter"}
	env.RegisterDelayedCallback(func() {
		<-m.started
		o = steer(env, redirect)
	}, time.Second)
	env.ExecuteWorkflow(runFlow, runIn{})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, o.err)
	assert.Equal(t, SteerResult{Interrupted: 1}, o.result)
	var out runOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, []SteerRequest{redirect}, out.Steers)
	assert.Equal(t, "answer 2", out.Text)
	assert.Empty(t, out.Err, "the second call answered")
	reqs := m.requests()
	require.Len(t, reqs, 2)
	assert.Empty(t, reqs[0].Messages)
	assert.Equal(t, []Message{User("shorter")}, reqs[1].Messages)
}

// A steer that reaches the call after its answer arrived (the call was
// still storing it) finds it Finished: Run returns the steer with a nil
// error, and the caller keeps the whole answer. A second steer while the
// first waits is refused: the call is already being steered.
func TestRunSteerAfterTheAnswer(t *testing.T) {
	m := newFakeModel(t, 0)
	env := runEnv(t, m)
	var (
		o, again *updateOutcome
		inFlight []string
	)
	stop := SteerRequest{Action: SteerStop, By: "ana"}
	env.RegisterDelayedCallback(func() {
		inFlight = querySteering(t, env)
		o = steer(env, stop)
		again = steer(env, SteerRequest{Action: SteerStop, By: "bo"})
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(signalStored, nil)
	}, 2*time.Second)
	env.ExecuteWorkflow(runFlow, runIn{WaitToStore: true})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []string{"draft"}, inFlight, "in flight until the call returns")
	require.NoError(t, o.err)
	assert.Equal(t, SteerResult{Finished: 1}, o.result)
	assert.False(t, again.accepted)
	assert.True(t, IsNotSteerable(again.err), "%v", again.err)
	var out runOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, []SteerRequest{stop}, out.Steers)
	assert.Empty(t, out.Err)
	assert.Equal(t, "answer 1", out.Text)
}

// A steer with no call in flight, before the call or after it returned,
// is refused by the validator; the query lists nothing.
func TestRunRefusedWithoutCallInFlight(t *testing.T) {
	m := newFakeModel(t, 0)
	env := runEnv(t, m)
	var (
		before, bad *updateOutcome
		idle        []string
	)
	env.RegisterDelayedCallback(func() {
		before = steer(env, SteerRequest{Action: SteerStop, By: "ana"})
		bad = steer(env, SteerRequest{Action: SteerRedirect, By: "ana"})
		idle = querySteering(t, env)
		env.SignalWorkflow(signalAsk, nil)
	}, time.Second)
	env.ExecuteWorkflow(runFlow, runIn{WaitForAsk: true})
	require.NoError(t, env.GetWorkflowError())
	assert.Empty(t, idle)
	assert.False(t, before.accepted)
	assert.True(t, IsNotSteerable(before.err), "%v", before.err)
	assert.False(t, bad.accepted)
	assert.True(t, IsInvalidSteer(bad.err), "%v", bad.err)
	var out runOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Empty(t, out.Steers)
	assert.Equal(t, "answer 1", out.Text)
	assert.Empty(t, querySteering(t, env), "nothing in flight once the call returned")
}

// The usage a call reports with its cancellation is what the steer's
// result says the interrupted call was billed.
func TestRunPartialUsage(t *testing.T) {
	m := newFakeModel(t, 0)
	env := runEnv(t, m)
	var o *updateOutcome
	env.RegisterDelayedCallback(func() {
		o = steer(env, SteerRequest{Action: SteerStop, By: "ana"})
	}, time.Second)
	env.ExecuteWorkflow(runFlow, runIn{Partial: true})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, o.err)
	assert.Equal(t, SteerResult{Interrupted: 1, Usage: partialUsage}, o.result)
	var out runOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.True(t, out.Canceled, out.Err)
	assert.Empty(t, m.requests(), "no activity ran")
}

// A nil Steering runs the call unsteered.
func TestRunNilSteering(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.ExecuteWorkflow(func(ctx workflow.Context) (string, error) {
		var st *Steering
		ran := false
		s, err := st.Run(ctx, "draft", func(workflow.Context) (Usage, error) {
			ran = true
			return Usage{}, nil
		})
		if s != nil || !ran {
			return "", fmt.Errorf("steer %v, ran %v", s, ran)
		}
		return "ran", err
	})
	require.NoError(t, env.GetWorkflowError())
	var got string
	require.NoError(t, env.GetWorkflowResult(&got))
	assert.Equal(t, "ran", got)
}

// A steer that names a call reaches only that call and its redirects: one
// meant for a call that has ended is refused instead of stopping the next.
func TestRunSteerNamesItsCall(t *testing.T) {
	m := newFakeModel(t, 2)
	env := runEnv(t, m)
	var other, first, second *updateOutcome
	redirect := SteerRequest{Action: SteerRedirect, By: "ana", Message: "shorter", Call: "draft"}
	stop := SteerRequest{Action: SteerStop, By: "ana", Call: "draft"}
	env.RegisterDelayedCallback(func() {
		<-m.started
		other = steer(env, SteerRequest{Action: SteerStop, By: "ana", Call: "revise v2"})
		first = steer(env, redirect)
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		<-m.started
		second = steer(env, stop) // reaches "draft (redirect 1)"
	}, 3*time.Second)
	env.ExecuteWorkflow(runFlow, runIn{})
	require.NoError(t, env.GetWorkflowError())
	assert.False(t, other.accepted, "a steer for another call is refused")
	assert.True(t, IsNotSteerable(other.err), "%v", other.err)
	assert.Contains(t, other.err.Error(), `call "revise v2" is not generating`)
	require.NoError(t, first.err)
	require.NoError(t, second.err)
	assert.Equal(t, SteerResult{Interrupted: 1}, second.result, "the redirect of the named call is the named call")
	var out runOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, []SteerRequest{redirect, stop}, out.Steers)
}

func TestSteerReaches(t *testing.T) {
	for label, want := range map[string]bool{
		"revise v2": true, "revise v2 (redirect 3)": true,
		"revise v20": false, "revise v2x": false, "draft v1": false,
	} {
		assert.Equal(t, want, SteerRequest{Call: "revise v2"}.reaches(label), label)
	}
	assert.True(t, SteerRequest{}.reaches("anything"), "no Call reaches every call")
}
