package durable_test

import (
	"context"
	"flag"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
)

var record = flag.Bool("record", false, "re-record testdata histories from the dev server")

func TestMain(m *testing.M) { durabletest.Main(m) }

// twoSteps counts executions and lets a test hold the second step.
type twoSteps struct {
	first, second atomic.Int32
	reached       chan struct{}
}

func (s *twoSteps) First(_ context.Context, in string) (string, error) {
	s.first.Add(1)
	return in + "-first", nil
}

func (s *twoSteps) Second(ctx context.Context, in string) (string, error) {
	if s.second.Add(1) == 1 && s.reached != nil {
		close(s.reached)
		<-ctx.Done() // the worker dies while this attempt runs
		return "", ctx.Err()
	}
	return in + "-second", nil
}

func stepOptions(summary string) workflow.ActivityOptions {
	o := durable.Quick(summary)
	o.StartToCloseTimeout = 3 * time.Second // a lost attempt is retried after 3 s
	return o
}

// TwoStepWorkflow runs First then Second.
func TwoStepWorkflow(ctx workflow.Context, in string) (string, error) {
	var s *twoSteps
	a, err := durable.Execute[string](ctx, s.First, in, stepOptions("first"))
	if err != nil {
		return "", err
	}
	return durable.Execute[string](ctx, s.Second, a, stepOptions("second"))
}

func register(s *twoSteps) func(worker.Registry) {
	return func(r worker.Registry) {
		r.RegisterWorkflow(TwoStepWorkflow)
		r.RegisterActivity(s)
	}
}

func TestWorkerRestartRunsFirstActivityOnce(t *testing.T) {
	srv := durabletest.Server(t)
	steps := &twoSteps{reached: make(chan struct{})}
	w := durabletest.StartWorker(t, srv, register(steps))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, TwoStepWorkflow, "doc")
	require.NoError(t, err)

	select {
	case <-steps.reached:
	case <-ctx.Done():
		t.Fatal("second activity never started")
	}
	w.Kill()
	w.Restart()

	var out string
	require.NoError(t, run.Get(ctx, &out))
	assert.Equal(t, "doc-first-second", out)
	assert.Equal(t, int32(1), steps.first.Load(), "the completed first activity is not repeated")
	assert.Equal(t, int32(2), steps.second.Load(), "the lost attempt of the second activity is retried once")

	if *record {
		require.NoError(t, durabletest.SaveHistory(ctx, srv.Client(), run.GetID(), run.GetRunID(),
			filepath.Join("testdata", "two_steps.json")))
	}
}

func TestReplayRecordedHistories(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) {
		r.RegisterWorkflow(TwoStepWorkflow)
	})
}

func TestTracingShowsWorkflowThenActivitySpans(t *testing.T) {
	srv := durabletest.Server(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	obs := durable.Observability{Tracer: tp.Tracer("test"), DisableMetrics: true}
	copts := client.Options{HostPort: srv.HostPort(), Namespace: srv.Namespace()}
	require.NoError(t, obs.Apply(&copts))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := durable.DialOptions(ctx, copts)
	require.NoError(t, err)
	defer c.Close()

	wis := make([]interceptor.WorkerInterceptor, 0, len(copts.Interceptors))
	for _, i := range copts.Interceptors {
		wis = append(wis, i.(interceptor.WorkerInterceptor))
	}
	w := durabletest.StartWorker(t, srv, register(&twoSteps{}), worker.Options{Interceptors: wis})
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, TwoStepWorkflow, "x")
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	byName := map[string]sdktrace.ReadOnlySpan{}
	require.Eventually(t, func() bool {
		for _, s := range rec.Ended() {
			byName[s.Name()] = s
		}
		_, ok := byName["RunActivity:Second"]
		return ok
	}, 10*time.Second, 50*time.Millisecond, "activity spans are exported when the activity ends")

	start, run1, act := byName["StartWorkflow:TwoStepWorkflow"], byName["RunWorkflow:TwoStepWorkflow"], byName["RunActivity:First"]
	require.NotNil(t, start)
	require.NotNil(t, run1)
	require.NotNil(t, act)
	traceID := start.SpanContext().TraceID()
	assert.Equal(t, traceID, run1.SpanContext().TraceID(), "workflow joins the client's trace")
	assert.Equal(t, traceID, act.SpanContext().TraceID(), "activity joins the same trace")
	assert.Equal(t, start.SpanContext().SpanID(), run1.Parent().SpanID())
}

func TestDevServerOptions(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	status := temporal.NewSearchAttributeKeyKeyword("DurableTestStatus")
	opts := durable.DevServerOptions{UI: true, DBFile: db, SearchAttributes: []temporal.SearchAttributeKey{status}}
	srv := durabletest.StartServer(t, opts)
	assert.NotEmpty(t, srv.UIURL())
	assert.Contains(t, srv.WorkflowURL("wf-1"), "/namespaces/default/workflows/wf-1")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w := durabletest.StartWorker(t, srv, register(&twoSteps{}))
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "persisted", TaskQueue: w.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(status.ValueSet("done")),
	}, TwoStepWorkflow, "p")
	require.NoError(t, err, "the extra search attribute is registered")
	require.NoError(t, run.Get(ctx, nil))
	w.Stop()
	require.NoError(t, srv.Stop())

	// Same DB file: the finished workflow is still there after a restart.
	opts.HostPort = srv.HostPort()
	srv2 := durabletest.StartServer(t, opts)
	desc, err := srv2.Client().DescribeWorkflowExecution(ctx, "persisted", "")
	require.NoError(t, err)
	assert.Equal(t, run.GetRunID(), desc.GetWorkflowExecutionInfo().GetExecution().GetRunId())
}
