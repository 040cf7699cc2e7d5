package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable/durabletest"
)

// Environment of TestReport.
const (
	// envReport names the file TestReport writes; unset, it skips.
	envReport = "BENCH_REPORT"
	// envLoads lists the numbers of concurrent reviews per load phase
	// (default "200,500").
	envLoads = "BENCH_LOADS"
	// envLoad, when set, is a single load level instead of envLoads (the
	// older knob).
	envLoad = "BENCH_LOAD"
	// envRepeats is the number of A/B rounds of the load phases (default 2).
	envRepeats = "BENCH_REPEATS"
	// envAblationLoad is the load level at which the ablation variants run
	// (default the first of envLoads; "0" skips their load phases, keeping
	// their history rows).
	envAblationLoad = "BENCH_ABLATION_LOAD"
	// envRounds is the number of review rounds measured (default 5).
	envRounds = "BENCH_ROUNDS"
	// envSeq is the number of reviews run one at a time (default 20).
	envSeq = "BENCH_SEQ"
	// envGoBench is the -count of the go benchmarks ("0" skips them;
	// default 3).
	envGoBench = "BENCH_GO_COUNT"
	// envAblations lists the keys of the ablation variants to measure
	// (default all; "none" for none).
	envAblations = "BENCH_ABLATIONS"
	// envBudget is the time TestReport may take, in minutes (default 24):
	// a repeat that would end after it is not started, and the report says
	// how many ran. `make bench` runs it under a 30-minute test timeout.
	envBudget = "BENCH_BUDGET_MINUTES"
	// envProfileLoad is the load level of the profiled phase, one per flow
	// after the repeats, whose workers write CPU profiles for the report's
	// evidence (default the ablation load; "0" skips it).
	envProfileLoad = "BENCH_PROFILE_LOAD"
	// envChaos names the chaos report whose summary the report copies
	// (default CHAOS.md beside the report).
	envChaos = "BENCH_CHAOS"
)

// chosenAblations are the ablations envAblations selects.
func chosenAblations(t *testing.T) []flow {
	v := os.Getenv(envAblations)
	if v == "" {
		return ablations
	}
	var out []flow
	for k := range strings.SplitSeq(v, ",") {
		k = strings.TrimSpace(k)
		if k == "none" {
			return nil
		}
		f, ok := flowByKey(k)
		require.True(t, ok, "%s: no ablation %q", envAblations, k)
		out = append(out, f)
	}
	return out
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s=%q", name, v)
	require.GreaterOrEqual(t, n, 0, name)
	return n
}

func envInts(t *testing.T, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(t, err, "%s=%q", name, v)
		require.Positive(t, n, name)
		out = append(out, n)
	}
	return out
}

// TestReport measures the baseline, the library and its ablation variants
// and writes docs/BENCHMARKS.md. It runs only when BENCH_REPORT names the
// output file (`make bench`).
func TestReport(t *testing.T) {
	out := os.Getenv(envReport)
	if out == "" {
		t.Skip("set " + envReport + "=path/to/BENCHMARKS.md to run the report (make bench)")
	}
	r := &report{
		rounds:  envInt(t, envRounds, 5),
		loads:   envInts(t, envLoads, []int{200, 500}),
		repeats: max(1, envInt(t, envRepeats, 2)),
		seqN:    envInt(t, envSeq, 20),
		abl:     chosenAblations(t),
		started: time.Now(),
		loadavg: [2]string{loadAvg()},
	}
	if os.Getenv(envLoad) != "" {
		r.loads = []int{envInt(t, envLoad, 500)}
	}
	r.ablationLoad = envInt(t, envAblationLoad, r.loads[0])
	r.profileLoad = envInt(t, envProfileLoad, r.ablationLoad)
	r.flows = append([]flow{baselineFlow, libraryFlow}, r.abl...)
	r.init()
	b := newBench(t)

	for _, f := range r.flows {
		runs := 1 // the library's variants batch nothing: one run tells
		if f.key == baselineFlow.key || f.key == libraryFlow.key || f.key == refAblationKey {
			runs = histRuns
		}
		r.hist[f.key] = medianRound(t, b, f, r.rounds, runs)
		t.Logf("history %s: %+v", f.key, r.hist[f.key])
	}
	r.carried = carried(t, b)
	r.idleServerCPU = idleCPU(t, b)

	r.crashNoFiles = crashPaid(t, b.srv, baselineFlow, false)
	r.crashSeedFiles = crashPaid(t, b.srv, baselineFlow, true)
	r.crashLibrary = crashPaid(t, b.srv, libraryFlow, true)
	t.Logf("crash: baseline %d (seed files %d), library %d", r.crashNoFiles, r.crashSeedFiles, r.crashLibrary)

	// A/B alternation: every repeat runs each flow once per load level,
	// in the opposite order from the repeat before, so drift (a server
	// whose database grows, other jobs on the machine) falls on both sides.
	budget := time.Duration(envInt(t, envBudget, 24)) * time.Minute
	for rep := range r.repeats {
		if rep > 0 {
			perRepeat := time.Since(r.loadStart) / time.Duration(rep)
			if left := budget - time.Since(r.started); left < perRepeat+goBenchTime {
				t.Logf("stopping after %d repeat(s): another would end after the %v budget", rep, budget)
				break
			}
		}
		if rep == 0 {
			r.loadStart = time.Now()
		}
		r.repeatsDone = rep + 1
		for _, n := range r.loads {
			fs := []flow{baselineFlow, libraryFlow}
			if n == r.ablationLoad {
				fs = append(fs, r.abl...)
			}
			if rep%2 == 1 {
				slices.Reverse(fs)
			}
			for _, f := range fs {
				res := load(t, b.srv, f, n, "")
				t.Logf("repeat %d, %d concurrent, %s: %.1f/s p50 %v p99 %v server %v/wf worker %v/wf client %v/wf busy %.0f%%",
					rep+1, n, f.key, res.PerSecond(), res.P50, res.P99, res.ServerCPUPerWF(), res.WorkerCPUPerWF(), res.ClientCPUPerWF(), 100*res.Busy())
				assert.Equal(t, n, res.Completed, f.name)
				assert.Zero(t, res.Open, "%s: no review left running", f.name)
				r.runs[f.key][n] = append(r.runs[f.key][n], res)
			}
		}
		if r.seqN > 0 {
			fs := append([]flow{baselineFlow, libraryFlow}, r.abl...)
			if rep%2 == 1 {
				slices.Reverse(fs)
			}
			for _, f := range fs {
				p50, p99 := sequential(t, b.srv, f, r.seqN)
				r.seq[f.key] = append(r.seq[f.key], [2]time.Duration{p50, p99})
			}
		}
	}
	r.loadavg[1] = loadAvg()
	if r.profileLoad > 0 {
		r.profiles(t, b)
	}
	r.chaos = readChaos(chaosPath(out))
	r.stream = measureStreamCost(t)
	if count := envInt(t, envGoBench, 3); count > 0 {
		r.goBenchCount = count
		r.benchOut = goBench(t, count)
	}
	r.finished = time.Now()
	require.NoError(t, os.WriteFile(out, []byte(r.markdown()), 0o644))
	t.Logf("wrote %s", out)
}

