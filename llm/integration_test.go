package llm

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// devServerOptions registers the budget's search attributes on the package's
// dev server.
func devServerOptions() durable.DevServerOptions {
	return durable.DevServerOptions{SearchAttributes: []temporal.SearchAttributeKey{SearchAttributeCostUSD, SearchAttributeTokens}}
}

// quickFlow calls Complete with short timeouts, so a lost attempt is
// retried within seconds.
func quickFlow(ctx workflow.Context, req Request) (Response, error) {
	o := ActivityOptions("")
	o.StartToCloseTimeout = 5 * time.Second
	o.HeartbeatTimeout = 2 * time.Second
	return Complete(ctx, req, WithActivityOptions(o))
}

func startWorker(t *testing.T, srv *durable.DevServer, a *Activities, opts ...worker.Options) *durabletest.Worker {
	return durabletest.StartWorker(t, srv, func(r worker.Registry) {
		a.Register(r)
		r.RegisterWorkflow(completeFlow)
		r.RegisterWorkflow(planFlow)
		r.RegisterWorkflow(quickFlow)
	}, opts...)
}

func run(t *testing.T, srv *durable.DevServer, w *durabletest.Worker, wf any, args ...any) client.WorkflowRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	r, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, wf, args...)
	require.NoError(t, err)
	return r
}

// scheduledSummaries returns the UI summaries of the activities a run scheduled.
func scheduledSummaries(t *testing.T, c client.Client, r client.WorkflowRun) []string {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), r.GetID(), r.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []string
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() != enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			continue
		}
		var s string
		if p := ev.GetUserMetadata().GetSummary(); p != nil {
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &s))
		}
		out = append(out, s)
	}
	return out
}

func TestIntegrationRetryAfter(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.RateLimited("retry-after", "2"))
	w := startWorker(t, srv, newActivities(t, serverConfig(s)))

	r := run(t, srv, w, completeFlow, Request{Prompt: "hello", Summary: "greeting v1"}, Budget{})
	var out timedResult
	require.NoError(t, r.Get(context.Background(), &out))
	assert.Equal(t, int32(2), out.Resp.Attempt, "attempt 2 answered")
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.True(t, reqs[1].Time.After(reqs[0].Time))
	// A lower bound the server sets, not a speed target.
	assert.GreaterOrEqual(t, reqs[1].Time.Sub(reqs[0].Time), 1500*time.Millisecond, "the retry waited for retry-after")
	assert.Equal(t, []string{"llm: greeting v1"}, scheduledSummaries(t, srv.Client(), r))
}

func TestIntegrationInsufficientQuota(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	s.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.InsufficientQuota() })
	w := startWorker(t, srv, newActivities(t, serverConfig(s)))

	err := run(t, srv, w, completeFlow, ask("hello"), Budget{}).Get(context.Background(), nil)
	require.Error(t, err)
	assert.True(t, IsInsufficientQuota(err), "%v", err)
	assert.Len(t, s.Requests(), 1, "one request, never retried")
	d, ok := Details(err)
	require.True(t, ok, "details survive the trip through the server")
	assert.Equal(t, 429, d.Status)
	assert.Equal(t, "insufficient_quota", d.Code)
}

func TestIntegrationRepairSummaries(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text("no json"), llmtest.Text(`{"title": "T", "steps": []}`))
	w := startWorker(t, srv, newActivities(t, serverConfig(s)))
	r := run(t, srv, w, planFlow, Request{Prompt: "plan", Summary: "plan v2"}, Budget{})
	var out timedResult
	require.NoError(t, r.Get(context.Background(), &out))
	assert.Equal(t, "T", out.Plan.Title)
	assert.Equal(t, []string{"llm: plan v2", "llm: plan v2 (repair 1)"}, scheduledSummaries(t, srv.Client(), r),
		"each attempt is its own activity")
}

func TestIntegrationSearchAttributes(t *testing.T) {
	srv := durabletest.Server(t)
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{PromptTokens: 1000, CompletionTokens: 1000})
	w := startWorker(t, srv, newActivities(t, serverConfig(s)))
	r := run(t, srv, w, completeFlow, ask("hi"), Budget{SearchAttributes: true})
	require.NoError(t, r.Get(context.Background(), nil))
	desc, err := srv.Client().DescribeWorkflow(context.Background(), r.GetID(), r.GetRunID())
	require.NoError(t, err)
	tokens, ok := desc.TypedSearchAttributes.GetInt64(SearchAttributeTokens)
	require.True(t, ok)
	assert.Equal(t, int64(2000), tokens)
	cost, ok := desc.TypedSearchAttributes.GetFloat64(SearchAttributeCostUSD)
	require.True(t, ok)
	assert.InDelta(t, (1000*0.15+1000*0.60)/1e6, cost, 1e-12)
}

// TestIntegrationCrashAfterAnswer kills the worker after the provider
// answered and before Temporal recorded the result. With a Store the retry
// returns the recorded answer: one paid request. Without one the answer is
// bought again, which is what the Store is for.
func TestIntegrationCrashAfterAnswer(t *testing.T) {
	srv := durabletest.Server(t)
	fileStore, err := idem.NewFileStore(t.TempDir())
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		store  idem.Store
		billed int
	}{
		{"memory store", idem.NewMemoryStore(), 1},
		{"file store", fileStore, 1},
		{"without store", nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			cfg := serverConfig(s)
			cfg.Store = tc.store
			a := newActivities(t, cfg) // shared by the worker and its restart, as a shared store would be
			cp := durabletest.NewCrashPoint(ActivityComplete)
			w := startWorker(t, srv, a, worker.Options{
				Interceptors: []interceptor.WorkerInterceptor{cp},
				// The killed worker's sticky queue is dead: fall back to the
				// normal queue after 1 s rather than 5 s.
				StickyScheduleToStartTimeout: time.Second,
			})

			r := run(t, srv, w, quickFlow, ask("write the summary"))
			select {
			case <-cp.Reached():
			case <-time.After(30 * time.Second):
				t.Fatal("the completion activity never returned")
			}
			require.Equal(t, 1, s.Billed(), "the provider answered once")
			w.Kill()
			cp.Disarm()
			w.Restart()

			var resp Response
			require.NoError(t, r.Get(context.Background(), &resp))
			assert.Equal(t, "echo: write the summary", resp.Text)
			assert.Equal(t, tc.billed, s.Billed())
			if tc.store != nil {
				assert.Equal(t, int32(1), resp.Attempt, "the answer recorded by attempt 1")
			}
		})
	}
}
