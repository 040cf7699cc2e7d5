package llm

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm/llmtest"
	"github.com/durable-llm/durable-llm/stream"
)

// The steered generation: six pieces, one per word, held before the last
// one, so a steer always finds the first five generated and billed.
const (
	essay        = "alpha beta gamma delta epsilon zeta"
	essayPartial = "alpha beta gamma delta epsilon "
	essayTokens  = 5 // billed for the partial
)

// steerWorker starts a worker for steerFlow on s with every model on api,
// heartbeating every DefaultHeartbeatInterval (as in production), with
// the worker options that deliver a cancellation within that interval.
func steerWorker(t *testing.T, srv *durable.DevServer, s *llmtest.Server, api API, store idem.Store) (*Activities, *durabletest.Worker) {
	cfg := apiConfig(s, api)
	cfg.HeartbeatInterval = DefaultHeartbeatInterval
	cfg.Store = store
	a := newActivities(t, cfg)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		a.Register(r)
		r.RegisterWorkflow(steerFlow)
	}, a.WorkerOptions(worker.Options{}))
	return a, w
}

// follower reads a run's stream in the background.
type follower struct {
	mu   sync.Mutex
	tr   stream.Transcript
	err  error
	done chan struct{}
}

func follow(ctx context.Context, c client.Client, workflowID string) *follower {
	f := &follower{done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for ev, err := range stream.Subscribe(ctx, c, workflowID, 0) {
			f.mu.Lock()
			if err != nil {
				f.err = err
			} else {
				f.tr.Apply(ev)
			}
			f.mu.Unlock()
		}
	}()
	return f
}

// latest returns the topic's latest answer as the stream shows it.
func (f *follower) latest(topic string) stream.Answer {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, _ := f.tr.Latest(topic)
	return a
}

// final waits for the subscription to end (the run closed).
func (f *follower) final(t *testing.T, topic string) stream.Answer {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(time.Minute):
		t.Fatal("the subscription did not end with the run")
	}
	require.NoError(t, f.err)
	return f.latest(topic)
}

// waitHeld waits until the provider's only generation is paused at its hold.
func waitHeld(t *testing.T, s *llmtest.Server) {
	t.Helper()
	require.Eventually(t, func() bool {
		calls := s.Calls()
		return len(calls) == 1 && calls[0].Held
	}, time.Minute, 10*time.Millisecond, "the generation reaches its hold")
}

// historyOrder returns the run's activity events, steer updates and
// completion, in order.
func historyOrder(t *testing.T, c client.Client, run client.WorkflowRun) []enums.EventType {
	t.Helper()
	keep := map[enums.EventType]bool{
		enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:             true,
		enums.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:      true,
		enums.EVENT_TYPE_ACTIVITY_TASK_CANCELED:              true,
		enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:             true,
		enums.EVENT_TYPE_ACTIVITY_TASK_FAILED:                true,
		enums.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:             true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:  true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: true,
		enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:        true,
	}
	it := c.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []enums.EventType
	steers := map[string]bool{} // update ids of UpdateSteer (the stream's polls are updates too)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
			if a.GetAcceptedRequest().GetInput().GetName() != UpdateSteer {
				continue
			}
			steers[a.GetAcceptedRequest().GetMeta().GetUpdateId()] = true
		}
		if a := ev.GetWorkflowExecutionUpdateCompletedEventAttributes(); a != nil && !steers[a.GetMeta().GetUpdateId()] {
			continue
		}
		if keep[ev.GetEventType()] {
			out = append(out, ev.GetEventType())
		}
	}
	return out
}

func cancelRequests(s *llmtest.Server) []llmtest.Request {
	var out []llmtest.Request
	for _, r := range s.Requests() {
		if r.Endpoint == llmtest.EndpointCancel {
			out = append(out, r)
		}
	}
	return out
}

