package llm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
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

// Brief is what the Briefs.Write activity returns, and reports with its
// cancellation when a steer stops it.
type Brief struct {
	Text string
	// Usage is what the LLM call was billed (so far, when stopped).
	Usage llm.Usage
}

// Briefs holds a workflow's own activity around an LLM call.
type Briefs struct{ LLM *llm.Activities }

// Write asks the model for a brief about topic, with the redirects so far,
// then does work of its own with the answer (stores it, records it). The
// LLM call heartbeats and stops when the workflow cancels the activity;
// its error then holds the partial answer, which Write reports as a Brief
// with its own cancellation.
func (b *Briefs) Write(ctx context.Context, topic string, redirects []string) (Brief, error) {
	prompt := strings.Join(append([]string{"Write a brief about " + topic + "."}, redirects...), "\n")
	resp, err := b.LLM.Complete(ctx, llm.Request{Prompt: prompt, Summary: "brief"})
	var ce *temporal.CanceledError
	if errors.As(err, &ce) && ce.HasDetails() {
		var partial llm.Response
		if ce.Details(&partial) == nil {
			return Brief{}, temporal.NewCanceledError(briefOf(partial))
		}
	}
	if err != nil {
		return Brief{}, err
	}
	// ... store the brief ...
	return briefOf(resp), nil
}

func briefOf(r llm.Response) Brief {
	b := Brief{Text: r.Text}
	b.Usage.Add(r)
	return b
}

// BriefWorkflow runs Briefs.Write steerably with [llm.Steering.Run]: a
// reviewer's redirect runs it again with the message, a stop keeps what it
// had written.
func BriefWorkflow(ctx workflow.Context, topic string) (string, error) {
	steering, err := llm.NewSteering(ctx)
	if err != nil {
		return "", err
	}
	defer func() { // let the steer updates return before the workflow does
		_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	}()
	var (
		b         *Briefs
		redirects []string
	)
	for n := 0; ; n++ {
		label := "brief"
		if n > 0 {
			label = fmt.Sprintf("brief (redirect %d)", n)
		}
		var brief Brief
		steer, err := steering.Run(ctx, label, func(ctx workflow.Context) (llm.Usage, error) {
			o := llm.ActivityOptions(label) // heartbeat timeout and retries of an LLM call
			o.WaitForCancellation = true    // so the partial brief reaches the workflow
			err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), b.Write, topic, redirects).Get(ctx, &brief)
			var ce *temporal.CanceledError
			if errors.As(err, &ce) && ce.HasDetails() {
				_ = ce.Details(&brief) // what it had written when the steer reached it
			}
			return brief.Usage, err // the steer's result adds up what the calls it stopped paid
		})
		switch {
		case steer == nil: // an answer, a failure, or the workflow's cancellation
			return brief.Text, err
		case err != nil && !temporal.IsCanceledError(err) && !temporal.IsTimeoutError(err):
			return "", err // failed before the steer reached it
		case steer.Action == llm.SteerStop:
			return fmt.Sprintf("%s (stopped by %s)", brief.Text, steer.By), nil
		}
		redirects = append(redirects, steer.Message)
	}
}

// A workflow's own activity, steered with Run: a reviewer redirects the
// brief while it is written, and it is written again with the message.
// In the test environment a stand-in replaces Briefs.Write; the first
// call generates until it is cancelled.
func ExampleSteering_Run() {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(BriefWorkflow)
	generating := make(chan struct{})
	env.RegisterActivityWithOptions(func(ctx context.Context, topic string, redirects []string) (Brief, error) {
		if len(redirects) == 0 {
			close(generating)
			<-ctx.Done() // the test environment reports the cancellation itself
			return Brief{}, ctx.Err()
		}
		return Brief{Text: "Tides follow the moon. " + strings.Join(redirects, " "), Usage: llm.Usage{Calls: 1}}, nil
	}, activity.RegisterOptions{Name: "Write"})
	var result llm.SteerResult
	env.RegisterDelayedCallback(func() {
		<-generating
		env.UpdateWorkflow(llm.UpdateSteer, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(error) {},
			OnComplete: func(v any, _ error) { result, _ = v.(llm.SteerResult) },
		}, llm.SteerRequest{Action: llm.SteerRedirect, By: "ana", Message: "Keep it to one line."})
	}, time.Second)
	env.ExecuteWorkflow(BriefWorkflow, "tides")
	var out string
	if err := env.GetWorkflowResult(&out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("the redirect interrupted %d call(s)\n", result.Interrupted)
	fmt.Println(out)
	// Output:
	// the redirect interrupted 1 call(s)
	// Tides follow the moon. Keep it to one line.
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
