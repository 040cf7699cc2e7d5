package llm_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/stream"
)

// EssayWorkflow writes an essay that reviewers can stop or redirect while
// it is generated, and streams it to readers under the "essay" topic.
func EssayWorkflow(ctx workflow.Context, topic string) (string, error) {
	s, err := stream.New(ctx, stream.Options{}) // the stream the answer is published to
	if err != nil {
		return "", err
	}
	steering, err := llm.NewSteering(ctx) // registers the llm.steer update
	if err != nil {
		return "", err
	}
	resp, err := llm.Complete(ctx, llm.Request{
		Prompt:      "Write an essay about " + topic + ".",
		Summary:     "essay",
		Stream:      true,
		StreamTopic: "essay",
	}, llm.WithSteering(steering))
	if err != nil {
		return "", err
	}
	if err := s.Drain(ctx); err != nil { // also waits for the steer handlers
		return "", err
	}
	if resp.Stopped {
		last := resp.Steers[len(resp.Steers)-1]
		return fmt.Sprintf("stopped by %s (%s) after %d characters", last.By, last.Reason, len(resp.Text)), nil
	}
	return resp.Text, nil
}

// The workflow side in the test environment, with a stand-in for the
// completion activity that generates until it is cancelled: a reviewer
// stops the call while it runs. (On a real worker the activity also
// returns the partial text and the usage billed; see the integration
// tests.)
func ExampleWithSteering() {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(EssayWorkflow)
	generating := make(chan struct{})
	env.RegisterActivityWithOptions(func(ctx context.Context, req llm.Request) (llm.Response, error) {
		close(generating)
		<-ctx.Done() // the test environment reports the cancellation itself
		return llm.Response{}, ctx.Err()
	}, activity.RegisterOptions{Name: llm.ActivityComplete})
	env.RegisterDelayedCallback(func() {
		<-generating
		env.UpdateWorkflow(llm.UpdateSteer, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(any, error) {},
		}, llm.SteerRequest{Action: llm.SteerStop, By: "ana", Reason: "off topic"})
	}, time.Second)
	env.ExecuteWorkflow(EssayWorkflow, "tides")
	var out string
	if err := env.GetWorkflowResult(&out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out)
	// Output:
	// stopped by ana (off topic) after 0 characters
}

// A review page stops or redirects the essay of a running workflow. Both
// calls return once the generation in flight has stopped; a steer that
// finds nothing generating is refused with a typed error.
func ExampleStop() {
	var c client.Client // from client.Dial
	ctx := context.Background()
	err := llm.Stop(ctx, c, "essay-42", "ana@example.com", "off topic")
	switch {
	case llm.IsNotSteerable(err):
		fmt.Println("nothing is generating now")
	case llm.IsInvalidSteer(err):
		fmt.Println("fix the request:", err)
	case err != nil:
		fmt.Println("not delivered:", err)
	}
	// Redirect asks again with the person's message appended:
	_ = llm.Redirect(ctx, c, "essay-42", "ana@example.com", "Focus on the costs.")
}

// Readers follow the essay as it is generated, from any client; the
// answer published to the topic ends with an end marker, and a retry or a
// fallback starts with a reset marker that stream.Transcript applies.
func ExampleRequest_streamTopic() {
	var c client.Client // from client.Dial
	var tr stream.Transcript
	for ev, err := range stream.Subscribe(context.Background(), c, "essay-42", 0) {
		if err != nil {
			fmt.Println(err)
			return
		}
		tr.Apply(ev)
		if a, ok := tr.Latest("essay"); ok {
			fmt.Print("\r", a.Text) // redraw: a reset drops a failed attempt's text
		}
	}
}

// The worker of steerable calls caps the SDK's heartbeat throttling at the
// heartbeat interval, so a stop reaches a running call within one
// interval.
func ExampleActivities_WorkerOptions() {
	acts, err := llm.NewActivities(llm.FromEnv())
	if err != nil {
		panic(err)
	}
	opts := acts.WorkerOptions(worker.Options{})
	fmt.Println(opts.MaxHeartbeatThrottleInterval)
	// Output:
	// 2s
}