// TestIntegrationSteerStop stops a generation in flight on the dev server
// with llm.Stop. On the background Responses API the activity learns it
// from its next heartbeat and cancels the provider's response, which bills
// only the tokens generated before the cancel; the call returns the
// partial text with that usage, charged to its budget. On chat
// completions the stream is closed, the usage is an estimate, and the
// provider bills the whole generation anyway (what the docs say).
func TestIntegrationSteerStop(t *testing.T) {
	srv := durabletest.Server(t)
	for _, tc := range []struct {
		name   string
		api    API
		stream bool
		store  idem.Store
	}{
		{"background streamed", APIResponsesBackground, true, idem.NewMemoryStore()},
		{"background polled", APIResponsesBackground, false, nil},
		{"chat streamed", APIChatCompletions, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			hold := make(chan struct{})
			var closeHold sync.Once
			release := func() { closeHold.Do(func() { close(hold) }) }
			t.Cleanup(release)
			s.Enqueue(llmtest.Reply{Content: essay, Hold: hold})
			_, w := steerWorker(t, srv, s, tc.api, tc.store)
			c := srv.Client()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			req := Request{Prompt: "write the essay", Summary: "essay", Stream: tc.stream}
			if tc.stream {
				req.StreamTopic = "answer"
			}
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, steerFlow, req, false)
			require.NoError(t, err)
			f := follow(ctx, c, run.GetID())
			waitHeld(t, s)
			if tc.stream { // the worker has received the partial text
				require.Eventually(t, func() bool { return f.latest("answer").Text == essayPartial }, time.Minute, 10*time.Millisecond)
			}

			asked := time.Now()
			require.NoError(t, Stop(ctx, c, run.GetID(), "ana", "off topic"))
			returned := time.Now()

			var out steerOut
			require.NoError(t, run.Get(ctx, &out))
			resp := out.Resp
			assert.True(t, resp.Stopped)
			assert.Equal(t, FinishReasonStopped, resp.FinishReason)
			assert.Equal(t, essayPartial, resp.Text, "the partial text is kept")
			require.Len(t, resp.Steers, 1)
			assert.Equal(t, SteerRequest{Action: SteerStop, By: "ana", Reason: "off topic"}, resp.Steers[0].SteerRequest)
			assert.Equal(t, essayPartial, resp.Steers[0].Text)
			assert.Equal(t, resp.TotalTokens(), out.Budget.Used.TotalTokens(), "the stopped part is charged to the budget")
			assert.Equal(t, 1, out.Budget.Used.Calls)
			assert.Equal(t, []enums.EventType{
				enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
				enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
				enums.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
				enums.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
				enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
				enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
			}, historyOrder(t, c, run), "the update cancels the activity, which reports its cancellation before the update completes")
			if tc.stream {
				a := f.final(t, "answer")
				assert.Equal(t, essayPartial, a.Text, "the stream shows the stopped answer")
				assert.True(t, a.Ended)
			}

			if tc.api == APIResponsesBackground {
				cancels := cancelRequests(s)
				require.Len(t, cancels, 1, "the activity cancelled the provider's response")
				at := cancels[0].Time
				assert.True(t, at.After(asked) && at.Before(returned), "the cancel happened during Stop")
				require.True(t, s.WaitSettled(time.Minute))
				call := s.Calls()[0]
				assert.True(t, call.Cancelled)
				assert.Equal(t, essayTokens, call.OutputTokens, "the provider billed only what was generated before the cancel")
				assert.Equal(t, int64(essayTokens), resp.CompletionTokens, "the call records what was billed")
				assert.False(t, resp.UsageEstimated)
				assert.True(t, resp.CostKnown)
				release() // too late: the response is cancelled
				assert.Equal(t, essayTokens, s.Calls()[0].OutputTokens, "nothing more is billed")
				t.Logf("%s: Stop to the provider's cancel %s, Stop returned after %s (heartbeat interval %s)",
					tc.name, at.Sub(asked), returned.Sub(asked), DefaultHeartbeatInterval)
				return
			}
			assert.Empty(t, cancelRequests(s), "chat completions cannot be cancelled")
			assert.True(t, resp.UsageEstimated, "the provider reports no usage for a stream it did not finish")
			release()
			require.True(t, s.WaitSettled(time.Minute))
			assert.Equal(t, 6, s.Calls()[0].OutputTokens, "the provider finishes and bills the whole chat generation")
			t.Logf("%s: Stop returned after %s (heartbeat interval %s)", tc.name, returned.Sub(asked), DefaultHeartbeatInterval)
		})
	}
}

