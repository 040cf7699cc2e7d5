package bench_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/saga"
)

func reserve(_ context.Context, order string) (string, error) { return "res-" + order, nil }

func release(_ context.Context, _ string) error { return nil }

var benchOpts = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy:         durable.RetryPolicy(time.Second, 10*time.Second, 3),
}

// plainCalls calls reserve n times with workflow.ExecuteActivity.
func plainCalls(ctx workflow.Context, n int) error {
	ctx = workflow.WithActivityOptions(ctx, benchOpts)
	for range n {
		var out string
		if err := workflow.ExecuteActivity(ctx, reserve, "o-1").Get(ctx, &out); err != nil {
			return err
		}
	}
	return nil
}

// sagaCalls calls reserve n times as saga steps, each registering release.
func sagaCalls(ctx workflow.Context, n int) error {
	s := saga.New(ctx, saga.Options{})
	for range n {
		if _, err := saga.Step[string](ctx, s, "reserve", reserve, "o-1", benchOpts, saga.Activity(release, "o-1")); err != nil {
			return err
		}
	}
	return nil
}

// runCalls runs wf with b.N activity calls in one workflow of the SDK's test
// environment, so the environment's start-up is outside the loop's cost.
func runCalls(b *testing.B, wf func(workflow.Context, int) error) {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(durabletest.Logger())
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(wf)
	env.RegisterActivity(reserve)
	env.RegisterActivity(release)
	b.ReportAllocs()
	b.ResetTimer()
	env.ExecuteWorkflow(wf, b.N)
	b.StopTimer()
	if err := env.GetWorkflowError(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkExecuteActivity is the cost of one plain activity call in the
// SDK's test environment: the reference for BenchmarkSagaStep.
func BenchmarkExecuteActivity(b *testing.B) { runCalls(b, plainCalls) }

// BenchmarkSagaStep is the cost of one saga.Step (activity call, ledger
// entry, compensation registered) in the SDK's test environment.
func BenchmarkSagaStep(b *testing.B) { runCalls(b, sagaCalls) }
