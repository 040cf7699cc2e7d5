package bench_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
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
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

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

// register is f.register for a worker in this process.
func register(t testing.TB, f flow, llmURL, dir string) func(worker.Registry) {
	t.Helper()
	reg, err := f.register(llmURL, dir)
	require.NoError(t, err, f.name)
	return reg
}

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
	// Tasks counts workflow tasks completed; Upserts the search-attribute
	// upserts.
	Tasks   int
	Upserts int
	// TypeBytes and TypeEvents are Bytes and Events by event type.
	TypeBytes, TypeEvents map[string]int
}

func history(ctx context.Context, c client.Client, id, runID string) (histStats, error) {
	hs := histStats{TypeBytes: map[string]int{}, TypeEvents: map[string]int{}}
	it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return hs, err
		}
		hs.Events++
		size := proto.Size(ev)
		hs.Bytes += size
		hs.TypeBytes[ev.GetEventType().String()] += size
		hs.TypeEvents[ev.GetEventType().String()]++
		if size > hs.MaxEvent {
			hs.MaxEvent, hs.MaxEventType = size, ev.GetEventType().String()
		}
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			hs.Tasks++
		case enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			hs.Upserts++
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

// rounds are the histories of one flow's reviews with no edit, one edit
// and 1+R edits: (more - one) / R is the cost of a review round after the
// first (the first can differ: the baseline's reviewer sends its first
// edit before the draft exists, so it shares the draft's workflow task).
type rounds struct{ none, one, more histStats }

// roundCost runs f with 0, 1 and 1+edits edits.
func roundCost(t *testing.T, b *bench, f flow, edits int) rounds {
	t.Helper()
	w := durabletest.StartWorker(t, b.srv, register(t, f, b.llm.URL, t.TempDir()))
	c := b.srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out [3]histStats
	for i, n := range []int{0, 1, 1 + edits} {
		id := newID("round")
		require.NoError(t, f.review(ctx, c, w.TaskQueue, id, n), "%s with %d edits", f.name, n)
		hs, err := history(ctx, c, id, "")
		require.NoError(t, err)
		out[i] = hs
	}
	return rounds{none: out[0], one: out[1], more: out[2]}
}

// histRuns is how many times medianRound measures a flow's history.
const histRuns = 3

// medianRound runs roundCost n times and returns the run with the
// median number of events per round: the count varies with timing (a
// signal or update that arrives while a workflow task runs is handled in
// that task's successor, which may also carry other events).
func medianRound(t *testing.T, b *bench, f flow, edits, n int) rounds {
	t.Helper()
	runs := make([]rounds, n)
	for i := range runs {
		runs[i] = roundCost(t, b, f, edits)
	}
	sort.Slice(runs, func(i, j int) bool {
		return runs[i].more.Events-runs[i].one.Events < runs[j].more.Events-runs[j].one.Events
	})
	return runs[len(runs)/2]
}

