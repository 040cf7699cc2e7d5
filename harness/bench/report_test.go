package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
)

// Environment of TestReport.
const (
	// envReport names the file TestReport writes; unset, it skips.
	envReport = "BENCH_REPORT"
	// envLoad is the number of concurrent reviews per flow (default 500).
	envLoad = "BENCH_LOAD"
	// envRounds is the number of review rounds measured (default 5).
	envRounds = "BENCH_ROUNDS"
)

// seqReviews is the number of reviews run one at a time for the latency of
// an unloaded system.
const seqReviews = 20

// Temporal's default history limits.
const (
	historyBytesLimit  = 50 << 20
	historyEventsLimit = 51200
	payloadLimit       = 2 << 20
)

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s=%q", name, v)
	require.Positive(t, n, name)
	return n
}

// TestReport measures both flows and writes docs/BENCHMARKS.md. It runs
// only when BENCH_REPORT names the output file (`make bench`).
func TestReport(t *testing.T) {
	out := os.Getenv(envReport)
	if out == "" {
		t.Skip("set " + envReport + "=path/to/BENCHMARKS.md to run the report (make bench)")
	}
	rounds := envInt(t, envRounds, 5)
	n := envInt(t, envLoad, 500)
	b := newBench(t)
	var r report
	r.rounds, r.n = rounds, n

	for i, f := range []flow{baselineFlow, libraryFlow} {
		none, with := roundCost(t, b, f, rounds)
		r.none[i], r.with[i] = none, with
		t.Logf("%s: %+v / %+v", f.name, none, with)
	}
	// The library continues as new: measure what one run carries to the next.
	{
		w := durabletest.StartWorker(t, b.srv, libraryFlow.register(t, b.llm, t.TempDir()))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		id := newID("can")
		require.NoError(t, reviewLibrary(ctx, b.srv.Client(), w.TaskQueue, id, 2, 2))
		hs, err := history(ctx, b.srv.Client(), id, "")
		cancel()
		require.NoError(t, err)
		require.Positive(t, hs.CarriedInput, "the review continued as new")
		r.carried = hs.CarriedInput
	}

	r.crashNoFiles = crashPaid(t, b.srv, baselineFlow, false)
	r.crashSeedFiles = crashPaid(t, b.srv, baselineFlow, true)
	r.crashLibrary = crashPaid(t, b.srv, libraryFlow, true)
	t.Logf("crash: baseline %d (seed files %d), library %d", r.crashNoFiles, r.crashSeedFiles, r.crashLibrary)

	for i, f := range []flow{baselineFlow, libraryFlow} {
		r.load[i] = load(t, b.srv, f, n)
		t.Logf("%s: %+v", f.name, r.load[i])
		assert.Equal(t, n, r.load[i].Completed)
		assert.Zero(t, r.load[i].Open, "no review left running")
		r.seqP50[i], r.seqP99[i] = sequential(t, b.srv, f, seqReviews)
	}

	r.benchOut = goBench(t)
	require.NoError(t, os.WriteFile(out, []byte(r.markdown()), 0o644))
	t.Logf("wrote %s", out)
}

