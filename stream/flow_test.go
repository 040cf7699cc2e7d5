package stream_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/stream"
)

// chatInput drives chatWorkflow: one speak activity per call, continuing as
// new after every PerRun calls.
type chatInput struct {
	Calls      []speech
	PerRun     int
	Stream     *stream.State
	CarryBytes int
	// Silent runs the calls without publishing (the baseline of the cost
	// measurement).
	Silent bool
}

// speech is one streamed answer: its words are published one delta each.
type speech struct {
	Text string
	// FailAttempts: the first attempts publish half of the words, then
	// fail with a retryable error.
	FailAttempts int32
	// Gate, when set, holds the first attempt after half of the words
	// until the test opens it.
	Gate string
	// Pace is the pause between two words.
	Pace time.Duration
	// Timeout is the activity's start-to-close timeout (default 1 minute).
	Timeout time.Duration
	// MaxDelay is the publisher's; 0 means the default.
	MaxDelay time.Duration
	Silent   bool
}

const topic = "chat"

func chatWorkflow(ctx workflow.Context, in chatInput) ([]string, error) {
	s, err := stream.New(ctx, stream.Options{State: in.Stream, CarryBytes: in.CarryBytes})
	if err != nil {
		return nil, err
	}
	var answers []string
	for i, sp := range in.Calls {
		if in.PerRun > 0 && i == in.PerRun {
			rest := in
			rest.Calls = in.Calls[i:]
			return nil, s.ContinueAsNew(ctx, chatWorkflow, func(st *stream.State) []any {
				rest.Stream = st
				return []any{rest}
			})
		}
		timeout := sp.Timeout
		if timeout == 0 {
			timeout = time.Minute
		}
		sp.Silent = in.Silent
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: timeout,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 1,
				MaximumInterval: 100 * time.Millisecond, MaximumAttempts: 5,
			},
		})
		var out string
		if err := workflow.ExecuteActivity(actx, speak, sp).Get(ctx, &out); err != nil {
			return nil, err
		}
		answers = append(answers, out)
	}
	if err := s.Drain(ctx); err != nil {
		return nil, err
	}
	return answers, nil
}

// gates are the test-controlled holds of speak's first attempts.
var gates sync.Map // name -> chan struct{}

func gate(name string) chan struct{} {
	ch, _ := gates.LoadOrStore(name, make(chan struct{}))
	return ch.(chan struct{})
}

func speak(ctx context.Context, sp speech) (string, error) {
	words := strings.SplitAfter(sp.Text, " ")
	if sp.Silent {
		for range words {
			pause(ctx, sp.Pace)
		}
		return sp.Text, nil
	}
	pub, err := stream.NewPublisher(ctx, stream.PublisherOptions{Topic: topic, MaxDelay: sp.MaxDelay})
	if err != nil {
		return "", err
	}
	attempt := activity.GetInfo(ctx).Attempt
	failing := attempt <= sp.FailAttempts
	n := len(words)
	if failing {
		n = len(words) / 2
	}
	for i, w := range words[:n] {
		if sp.Gate != "" && attempt == 1 && i == len(words)/2 {
			if err := pub.Flush(ctx); err != nil {
				return "", err
			}
			select {
			case <-gate(sp.Gate):
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		pub.Delta(w)
		pause(ctx, sp.Pace)
	}
	if failing {
		err := temporal.NewApplicationError("provider hiccup", "Flaky")
		_ = pub.Close(ctx, err)
		return "", err
	}
	if err := pub.Close(ctx, nil); err != nil {
		return "", err
	}
	return sp.Text, nil
}

func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func register(r worker.Registry) {
	r.RegisterWorkflow(chatWorkflow)
	r.RegisterActivity(speak)
}

// words returns n words "<prefix>0 <prefix>1 … ".
func words(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%d ", prefix, i)
	}
	return b.String()
}