// crashPaid runs one review (draft, approve) whose worker is killed after
// the draft call returned and before its result reached the server, and
// returns how many LLM requests were paid for. Without a shared folder for
// the baseline, the restarted worker starts on an empty disk.
func crashPaid(t *testing.T, srv *durable.DevServer, f flow, sameDisk bool) int {
	t.Helper()
	s := newLLM(t)
	dir := t.TempDir()
	if f.key == baselineFlow.key && !sameDisk {
		dir = "" // no files: the seed's cache off, or on another machine
	}
	cp := durabletest.NewCrashPoint(f.draftActivity)
	w := durabletest.StartWorker(t, srv, register(t, f, s.URL, dir), worker.Options{Interceptors: []interceptor.WorkerInterceptor{cp}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	review := f.review
	if f.key == baselineFlow.key {
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
	// ServerCPU and WorkerCPU are the CPU time (user + system) the dev
	// server's process and the worker processes used during the phase;
	// ClientCPU the test process's (the reviewers, their client and the
	// LLM test server); MachineCPU every process's on the machine, these
	// and other jobs. -1 when /proc could not tell.
	ServerCPU, WorkerCPU, ClientCPU, MachineCPU time.Duration
	// Requests are the requests to the server by operation, of the
	// workers and the reviewers together (the SDK's request counters).
	Requests map[string]int64
	// Counters are the SDK's counters of the workers and the reviewers
	// (metrics.go), for the figures Requests does not hold.
	Counters map[string]int64
	// Profiles are the worker processes' CPU profiles, when asked for.
	Profiles []string
	// Disk is what the machine's disks did during the phase (every
	// process's I/O); DiskKnown is false where /proc could not tell.
	Disk      diskCounters
	DiskKnown bool
}

// FlushesPerWF is the disk flushes (fsyncs reaching the disk) per
// completed workflow, or -1 when unknown.
func (r loadResult) FlushesPerWF() float64 {
	if !r.DiskKnown || r.Completed == 0 {
		return -1
	}
	return float64(r.Disk.Flushes) / float64(r.Completed)
}

// DiskBusy is the share of the wall time the disks had requests in
// flight, or -1 when unknown.
func (r loadResult) DiskBusy() float64 {
	if !r.DiskKnown || r.Wall <= 0 {
		return -1
	}
	return r.Disk.Busy.Seconds() / r.Wall.Seconds()
}

// IOWaitShare is the share of the CPUs' time spent idle waiting for I/O,
// or -1 when unknown.
func (r loadResult) IOWaitShare() float64 {
	if !r.DiskKnown || r.Wall <= 0 {
		return -1
	}
	return r.Disk.IOWait.Seconds() / (r.Wall.Seconds() * float64(runtime.NumCPU()))
}

// PerSecond is the throughput in completed workflows per second.
func (r loadResult) PerSecond() float64 { return float64(r.Completed) / r.Wall.Seconds() }

// ServerCPUPerWF and WorkerCPUPerWF are CPU time per completed workflow,
// or -1 when unknown.
func (r loadResult) ServerCPUPerWF() time.Duration { return perWF(r.ServerCPU, r.Completed) }

// WorkerCPUPerWF is the workers' CPU time per completed workflow.
func (r loadResult) WorkerCPUPerWF() time.Duration { return perWF(r.WorkerCPU, r.Completed) }

// ClientCPUPerWF is the test process's CPU time per completed workflow.
func (r loadResult) ClientCPUPerWF() time.Duration { return perWF(r.ClientCPU, r.Completed) }

// OtherCPUPerWF is the CPU time per completed workflow of every other
// process on the machine (other jobs), or -1 when unknown.
func (r loadResult) OtherCPUPerWF() time.Duration {
	if r.MachineCPU < 0 || r.ServerCPU < 0 || r.WorkerCPU < 0 || r.ClientCPU < 0 {
		return -1
	}
	return perWF(max(0, r.MachineCPU-r.ServerCPU-r.WorkerCPU-r.ClientCPU), r.Completed)
}

// Busy is the share of the machine's CPUs in use during the phase (1: all
// of them, all the time), or -1 when unknown.
func (r loadResult) Busy() float64 {
	if r.MachineCPU < 0 || r.Wall <= 0 {
		return -1
	}
	return r.MachineCPU.Seconds() / (r.Wall.Seconds() * float64(runtime.NumCPU()))
}

func perWF(d time.Duration, n int) time.Duration {
	if d < 0 || n == 0 {
		return -1
	}
	return d / time.Duration(n)
}

// loadWorkers is the number of worker processes of a load phase.
const loadWorkers = 2

// load starts n reviews of f at once (one edit, then approve) on two
// worker processes sharing a task queue and a folder, waits for all of
// them, and measures the CPU the server, the workers, this process and
// the machine used meanwhile and the requests the workers and reviewers
// made. With profDir set, the workers write CPU profiles into it.
func load(t *testing.T, srv *durable.DevServer, f flow, n int, profDir string) loadResult {
	t.Helper()
	s := newLLM(t)
	tq := fmt.Sprintf("load-%s-%d-%s", f.key, n, uuid.NewString()[:8])
	procs := startWorkerProcs(t, srv, f, tq, s.URL, t.TempDir(), loadWorkers, profDir)
	stopped := false
	stopAll := func() {
		if !stopped {
			stopped = true
			for _, p := range procs {
				p.stop()
			}
		}
	}
	defer stopAll()
	reviewers := newCounts()
	c, err := client.Dial(client.Options{HostPort: srv.HostPort(), Namespace: srv.Namespace(), Logger: durabletest.Logger(),
		MetricsHandler: reviewers.handler()})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	spid, spidErr := serverPID(srv)
	self := os.Getpid()
	type cpus struct{ server, workers, client, machine time.Duration }
	cpuAt := func() cpus {
		at := cpus{-1, -1, -1, -1}
		if spidErr == nil {
			if d, err := procCPU(spid); err == nil {
				at.server = d
			}
		}
		if d, err := procsCPU(procs); err == nil {
			at.workers = d
		}
		if d, err := procCPU(self); err == nil {
			at.client = d
		}
		if d, err := machineCPU(); err == nil {
			at.machine = d
		}
		return at
	}
	diff := func(a, b time.Duration) time.Duration {
		if a < 0 || b < 0 {
			return -1
		}
		return b - a
	}
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	d0, d0Err := readDisk()
	c0 := cpuAt()
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			t0 := time.Now()
			errs[i] = f.review(ctx, c, tq, newID("load"), 1)
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	res := loadResult{N: n, Wall: time.Since(start), Billed: s.Billed()}
	c1 := cpuAt()
	if d1, err := readDisk(); err == nil && d0Err == nil {
		res.Disk, res.DiskKnown = d1.sub(d0), true
	}
	res.ServerCPU, res.WorkerCPU = diff(c0.server, c1.server), diff(c0.workers, c1.workers)
	res.ClientCPU, res.MachineCPU = diff(c0.client, c1.client), diff(c0.machine, c1.machine)
	for i, err := range errs {
		require.NoError(t, err, "%s: review %d of %d (worker log: %s)", f.name, i+1, n, procs[0].logTail())
		res.Completed++
	}
	res.P50, res.P99 = percentiles(lat)
	res.Open = openCount(t, ctx, srv.Client(), f, tq)

	stopAll() // the workers write their counters and profiles as they stop
	res.Counters = reviewers.snapshot()
	for _, p := range procs {
		require.NoError(t, readCounts(p.counts, res.Counters), "counters of a worker of %s: %s", f.name, p.logTail())
		if p.profile != "" {
			res.Profiles = append(res.Profiles, p.profile)
		}
	}
	res.Requests = requests(res.Counters)
	return res
}

// openCount counts the workflows still running on tq. Visibility lags
// behind the histories: it counts until the figure is 0 or 30 s passed.
func openCount(t *testing.T, ctx context.Context, c client.Client, f flow, tq string) int64 {
	t.Helper()
	q := fmt.Sprintf("TaskQueue = %q AND ExecutionStatus = 'Running'", tq)
	open := int64(-1)
	assert.Eventually(t, func() bool {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
		if err != nil {
			return false
		}
		open = resp.GetCount()
		return open == 0
	}, 30*time.Second, 500*time.Millisecond, "%s: reviews still running after all returned", f.name)
	return open
}

// sequential runs n reviews of f one after the other (one edit, then
// approve) on one worker process and returns their p50 and p99
// end-to-end latency.
func sequential(t *testing.T, srv *durable.DevServer, f flow, n int) (p50, p99 time.Duration) {
	t.Helper()
	s := newLLM(t)
	tq := fmt.Sprintf("seq-%s-%s", f.key, uuid.NewString()[:8])
	procs := startWorkerProcs(t, srv, f, tq, s.URL, t.TempDir(), 1, "")
	defer procs[0].stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lat := make([]time.Duration, n)
	for i := range n {
		t0 := time.Now()
		require.NoError(t, f.review(ctx, srv.Client(), tq, newID("seq"), 1), f.name)
		lat[i] = time.Since(t0)
	}
	return percentiles(lat)
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	n := len(lat)
	return lat[(n-1)*50/100], lat[(n-1)*99/100]
}
