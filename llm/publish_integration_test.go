package llm

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm/llmtest"
	"github.com/durable-llm/durable-llm/stream"
)

// streamedFlow hosts a stream and asks one streamed, published question.
func streamedFlow(ctx workflow.Context, req Request) (Response, error) {
	s, err := stream.New(ctx, stream.Options{})
	if err != nil {
		return Response{}, err
	}
	o := ActivityOptions("")
	o.StartToCloseTimeout = 30 * time.Second
	o.RetryPolicy.InitialInterval = 100 * time.Millisecond
	resp, err := Complete(ctx, req, WithActivityOptions(o))
	if derr := s.Drain(ctx); derr != nil {
		return resp, derr
	}
	return resp, err
}

func TestStreamTopicPublishesDeltasAndMarksTheFallback(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	text := "Durable streams keep every delta once and mark each retry."
	s.Enqueue(llmtest.Reply{Content: "Durable streams keep", Truncate: true}, llmtest.Reply{Content: text})
	a := newActivities(t, serverConfig(s))
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		a.Register(r)
		r.RegisterWorkflow(streamedFlow)
	})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, streamedFlow,
		Request{Prompt: "explain", Stream: true, StreamTopic: "answer", Fallback: []string{"backup"}})
	require.NoError(t, err)

	var (
		tr    stream.Transcript
		kinds []stream.Kind
		evs   []stream.Event
	)
	for ev, err := range stream.Subscribe(ctx, c, run.GetID(), 0) {
		require.NoError(t, err)
		tr.Apply(ev)
		kinds = append(kinds, ev.Kind)
		evs = append(evs, ev)
	}
	var resp Response
	require.NoError(t, run.Get(ctx, &resp))
	assert.Equal(t, text, resp.Text)
	assert.Equal(t, "backup", resp.ModelName, "the truncated answer moved the retry to the fallback model")

	a1, ok := tr.Latest("answer")
	require.True(t, ok, "events were published on the topic")
	assert.Equal(t, resp.Text, a1.Text, "the reader shows the answer, without attempt 1's partial text")
	assert.True(t, a1.Ended)
	assert.Equal(t, 1, a1.Resets)
	assert.Equal(t, int32(2), a1.Attempt)
	assert.Equal(t, stream.ReasonFallback, a1.Reason)
	assert.Contains(t, kinds, stream.KindFailed, "attempt 1 ends with a failed marker")
	for i, ev := range evs {
		assert.Equal(t, int64(i), ev.Offset)
	}
}

// TestStreamTopicOnResponses publishes the deltas of the Responses API.
// A background generation that the next attempt resumes is replayed from
// its first event after that attempt's reset marker, so the reader loses
// no text.
func TestStreamTopicOnResponses(t *testing.T) {
	srv := durabletest.Server(t)
	text := "Background answers are replayed whole after a reset."
	for _, tc := range []struct {
		name     string
		api      API
		script   func(s *llmtest.Server)
		attempts int32
	}{
		{"responses", APIResponses, func(s *llmtest.Server) { s.Enqueue(llmtest.Reply{Content: text}) }, 1},
		{"background resumed by the next attempt", APIResponsesBackground, func(s *llmtest.Server) {
			s.Enqueue(llmtest.Reply{Content: text, CutAfter: 6, Drop: true})
			for range maxResumes { // attempt 1's resumptions break off too
				s.EnqueueOn(llmtest.EndpointRetrieve, llmtest.Reply{Drop: true, CutAfter: 1})
			}
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			tc.script(s)
			a := newActivities(t, apiConfig(s, tc.api))
			w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
				a.Register(r)
				r.RegisterWorkflow(streamedFlow)
			})
			c := srv.Client()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, streamedFlow,
				Request{Prompt: "explain", Stream: true, StreamTopic: "answer"})
			require.NoError(t, err)
			var resp Response
			require.NoError(t, run.Get(ctx, &resp))
			assert.Equal(t, text, resp.Text)
			assert.Equal(t, tc.attempts, resp.Attempt)

			var tr stream.Transcript
			for ev, err := range stream.Subscribe(ctx, c, run.GetID(), 0) {
				require.NoError(t, err)
				tr.Apply(ev)
			}
			got, ok := tr.Latest("answer")
			require.True(t, ok, "events were published on the topic")
			assert.Equal(t, resp.Text, got.Text, "the reader shows the whole answer")
			assert.True(t, got.Ended)
			assert.Equal(t, tc.attempts, got.Attempt)
			assert.Equal(t, int(tc.attempts-1), got.Resets)
			assert.Equal(t, 1, s.Billed())
			if tc.attempts > 1 {
				reqs := s.Requests()
				last := reqs[len(reqs)-1]
				require.Equal(t, llmtest.EndpointRetrieve, last.Endpoint)
				assert.Nil(t, last.StartingAfter, "the next attempt replays the generation from its first event")
			}
		})
	}
}

// streamedQuickFlow is streamedFlow with short timeouts, so an attempt
// lost with its worker is retried within seconds.
func streamedQuickFlow(ctx workflow.Context, req Request) (Response, error) {
	s, err := stream.New(ctx, stream.Options{})
	if err != nil {
		return Response{}, err
	}
	o := ActivityOptions("")
	o.StartToCloseTimeout = 5 * time.Second
	o.HeartbeatTimeout = 2 * time.Second
	resp, err := Complete(ctx, req, WithActivityOptions(o))
	if derr := s.Drain(ctx); derr != nil {
		return resp, derr
	}
	return resp, err
}

// TestStreamTopicAnswerFromStore: the worker dies after the provider
// answered; the retry returns the answer recorded in the Store without
// calling the provider, and publishes it (after its reset marker), so the
// stream matches the result.
func TestStreamTopicAnswerFromStore(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	text := "The recorded answer is published again."
	s.Enqueue(llmtest.Reply{Content: text})
	cfg := serverConfig(s)
	cfg.Store = idem.NewMemoryStore()
	a := newActivities(t, cfg)
	cp := durabletest.NewCrashPoint(ActivityComplete)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		a.Register(r)
		r.RegisterWorkflow(streamedQuickFlow)
	}, worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp}, StickyScheduleToStartTimeout: time.Second})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, streamedQuickFlow,
		Request{Prompt: "explain", Stream: true, StreamTopic: "answer"})
	require.NoError(t, err)
	select {
	case <-cp.Reached():
	case <-ctx.Done():
		t.Fatal("the completion activity never returned")
	}
	w.Kill()
	cp.Disarm()
	w.Restart()

	var resp Response
	require.NoError(t, run.Get(ctx, &resp))
	assert.Equal(t, text, resp.Text)
	assert.Equal(t, int32(1), resp.Attempt, "the answer attempt 1 recorded")
	assert.Equal(t, 1, s.Billed(), "attempt 2 did not call the provider")

	var tr stream.Transcript
	for ev, err := range stream.Subscribe(ctx, c, run.GetID(), 0) {
		require.NoError(t, err)
		tr.Apply(ev)
	}
	got, ok := tr.Latest("answer")
	require.True(t, ok)
	assert.Equal(t, int32(2), got.Attempt, "attempt 2 published the recorded answer")
	assert.Equal(t, 1, got.Resets)
	assert.Equal(t, resp.Text, got.Text)
	assert.True(t, got.Ended)
}
