package durable_test

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
)

func ExampleRetryPolicy() {
	p := durable.RetryPolicy(time.Second, time.Minute, 5, "llm.InsufficientQuota")
	fmt.Println(p.InitialInterval, p.BackoffCoefficient, p.MaximumInterval, p.MaximumAttempts, p.NonRetryableErrorTypes)
	// Output: 1s 2 1m0s 5 [llm.InsufficientQuota]
}

func ExampleStandard() {
	opts := durable.Standard("charge order-123")
	fmt.Println(opts.StartToCloseTimeout, opts.ScheduleToCloseTimeout, opts.RetryPolicy.MaximumAttempts, opts.Summary)
	// Output: 1m0s 10m0s 10 charge order-123
}

// Greet is an activity used by the examples.
func Greet(_ context.Context, name string) (string, error) { return "hello " + name, nil }

func ExampleExecute() {
	// A workflow reads its activity results as typed values.
	greetWorkflow := func(ctx workflow.Context, name string) (string, error) {
		return durable.Execute[string](ctx, Greet, name, durable.Quick("greet "+name))
	}
	_ = greetWorkflow
}

func ExampleStart() {
	// Start runs activities in parallel; Get collects typed results.
	fanOut := func(ctx workflow.Context, names []string) ([]string, error) {
		futures := make([]durable.Future[string], 0, len(names))
		for _, n := range names {
			futures = append(futures, durable.Start[string](ctx, Greet, n, durable.Quick("greet "+n)))
		}
		out := make([]string, 0, len(names))
		for _, f := range futures {
			s, err := f.Get(ctx)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	_ = fanOut
}

func ExampleDial() {
	// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, ... choose the server.
	ctx := context.Background()
	c, err := durable.Dial(ctx, durable.Observability{}.Apply)
	if err != nil {
		fmt.Println(err) // a *durable.DialError that says what to set
		return
	}
	defer c.Close()
}