// goBenchTime is about what goBench and the profiled phases take at
// -count=3 on the 2-CPU machine.
const goBenchTime = 4 * time.Minute

// profiles runs one load phase of each of profiledFlows at r.profileLoad
// with CPU profiles of their worker processes, and reads them: the
// evidence of where the workers' CPU time goes.
func (r *report) profiles(t *testing.T, b *bench) {
	t.Helper()
	dir := t.TempDir()
	if d := os.Getenv(envProfile); d != "" {
		dir = d // kept for go tool pprof
	}
	for _, f := range r.profiledFlows() {
		fdir := filepath.Join(dir, f.key)
		require.NoError(t, os.MkdirAll(fdir, 0o755))
		res := load(t, b.srv, f, r.profileLoad, fdir)
		require.Equal(t, r.profileLoad, res.Completed, f.name)
		p, err := readProfiles(res.Profiles)
		require.NoError(t, err, "profiles of %s", f.name)
		r.prof[f.key] = profiled{res: res, p: p}
		t.Logf("profiled %s: %v of samples over %d workflows (%v of worker CPU measured)", f.key, p.Total, res.Completed, res.WorkerCPU)
	}
}

// profiledFlows are the flows of the profiled phases: the baseline, the
// library and the reference ablation when measured.
func (r *report) profiledFlows() []flow {
	fs := []flow{baselineFlow, libraryFlow}
	if ref, ok := r.refAblation(); ok {
		fs = append(fs, ref)
	}
	return fs
}

// carried is the size of the state one run of the library carries to the
// next when it continues as new.
func carried(t *testing.T, b *bench) int {
	t.Helper()
	w := durabletest.StartWorker(t, b.srv, register(t, libraryFlow, b.llm.URL, t.TempDir()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := newID("can")
	require.NoError(t, reviewLibrary(ctx, b.srv.Client(), w.TaskQueue, id, 2, libOpts{MaxDecisionsPerRun: 2}))
	hs, err := history(ctx, b.srv.Client(), id, "")
	require.NoError(t, err)
	require.Positive(t, hs.CarriedInput, "the review continued as new")
	return hs.CarriedInput
}

// idleCPU is the dev server's CPU time per second while no workflow runs
// (its own housekeeping), measured over 5 s; -1 when unknown.
func idleCPU(t *testing.T, b *bench) float64 {
	t.Helper()
	pid, err := serverPID(b.srv)
	if err != nil {
		t.Logf("server CPU unknown: %v", err)
		return -1
	}
	const span = 5 * time.Second
	c0, err0 := procCPU(pid)
	time.Sleep(span) // a measurement interval, not a wait for an event
	c1, err1 := procCPU(pid)
	if err0 != nil || err1 != nil {
		return -1
	}
	return float64(c1-c0) / span.Seconds()
}

// goBenchPackages are the packages with go benchmarks, by module directory
// relative to this package: the library's (idem, llm) in the root module,
// this harness's in its own. TestGoBenchPackages keeps the list complete.
var goBenchPackages = []struct {
	dir  string
	pkgs []string
}{{"../..", []string{"./idem", "./llm"}}, {"..", []string{"./bench"}}}

// goBench runs the go benchmarks of goBenchPackages count times and
// returns their result lines.
func goBench(t *testing.T, count int) []string {
	var buf bytes.Buffer
	for _, run := range goBenchPackages {
		args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count=" + strconv.Itoa(count)}, run.pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Dir = run.dir
		cmd.Stdout, cmd.Stderr = &buf, &buf
		require.NoError(t, cmd.Run(), buf.String())
	}
	var lines []string
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Benchmark") {
			lines = append(lines, strings.Join(strings.Fields(sc.Text()), " "))
		}
	}
	require.NotEmpty(t, lines, buf.String())
	return lines
}

// loadAvg is /proc/loadavg's first three figures, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
