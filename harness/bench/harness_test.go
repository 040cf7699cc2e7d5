package bench_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/harness/bench/baseline"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

const prompt = "Draft a two-paragraph product summary for ACME TurboWidget."

// draftBytes is the size of every model answer.
const draftBytes = 20 << 10

// draft20K is a 20 KB model answer.
var draft20K = func() string {
	const s = "ACME TurboWidget keeps its promises: safe, warranted, and quiet. "
	return strings.Repeat(s, draftBytes/len(s)+1)[:draftBytes]
}()

// flow is one implementation of the document-approval flow under test.
type flow struct {
	name string
	// draftActivity is the activity type of the draft LLM call.
	draftActivity string
	// register registers the workflow and activities on a worker whose LLM
	// calls go to s and whose files go to dir.
	register func(t testing.TB, s *llmtest.Server, dir string) func(worker.Registry)
	// review starts the review id on tq, makes edits edits as a scripted
	// reviewer, approves and waits for the result.
	review func(ctx context.Context, c client.Client, tq, id string, edits int) error
}

// baselineStartToClose is the baseline's per-attempt timeout in the crash
// run (the seed's is 60 s), so a killed worker's activity is retried quickly.
const baselineStartToClose = 3 * time.Second

var baselineFlow = flow{
	name:          "baseline (seed on the SDK)",
	draftActivity: "GenerateDraft",
	register: func(_ testing.TB, s *llmtest.Server, dir string) func(worker.Registry) {
		acts := &baseline.Activities{
			Client:  openai.NewClient(option.WithBaseURL(s.URL), option.WithAPIKey("test")),
			Storage: dir,
		}
		return func(r worker.Registry) {
			r.RegisterWorkflow(baseline.DocumentWorkflow)
			r.RegisterActivity(acts)
		}
	},
	review: func(ctx context.Context, c client.Client, tq, id string, edits int) error {
		return reviewBaseline(ctx, c, tq, id, edits, 0)
	},
}

var libraryFlow = flow{
	name:          "library (examples/docapproval)",
	draftActivity: docapproval.ActivityDraft,
	register: func(t testing.TB, s *llmtest.Server, dir string) func(worker.Registry) {
		acts, err := docapproval.NewActivities(docapproval.Config{
			Dir: dir,
			LLM: llm.Config{Models: map[string]llm.Model{"default": {ID: "gpt-4o-mini", BaseURL: s.URL, APIKey: "test"}}},
		})
		require.NoError(t, err)
		return func(r worker.Registry) { docapproval.Register(r, acts) }
	},
	review: func(ctx context.Context, c client.Client, tq, id string, edits int) error {
		return reviewLibrary(ctx, c, tq, id, edits, 0)
	},
}

// reviewBaseline is the seed's client with a reviewer that waits for each
// revision: a signal, then status queries (from 50 ms, doubling up to
// 500 ms) until the revision is under way, then the next signal. stc is the
// activities' per-attempt timeout (0: the seed's 60 s).
func reviewBaseline(ctx context.Context, c client.Client, tq, id string, edits int, stc time.Duration) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, baseline.DocumentWorkflow,
		baseline.Input{DocID: id, Prompt: prompt, StartToClose: stc})
	if err != nil {
		return err
	}
	for v := 2; v <= edits+1; v++ {
		if err := c.SignalWorkflow(ctx, id, "", baseline.SignalSubmitEdit, fmt.Sprintf("Edit %d: emphasize safety and warranty.", v-1)); err != nil {
			return err
		}
		if err := waitBaselineVersion(ctx, c, id, v); err != nil {
			return err
		}
	}
	if err := c.SignalWorkflow(ctx, id, "", baseline.SignalApprove, nil); err != nil {
		return err
	}
	var f baseline.Final
	if err := run.Get(ctx, &f); err != nil {
		return err
	}
	if f.Version != edits+1 || len(f.Content) != draftBytes {
		return fmt.Errorf("baseline %s: persisted version %d (%d bytes), want %d (%d bytes)", id, f.Version, len(f.Content), edits+1, draftBytes)
	}
	return nil
}

