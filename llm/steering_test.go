package llm

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/stream"
)

// steerOut is what steerFlow returns.
type steerOut struct {
	Resp      Response
	Budget    Budget
	Cancelled bool // the workflow was cancelled during the call
}

// signalAsk is the signal that makes steerFlow start its call.
const signalAsk = "ask"

// steerFlow hosts a stream and steering, optionally waits for signalAsk,
// then makes one steerable call charged to a budget. When the workflow is
// cancelled it still returns what the call recorded.
func steerFlow(ctx workflow.Context, req Request, waitForAsk bool) (steerOut, error) {
	s, err := stream.New(ctx, stream.Options{})
	if err != nil {
		return steerOut{}, err
	}
	st, err := NewSteering(ctx)
	if err != nil {
		return steerOut{}, err
	}
	if waitForAsk {
		workflow.GetSignalChannel(ctx, signalAsk).Receive(ctx, nil)
	}
	b := Budget{}
	resp, err := Complete(ctx, req, WithSteering(st), WithBudget(&b))
	out := steerOut{Resp: resp, Budget: b}
	if temporal.IsCanceledError(err) && ctx.Err() != nil {
		out.Cancelled, err = true, nil
	}
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	if derr := s.Drain(dctx); derr != nil {
		return out, derr
	}
	return out, err
}

// steerJSONFlow asks for a plan, steerably.
func steerJSONFlow(ctx workflow.Context, req Request) (Response, error) {
	st, err := NewSteering(ctx)
	if err != nil {
		return Response{}, err
	}
	_, resp, err := CompleteJSON[plan](ctx, req, WithSteering(st))
	if aerr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); aerr != nil {
		return resp, aerr
	}
	return resp, err
}

// fakeModel is a completion activity for the test environment: the first
// len(block) calls wait until they are cancelled, the others answer
// "answer <n>". It records the requests.
type fakeModel struct {
	mu      sync.Mutex
	reqs    []Request
	block   int
	started chan struct{}
	release chan struct{}
}

func newFakeModel(t *testing.T, block int) *fakeModel {
	m := &fakeModel{block: block, started: make(chan struct{}, 10), release: make(chan struct{})}
	t.Cleanup(func() { close(m.release) })
	return m
}

func (m *fakeModel) complete(ctx context.Context, req Request) (Response, error) {
	m.mu.Lock()
	m.reqs = append(m.reqs, req)
	n := len(m.reqs)
	m.mu.Unlock()
	if n <= m.block {
		m.started <- struct{}{}
		select { // the test environment resolves a cancelled activity without waiting for it
		case <-ctx.Done():
		case <-m.release:
		}
		return Response{}, ctx.Err()
	}
	return Response{Text: fmt.Sprintf("answer %d", n), FinishReason: "stop", PromptTokens: 10, CompletionTokens: 2, CostKnown: true}, nil
}

func (m *fakeModel) requests() []Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Request(nil), m.reqs...)
}

func steerEnv(t *testing.T, m *fakeModel) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(m.complete, activity.RegisterOptions{Name: ActivityComplete})
	env.RegisterWorkflow(steerFlow)
	env.RegisterWorkflow(steerJSONFlow)
	return env
}

// updateOutcome is what the test environment reported for an update; its
// callbacks run when the workflow handles the update, after UpdateWorkflow
// returned.
type updateOutcome struct {
	result   SteerResult
	err      error
	accepted bool
}

// steer sends s as the update; read the outcome once the workflow ran.
func steer(env *testsuite.TestWorkflowEnvironment, s SteerRequest) *updateOutcome {
	o := &updateOutcome{}
	env.UpdateWorkflow(UpdateSteer, "", &testsuite.TestUpdateCallback{
		OnReject: func(err error) { o.err = err },
		OnAccept: func() { o.accepted = true },
		OnComplete: func(v any, err error) {
			if err != nil {
				o.err = err
				return
			}
			if r, ok := v.(SteerResult); ok {
				o.result = r
			}
		},
	}, s)
	return o
}

func TestSteerRequestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    SteerRequest
		ok   bool
	}{
		{"stop", SteerRequest{Action: SteerStop, By: "ana", Reason: "off topic"}, true},
		{"redirect", SteerRequest{Action: SteerRedirect, By: "ana", Message: "focus on costs"}, true},
		{"redirect without message", SteerRequest{Action: SteerRedirect, By: "ana", Message: "  "}, false},
		{"stop with message", SteerRequest{Action: SteerStop, By: "ana", Message: "hm"}, false},
		{"unknown action", SteerRequest{Action: "pause", By: "ana"}, false},
		{"nobody", SteerRequest{Action: SteerStop}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate()
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			assert.True(t, IsInvalidSteer(err), "%v", err)
			_, top := err.(*temporal.ApplicationError)
			assert.True(t, top, "an ApplicationError, returned unwrapped")
		})
	}
}

// TestSteerRefusedWithoutCallInFlight: before the call starts, the
// validator refuses a steer with ErrTypeNotSteerable, and a bad steer with
// ErrTypeInvalidSteer; the query lists no call.
func TestSteerRefusedWithoutCallInFlight(t *testing.T) {
	m := newFakeModel(t, 0)
	env := steerEnv(t, m)
	var (
		idle              SteeringStatus
		early, badRequest *updateOutcome
	)
	env.RegisterDelayedCallback(func() {
		early = steer(env, SteerRequest{Action: SteerStop, By: "ana"})
		badRequest = steer(env, SteerRequest{Action: SteerRedirect, By: "ana"})
		v, err := env.QueryWorkflow(QuerySteering)
		require.NoError(t, err)
		require.NoError(t, v.Get(&idle))
		env.SignalWorkflow(signalAsk, nil)
	}, time.Second)
	env.ExecuteWorkflow(steerFlow, Request{Prompt: "hi", Summary: "greeting"}, true)
	require.NoError(t, env.GetWorkflowError())
	var out steerOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, "answer 1", out.Resp.Text)
	assert.Empty(t, out.Resp.Steers)
	assert.Empty(t, idle.InFlight)
	assert.False(t, early.accepted)
	assert.True(t, IsNotSteerable(early.err), "%v", early.err)
	assert.False(t, badRequest.accepted)
	assert.True(t, IsInvalidSteer(badRequest.err), "%v", badRequest.err)
}