// goBench runs the helpers' benchmarks and returns their result lines: the
// library's (idem, llm) in the root module, this harness's in its own.
func goBench(t *testing.T) []string {
	var buf bytes.Buffer
	for _, run := range []struct {
		dir  string
		pkgs []string
	}{{"../..", []string{"./idem", "./llm"}}, {"..", []string{"./bench"}}} {
		args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-count=3"}, run.pkgs...)
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

type report struct {
	rounds, n      int
	none, with     [2]histStats
	carried        int
	crashNoFiles   int
	crashSeedFiles int
	crashLibrary   int
	load           [2]loadResult
	seqP50, seqP99 [2]time.Duration
	benchOut       []string
}

func (r report) perRound(i int) (events, bytes float64) {
	k := float64(r.rounds)
	return float64(r.with[i].Events-r.none[i].Events) / k, float64(r.with[i].Bytes-r.none[i].Bytes) / k
}

// roundsToLimit is how many rounds one run holds before a history limit.
func (r report) roundsToLimit(i int) (rounds int, which string) {
	e, by := r.perRound(i)
	byBytes := float64(historyBytesLimit-r.none[i].Bytes) / by
	byEvents := float64(historyEventsLimit-r.none[i].Events) / e
	if byBytes < byEvents {
		return int(byBytes), "50 MB of history"
	}
	return int(byEvents), "51,200 events"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func ratio(lib, base float64) string { return fmt.Sprintf("%.2f×", lib/base) }

func kb(n float64) string { return fmt.Sprintf("%.1f KB", n/1024) }

func mib(n float64) string { return fmt.Sprintf("%.2f MiB", n/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// nsPerOp is the lowest ns/op of the benchmark named name in the result
// lines (the benchmarks run several times; the lowest is the least disturbed
// by other work on the machine), or 0.
func (r report) nsPerOp(name string) float64 {
	best := 0.0
	for _, l := range r.benchOut {
		f := strings.Fields(l)
		if len(f) >= 4 && strings.HasPrefix(f[0], name+"-") && f[3] == "ns/op" {
			if v, err := strconv.ParseFloat(f[2], 64); err == nil && (best == 0 || v < best) {
				best = v
			}
		}
	}
	return best
}

func (r report) markdown() string {
	var s strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&s, format+"\n", a...) }
	be, bb := r.perRound(0)
	le, lb := r.perRound(1)
	br, bwhich := r.roundsToLimit(0)
	lr, _ := r.roundsToLimit(1)
	lr = min(lr, hitl.DefaultMaxDecisionsPerRun)

	p("# Benchmarks")
	p("")
	p("Written by `make bench` (`BENCH_REPORT=docs/BENCHMARKS.md go test ./bench -run TestReport`) on %s.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	p("Do not edit by hand: run it again.")
	p("")
	p("## Method")
	p("")
	p("The **baseline** is the seed tutorial's document-approval flow written the way the seed writes it,")
	p("directly on the SDK (`bench/baseline`): `submit_edit`/`approve` signals, a `status` query, the full")
	p("draft text passed into every revision, the openai-go client, and the seed's JSON file per")
	p("`(doc_id, version)`. The **library** is `examples/docapproval` (`hitl` updates, `llm`, `idem`).")
	p("Both run on the same embedded dev server (`durable.StartDevServer`, SQLite in memory) against")
	p("the `llmtest` OpenAI-compatible server, which answers every call with a %d-byte (20 KB) document.", draftBytes)
	p("Scripted reviewers make one edit per round and approve at the end; the baseline's reviewer waits")
	p("for each revision by polling the status query (50 ms doubling to 500 ms), the library's uses the")
	p("hitl update, which returns once the revision exists. History sizes are `proto.Size` of every event")
	p("from `GetWorkflowHistory`; a round's cost is (history after %d rounds − history after 0) / %d.", r.rounds, r.rounds)
	p("Ratios are library ÷ baseline (below 1 means the library uses less).")
	p("")
	p("Machine: %d CPUs (`nproc`), %s, %s/%s, %s. The machine was shared with other jobs,", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("so treat times as indicative and compare the two flows within this run only.")
	p("")
	p("## History per review round (20 KB drafts)")
	p("")
	p("| | baseline | library | ratio |")
	p("|---|---|---|---|")
	p("| events per round | %.1f | %.1f | %s |", be, le, ratio(le, be))
	p("| bytes per round | %s | %s | %s |", kb(bb), kb(lb), ratio(lb, bb))
	p("| history of a review with no edit | %d events, %s | %d events, %s | %s |", r.none[0].Events, kb(float64(r.none[0].Bytes)), r.none[1].Events, kb(float64(r.none[1].Bytes)), ratio(float64(r.none[1].Bytes), float64(r.none[0].Bytes)))
	p("| largest event | %s (%s) | %s (%s) | %s |", kb(float64(r.with[0].MaxEvent)), r.with[0].MaxEventType,
		kb(float64(r.with[1].MaxEvent)), r.with[1].MaxEventType, ratio(float64(r.with[1].MaxEvent), float64(r.with[0].MaxEvent)))
	p("")
	p("Both flows record the full text twice per round (the revision's input carries the current version,")
	p("its result the new one), so a round costs about the same in bytes; the library adds its decision")
	p("updates (more events) and a larger fixed part (the attach update, and a result that carries the")
	p("approved text once, with the persisted record's hash).")
	p("")
	p("## Rounds before the server's limits")
	p("")
	p("Limits: 50 MB or 51,200 events per history, 2 MiB per payload.")
	p("")
	p("- Largest draft before one payload passes 2 MiB: baseline about **%s** (its largest event holds one copy),",
		mib(float64(payloadLimit)*float64(draftBytes)/float64(r.with[0].MaxEvent)))
	p("  library about **%s** (its workflow result holds one, plus the review state). 20 KB drafts are far below both.",
		mib(float64(payloadLimit)*float64(draftBytes)/float64(r.with[1].MaxEvent)))
	p("- Baseline: one run holds about **%d rounds**; then %s is reached and the server terminates the workflow.", br, bwhich)
	p("- Library: at most **%d rounds per run**, because `hitl` continues as new after %d decisions (or earlier",
		lr, hitl.DefaultMaxDecisionsPerRun)
	p("  when the server suggests it); the next run starts with the review's state, measured at **%s**", kb(float64(r.carried)))
	p("  (current version, usage, audit trail capped at %d entries), so the number of rounds is unbounded.", hitl.DefaultAuditLimit)
	p("")
	p("## Paid LLM requests per completed workflow under a crash")
	p("")
	p("The worker is killed after the draft call returned and before its result reached the server")
	p("(`durabletest.NewCrashPoint` + `Kill`/`Restart`); the server retries the draft on the new worker.")
	p("")
	p("| | paid requests |")
	p("|---|---|")
	p("| baseline, retry on a worker without the seed's files (another machine, or files not kept) | %d |", r.crashNoFiles)
	p("| baseline, retry on the same disk (the seed's file per `(doc_id, version)` is found) | %d |", r.crashSeedFiles)
	p("| library (`idem` record per `(doc_id, version)` in a store the workers share) | %d |", r.crashLibrary)
	p("")
	p("The seed's own file cache saves the second call only when the retry lands on the machine that wrote")
	p("the file; the library's store is meant to be shared by every worker (file store on shared disk, or Postgres).")
	p("")
	p("## Throughput and end-to-end latency")
	p("")
	p("%d reviews per flow started at once (one edit, then approve), two workers on one task queue,", r.n)
	p("latency from start to result as the reviewer sees it (under this load it is mostly queueing).")
	p("All %d of each completed; afterwards %d and %d workflows were still running on the task queues", r.n, r.load[0].Open, r.load[1].Open)
	p("(a visibility count). The last rows are %d reviews run one at a time on one worker: the latency of", seqReviews)
	p("an idle system, where the baseline's figure includes its status polling (50 + 100 + 200 ms).")
	p("")
	p("| | baseline | library | ratio |")
	p("|---|---|---|---|")
	lb0, lb1 := r.load[0], r.load[1]
	p("| workflows per second | %.1f | %.1f | %s |", lb0.PerSecond(), lb1.PerSecond(), ratio(lb1.PerSecond(), lb0.PerSecond()))
	p("| p50 latency | %s | %s | %s |", ms(lb0.P50), ms(lb1.P50), ratio(float64(lb1.P50), float64(lb0.P50)))
	p("| p99 latency | %s | %s | %s |", ms(lb0.P99), ms(lb1.P99), ratio(float64(lb1.P99), float64(lb0.P99)))
	p("| wall time | %s | %s | |", lb0.Wall.Round(time.Millisecond), lb1.Wall.Round(time.Millisecond))
	p("| p50 latency, one at a time | %s | %s | %s |", ms(r.seqP50[0]), ms(r.seqP50[1]), ratio(float64(r.seqP50[1]), float64(r.seqP50[0])))
	p("| p99 latency, one at a time | %s | %s | %s |", ms(r.seqP99[0]), ms(r.seqP99[1]), ratio(float64(r.seqP99[1]), float64(r.seqP99[0])))
	p("| LLM requests paid per workflow | %.2f | %.2f | |", float64(lb0.Billed)/float64(lb0.N), float64(lb1.Billed)/float64(lb1.N))
	p("")
	p("## Per-call overhead of the helpers (`go test -bench`)")
	p("")
	p("Each benchmark ran three times (`-count=3`); the figures below take the fastest run.")
	p("")
	if pl, sg := r.nsPerOp("BenchmarkExecuteActivity"), r.nsPerOp("BenchmarkSagaStep"); pl > 0 && sg > 0 {
		p("- `saga.Step` (call, ledger entry, compensation registered) vs a plain `workflow.ExecuteActivity`,")
		p("  in the SDK's test environment: %.1f µs vs %.1f µs per call, %s. On this shared machine a gap", sg/1000, pl/1000, ratio(sg, pl))
		p("  of a few tens of percent either way between two such figures is noise: the step adds no cost it resolves.")
	}
	if un := r.nsPerOp("BenchmarkUnwrapped"); un > 0 {
		for _, st := range []string{"memory", "file", "postgres"} {
			if fi, re := r.nsPerOp("BenchmarkWrap/"+st+"/first"), r.nsPerOp("BenchmarkWrap/"+st+"/replay"); fi > 0 && re > 0 {
				p("- `idem.Wrap`, %s store: %.1f µs added to a first call, %.1f µs to a call whose answer is recorded.", st, (fi-un)/1000, (re-un)/1000)
			}
		}
	}
	if bp, cl := r.nsPerOp("BenchmarkBuildParams"), r.nsPerOp("BenchmarkClassify/rate_limit"); bp > 0 && cl > 0 {
		p("- `llm`: building a request %.1f µs, classifying a provider error %.1f µs: small beside a model call.", bp/1000, cl/1000)
	}
	p("")
	p("```")
	for _, l := range r.benchOut {
		p("%s", l)
	}
	p("```")
	return s.String()
}