func waitBaselineVersion(ctx context.Context, c client.Client, id string, v int) error {
	delay := 50 * time.Millisecond
	for {
		// A query that times out under load is asked again, as a UI would.
		var st baseline.Status
		res, err := c.QueryWorkflow(ctx, id, "", baseline.QueryStatus)
		if err == nil {
			err = res.Get(&st)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("status of %s: %w (last query: %w)", id, ctx.Err(), err)
		}
		if err == nil && st.Version >= v && !st.HasPendingEdits {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// reviewLibrary plays the same script with the hitl client helpers
// (updates that return once the revision exists).
func reviewLibrary(ctx context.Context, c client.Client, tq, id string, edits, maxPerRun int) error {
	script := make([]docapproval.Step, 0, edits+1)
	for i := 1; i <= edits; i++ {
		script = append(script, docapproval.Step{Reviewer: "alice", Action: hitl.ActionEdit, Instructions: fmt.Sprintf("Edit %d: emphasize safety and warranty.", i)})
	}
	script = append(script, docapproval.Step{Reviewer: "bob", Action: hitl.ActionApprove})
	res, err := docapproval.RunDemo(ctx, c, docapproval.Input{DocID: id, Prompt: prompt, MaxDecisionsPerRun: maxPerRun}, script,
		docapproval.WithTaskQueue(tq), docapproval.WithWorkflowID(id))
	if err != nil {
		return err
	}
	if !res.Result.Approved() || res.Versions != edits+1 || len(res.Result.Document.Text) != draftBytes {
		return fmt.Errorf("library %s: %s on version %d, want approved version %d", id, res.Phase, res.Versions, edits+1)
	}
	return nil
}

// bench is one dev server and one LLM test server answering 20 KB drafts.
type bench struct {
	srv *durable.DevServer
	llm *llmtest.Server
}

func newBench(t *testing.T) *bench {
	srv := durabletest.Server(t)
	return &bench{srv: srv, llm: newLLM(t)}
}

func newLLM(t testing.TB) *llmtest.Server {
	s := llmtest.NewServer(t)
	s.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.Text(draft20K) })
	return s
}

func newID(prefix string) string { return prefix + "-" + uuid.NewString()[:8] }

// histStats are the size of one run's history.
type histStats struct {
	Events int
	Bytes  int
	// ContinueAsNewInput is the size of the input carried to the next run;
	// 0 when the run did not continue as new.
	ContinueAsNewInput int
	// CarriedInput is the size of the input this run started with when it
	// was continued from an earlier run, else 0.
	CarriedInput int
	// MaxEvent is the size of the largest event, MaxEventType its type.
	MaxEvent     int
	MaxEventType string
}

func history(ctx context.Context, c client.Client, id, runID string) (histStats, error) {
	var hs histStats
	it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return hs, err
		}
		hs.Events++
		size := proto.Size(ev)
		hs.Bytes += size
		if size > hs.MaxEvent {
			hs.MaxEvent, hs.MaxEventType = size, ev.GetEventType().String()
		}
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil && a.GetContinuedExecutionRunId() != "" {
			hs.CarriedInput = proto.Size(a.GetInput())
		}
		if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
			hs.ContinueAsNewInput = proto.Size(a.GetInput())
		}
	}
	return hs, nil
}

// roundCost runs f with 0 and with edits edits and returns the history of
// each, so (withEdits - none) / edits is the cost of one review round.
func roundCost(t *testing.T, b *bench, f flow, edits int) (none, withEdits histStats) {
	t.Helper()
	w := durabletest.StartWorker(t, b.srv, f.register(t, b.llm, t.TempDir()))
	c := b.srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i, n := range []int{0, edits} {
		id := newID("round")
		require.NoError(t, f.review(ctx, c, w.TaskQueue, id, n), "%s with %d edits", f.name, n)
		hs, err := history(ctx, c, id, "")
		require.NoError(t, err)
		if i == 0 {
			none = hs
		} else {
			withEdits = hs
		}
	}
	return none, withEdits
}

