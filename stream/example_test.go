package stream_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/stream"
)

// ChatInput is the input of Chat; Stream carries the stream across
// continue-as-new.
type ChatInput struct {
	Prompt string
	Stream *stream.State
}

// Chat streams the answer of its Speak activity to subscribers, with
// status lines published from workflow code.
func Chat(ctx workflow.Context, in ChatInput) (string, error) {
	s, err := stream.New(ctx, stream.Options{State: in.Stream})
	if err != nil {
		return "", err
	}
	if err := s.Publish(ctx, "status", stream.Event{Kind: "status", Text: "drafting"}); err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Minute})
	var answer string
	if err := workflow.ExecuteActivity(ctx, Speak, in.Prompt).Get(ctx, &answer); err != nil {
		return "", err
	}
	if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
		return "", s.ContinueAsNew(ctx, Chat, func(st *stream.State) []any {
			return []any{ChatInput{Prompt: in.Prompt, Stream: st}}
		})
	}
	if err := s.Publish(ctx, "status", stream.Event{Kind: "status", Text: "done"}); err != nil {
		return "", err
	}
	return answer, s.Drain(ctx)
}

// Speak is the activity: it publishes its answer as it is produced. The
// answer itself is its result; the stream only shows progress.
func Speak(ctx context.Context, prompt string) (answer string, err error) {
	pub, err := stream.NewPublisher(ctx, stream.PublisherOptions{Topic: "answer"})
	if err != nil {
		return "", err
	}
	defer func() { _ = pub.Close(ctx, err) }() // end or failed marker, last batch
	var b strings.Builder
	for _, w := range strings.Fields("Streams survive crashes, retries and continue-as-new.") {
		pub.Delta(w + " ") // buffered; sent in batches
		b.WriteString(w + " ")
	}
	return b.String(), nil
}

// The workflow side in the test environment: the activity is mocked (a
// Publisher needs a real server), the status lines are read back with the
// read query.
func ExampleNew() {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Chat)
	env.RegisterActivity(Speak)
	env.OnActivity(Speak, mock.Anything, mock.Anything).Return("Hello.", nil)
	env.ExecuteWorkflow(Chat, ChatInput{Prompt: "Say hello"})

	v, err := env.QueryWorkflow(stream.ReadQuery, stream.PollInput{})
	if err != nil {
		fmt.Println(err)
		return
	}
	var res stream.PollResult
	_ = v.Get(&res)
	for _, it := range res.Items {
		ev, _ := stream.DecodeItem(it)
		fmt.Println(ev.Offset, ev.Topic, ev.Kind, ev.Text)
	}
	// Output:
	// 0 status status drafting
	// 1 status status done
}

// Follow a workflow's stream from a client; resume from the offset after
// the last event handled.
func ExampleSubscribe() {
	follow := func(ctx context.Context, c client.Client, workflowID string, from int64) error {
		var t stream.Transcript
		for ev, err := range stream.Subscribe(ctx, c, workflowID, from, stream.WithTopics("answer")) {
			if err != nil {
				return err
			}
			t.Apply(ev)
			a, _ := t.Latest("answer")
			fmt.Printf("\r%s", a.Text) // redraw: a retry discards the partial text
		}
		return nil // the workflow closed and everything was read
	}
	_ = follow
}

// Serve the stream to browsers: new EventSource("/runs/" + id + "/events").
func ExampleSSEHandler() {
	serve := func(c client.Client) error {
		mux := http.NewServeMux()
		mux.Handle("GET /runs/{id}/events", &stream.SSEHandler{Client: c})
		return http.ListenAndServe("localhost:8080", mux)
	}
	_ = serve
}

// What a reader shows while an attempt fails and its retry streams again.
func ExampleTranscript() {
	var t stream.Transcript
	for _, ev := range []stream.Event{
		{Topic: "answer", Call: "run/1", Attempt: 1, Kind: stream.KindDelta, Text: "The ans"},
		{Topic: "answer", Call: "run/1", Attempt: 1, Kind: stream.KindFailed, Reason: "rate limited"},
		{Topic: "answer", Call: "run/1", Attempt: 2, Kind: stream.KindReset, Reason: stream.ReasonRetry},
		{Topic: "answer", Call: "run/1", Attempt: 2, Kind: stream.KindDelta, Text: "The answer is 42."},
		{Topic: "answer", Call: "run/1", Attempt: 1, Kind: stream.KindDelta, Text: "wer"}, // late, superseded
		{Topic: "answer", Call: "run/1", Attempt: 2, Kind: stream.KindEnd},
	} {
		t.Apply(ev)
	}
	a, _ := t.Latest("answer")
	fmt.Printf("%q attempt=%d resets=%d ended=%v\n", a.Text, a.Attempt, a.Resets, a.Ended)
	// Output:
	// "The answer is 42." attempt=2 resets=1 ended=true
}