// TestIntegrationSteerRedirect redirects a generation in flight: the
// provider's response is cancelled, and the next call carries the partial
// answer and the person's message.
func TestIntegrationSteerRedirect(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	hold := make(chan struct{})
	defer close(hold)
	s.Enqueue(llmtest.Reply{Content: essay, Hold: hold}, llmtest.Reply{Content: "costs first then the rest"})
	_, w := steerWorker(t, srv, s, APIResponsesBackground, nil)
	c := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, steerFlow,
		Request{Prompt: "write the essay", Summary: "essay", Stream: true, StreamTopic: "answer"}, false)
	require.NoError(t, err)
	f := follow(ctx, c, run.GetID())
	waitHeld(t, s)

	res, err := Steer(ctx, c, run.GetID(), SteerRequest{Action: SteerRedirect, By: "ana", Message: "focus on costs"})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Interrupted)
	assert.Equal(t, int64(essayTokens), res.Usage.CompletionTokens)

	var out steerOut
	require.NoError(t, run.Get(ctx, &out))
	resp := out.Resp
	assert.Equal(t, "costs first then the rest", resp.Text)
	assert.False(t, resp.Stopped)
	require.Len(t, resp.Steers, 1)
	assert.Equal(t, essayPartial, resp.Steers[0].Text)
	assert.Equal(t, []Message{Assistant(essayPartial), User("focus on costs")}, resp.SteerMessages())

	var creates []llmtest.Request
	for _, r := range s.Requests() {
		if r.Endpoint == llmtest.EndpointResponses {
			creates = append(creates, r)
		}
	}
	require.Len(t, creates, 2)
	var msgs []string
	for _, m := range creates[1].Messages {
		msgs = append(msgs, m.Role+": "+m.Content)
	}
	assert.Equal(t, []string{"user: write the essay", "assistant: " + essayPartial, "user: focus on costs"}, msgs,
		"the next call carries the partial answer and the person's message")
	require.Len(t, cancelRequests(s), 1)

	require.True(t, s.WaitSettled(time.Minute))
	calls := s.Calls()
	require.Len(t, calls, 2)
	assert.True(t, calls[0].Cancelled)
	assert.Equal(t, essayTokens, calls[0].OutputTokens)
	assert.Equal(t, 2, resp.Total.Calls)
	assert.Equal(t, int64(calls[0].OutputTokens+calls[1].OutputTokens), resp.Total.CompletionTokens, "Total counts both generations")
	assert.Equal(t, resp.Total.TotalTokens(), out.Budget.Used.TotalTokens())
	assert.Equal(t, []string{"llm: essay", "llm: essay (redirect 1)"}, scheduledSummaries(t, c, run))
	a := f.final(t, "answer")
	assert.Equal(t, resp.Text, a.Text, "the stream shows the redirected answer")
}

// TestIntegrationCancelWorkflowStopsSteerableCall cancels the workflow
// while its steerable call generates: the provider's response is
// cancelled the same way, and Complete returns the partial answer with
// the usage billed, charged to the budget.
func TestIntegrationCancelWorkflowStopsSteerableCall(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	hold := make(chan struct{})
	defer close(hold)
	s.Enqueue(llmtest.Reply{Content: essay, Hold: hold})
	_, w := steerWorker(t, srv, s, APIResponsesBackground, nil)
	c := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, steerFlow,
		Request{Prompt: "write the essay", Stream: true}, false)
	require.NoError(t, err)
	waitHeld(t, s)
	require.NoError(t, c.CancelWorkflow(ctx, run.GetID(), run.GetRunID()))

	var out steerOut
	require.NoError(t, run.Get(ctx, &out))
	assert.True(t, out.Cancelled)
	assert.True(t, out.Resp.Stopped)
	assert.Equal(t, essayPartial, out.Resp.Text)
	assert.Empty(t, out.Resp.Steers, "nobody steered: the workflow was cancelled")
	assert.Equal(t, int64(essayTokens), out.Resp.CompletionTokens)
	assert.Equal(t, int64(essayTokens), out.Budget.Used.CompletionTokens, "the budget counts what was billed")
	require.Len(t, cancelRequests(s), 1)
	require.True(t, s.WaitSettled(time.Minute))
	assert.True(t, s.Calls()[0].Cancelled)
	assert.Equal(t, essayTokens, s.Calls()[0].OutputTokens)
}

// TestIntegrationSteerRefused: a steer that finds no call generating is
// rejected with a typed error the client can test, and a bad one is
// refused before it is sent.
func TestIntegrationSteerRefused(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	_, w := steerWorker(t, srv, s, APIChatCompletions, nil)
	c := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, steerFlow, ask("hi"), true)
	require.NoError(t, err)

	err = Stop(ctx, c, run.GetID(), "ana", "")
	assert.True(t, IsNotSteerable(err), "%v", err)
	err = Redirect(ctx, c, run.GetID(), "ana", "")
	assert.True(t, IsInvalidSteer(err), "%v", err)
	err = Stop(ctx, c, run.GetID(), "", "why")
	assert.True(t, IsInvalidSteer(err), "%v", err)

	require.NoError(t, c.SignalWorkflow(ctx, run.GetID(), "", signalAsk, nil))
	var out steerOut
	require.NoError(t, run.Get(ctx, &out))
	assert.Equal(t, "echo: hi", out.Resp.Text)
	for _, ev := range historyOrder(t, c, run) {
		assert.NotEqual(t, enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, ev, "a rejected update writes nothing")
	}
}
