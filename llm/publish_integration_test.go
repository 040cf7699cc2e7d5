package llm

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable/durabletest"
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