// TestSteerStopWithoutPartial: a stop cancels the activity; the test
// environment reports the cancellation without details (as the server does
// for an activity cancelled before it ran), so the call returns an empty
// stopped answer, nothing charged.
func TestSteerStopWithoutPartial(t *testing.T) {
	m := newFakeModel(t, 1)
	env := steerEnv(t, m)
	var (
		o      *updateOutcome
		status SteeringStatus
	)
	env.RegisterDelayedCallback(func() {
		<-m.started
		v, qerr := env.QueryWorkflow(QuerySteering)
		require.NoError(t, qerr)
		require.NoError(t, v.Get(&status))
		o = steer(env, SteerRequest{Action: SteerStop, By: "ana", Reason: "wrong topic"})
	}, time.Second)
	env.ExecuteWorkflow(steerFlow, Request{Prompt: "hi", Summary: "greeting"}, false)
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, o.err)
	assert.Equal(t, SteerResult{Interrupted: 1}, o.result)
	assert.Equal(t, []string{"llm: greeting"}, status.InFlight)
	var out steerOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.True(t, out.Resp.Stopped)
	assert.Equal(t, FinishReasonStopped, out.Resp.FinishReason)
	require.Len(t, out.Resp.Steers, 1)
	assert.Equal(t, SteerRequest{Action: SteerStop, By: "ana", Reason: "wrong topic"}, out.Resp.Steers[0].SteerRequest)
	assert.Zero(t, out.Budget.Used.Calls, "an activity cancelled without a report bought nothing known")
	assert.Len(t, m.requests(), 1)
}

// TestSteerRedirectAsksAgainWithTheMessage: a redirect cancels the call
// and asks again with the person's message appended; the second call's
// summary says so.
func TestSteerRedirectAsksAgainWithTheMessage(t *testing.T) {
	m := newFakeModel(t, 1)
	env := steerEnv(t, m)
	var o *updateOutcome
	env.RegisterDelayedCallback(func() {
		<-m.started
		o = steer(env, SteerRequest{Action: SteerRedirect, By: "ana", Message: "focus on costs"})
	}, time.Second)
	env.ExecuteWorkflow(steerFlow, Request{System: "be brief", Messages: []Message{User("context")}, Prompt: "write the memo", Summary: "memo"}, false)
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, o.err)
	assert.Equal(t, SteerResult{Interrupted: 1}, o.result)
	var out steerOut
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, "answer 2", out.Resp.Text)
	assert.False(t, out.Resp.Stopped)
	require.Len(t, out.Resp.Steers, 1)
	assert.Equal(t, SteerRedirect, out.Resp.Steers[0].Action)
	assert.Equal(t, []Message{User("focus on costs")}, out.Resp.SteerMessages(), "nothing was written before the redirect")

	reqs := m.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "be brief", reqs[1].System)
	assert.Equal(t, []Message{User("context"), User("write the memo"), User("focus on costs")}, reqs[1].Messages)
	assert.Empty(t, reqs[1].Prompt)
	assert.Equal(t, "llm: memo (redirect 1)", reqs[1].Summary)
	assert.Equal(t, 1, out.Resp.Total.Calls, "the cancelled activity reported nothing; the answer is the one call paid")
	assert.Equal(t, 1, out.Budget.Used.Calls)
}

// TestSteeredTotal: the Total of a steered call counts every generation.
func TestSteeredTotal(t *testing.T) {
	assert.Equal(t, Usage{}, steeredTotal(nil, Usage{}, Response{PromptTokens: 1}, true), "not steered: no total")
	var before Usage
	before.Add(Response{PromptTokens: 5, CompletionTokens: 3, CostUSD: 1, CostKnown: true})
	got := steeredTotal([]Steered{{}}, before, Response{PromptTokens: 1, CompletionTokens: 1, CostUSD: 0.5, CostKnown: true}, true)
	assert.Equal(t, 2, got.Calls)
	assert.Equal(t, int64(10), got.TotalTokens())
	assert.InDelta(t, 1.5, got.CostUSD, 1e-12)
}

// TestCompleteJSONStopped: CompleteJSON has no complete answer to decode
// after a stop: it fails with ErrTypeStopped, the partial answer in the
// error's details.
func TestCompleteJSONStopped(t *testing.T) {
	m := newFakeModel(t, 1)
	env := steerEnv(t, m)
	var o *updateOutcome
	env.RegisterDelayedCallback(func() {
		<-m.started
		o = steer(env, SteerRequest{Action: SteerStop, By: "ana", Reason: "enough"})
	}, time.Second)
	env.ExecuteWorkflow(steerJSONFlow, Request{Prompt: "plan"})
	require.NoError(t, o.err)
	assert.True(t, o.accepted)
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, IsStopped(err), "%v", err)
	d, ok := Details(err)
	require.True(t, ok)
	require.NotNil(t, d.Response)
	assert.True(t, d.Response.Stopped)
	assert.NotErrorIs(t, err, ErrBudgetExceeded)
}