// crashPaid runs one review (draft, approve) whose worker is killed after
// the draft call returned and before its result reached the server, and
// returns how many LLM requests were paid for. Without a shared folder for
// the baseline, the restarted worker starts on an empty disk.
func crashPaid(t *testing.T, srv *durable.DevServer, f flow, sameDisk bool) int {
	t.Helper()
	s := newLLM(t)
	dir := t.TempDir()
	if f.name == baselineFlow.name && !sameDisk {
		dir = "" // no files: the seed's cache off, or on another machine
	}
	cp := durabletest.NewCrashPoint(f.draftActivity)
	w := durabletest.StartWorker(t, srv, f.register(t, s, dir), worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	review := f.review
	if f.name == baselineFlow.name {
		review = func(ctx context.Context, c client.Client, tq, id string, edits int) error {
			return reviewBaseline(ctx, c, tq, id, edits, baselineStartToClose)
		}
	}
	go func() { done <- review(ctx, srv.Client(), w.TaskQueue, newID("crash"), 0) }()
	select {
	case <-cp.Reached():
	case err := <-done:
		require.Failf(t, "review ended before the crash point", "%v", err)
	case <-ctx.Done():
		require.FailNow(t, "crash point not reached")
	}
	w.Kill()
	cp.Disarm()
	w.Restart()
	require.NoError(t, <-done, f.name)
	return s.Billed()
}

// loadResult is the outcome of many concurrent reviews.
type loadResult struct {
	N         int
	Wall      time.Duration
	P50, P99  time.Duration
	Billed    int
	Completed int
	// Open counts workflows on the task queue still running afterwards.
	Open int64
}

// PerSecond is the throughput in completed workflows per second.
func (r loadResult) PerSecond() float64 { return float64(r.Completed) / r.Wall.Seconds() }

// load starts n reviews of f at once (one edit, then approve) on two
// workers sharing a task queue, and waits for all of them.
func load(t *testing.T, srv *durable.DevServer, f flow, n int) loadResult {
	t.Helper()
	s := newLLM(t)
	dir := t.TempDir()
	reg := f.register(t, s, dir)
	w1 := durabletest.StartWorker(t, srv, reg)
	durabletest.StartWorkerConfig(t, srv, reg, durabletest.Config{TaskQueue: w1.TaskQueue})
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	lat := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			t0 := time.Now()
			errs[i] = f.review(ctx, c, w1.TaskQueue, newID("load"), 1)
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	res := loadResult{N: n, Wall: time.Since(start), Billed: s.Billed()}
	for i, err := range errs {
		require.NoError(t, err, "%s: review %d of %d", f.name, i+1, n)
		res.Completed++
	}
	res.P50, res.P99 = percentiles(lat)
	// Visibility lags behind the histories: count until it settles.
	q := fmt.Sprintf("TaskQueue = %q AND ExecutionStatus = 'Running'", w1.TaskQueue)
	var open atomic.Int64
	open.Store(-1)
	assert.Eventually(t, func() bool {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
		if err != nil {
			return false
		}
		open.Store(resp.GetCount())
		return resp.GetCount() == 0
	}, 30*time.Second, 500*time.Millisecond, "%s: reviews still running after all returned", f.name)
	res.Open = open.Load()
	return res
}

// sequential runs n reviews of f one after the other (one edit, then
// approve) on one worker and returns their p50 and p99 end-to-end latency.
func sequential(t *testing.T, srv *durable.DevServer, f flow, n int) (p50, p99 time.Duration) {
	t.Helper()
	w := durabletest.StartWorker(t, srv, f.register(t, newLLM(t), t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lat := make([]time.Duration, n)
	for i := range n {
		t0 := time.Now()
		require.NoError(t, f.review(ctx, srv.Client(), w.TaskQueue, newID("seq"), 1), f.name)
		lat[i] = time.Since(t0)
	}
	return percentiles(lat)
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	n := len(lat)
	return lat[(n-1)*50/100], lat[(n-1)*99/100]
}
