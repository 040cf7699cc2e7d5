package bench_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/durable-llm/durable-llm/hitl"
)

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

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kbs int
			if _, err := fmt.Sscan(strings.TrimSpace(v), &kbs); err == nil {
				return fmt.Sprintf("%.1f GiB", float64(kbs)/(1<<20))
			}
		}
	}
	return "unknown"
}

func ratio(lib, base float64) string {
	if lib < 0 || base <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", lib/base)
}

func ratios(xs []float64) string {
	if len(xs) == 0 {
		return "n/a"
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.2f×", x)
	}
	return strings.Join(s, ", ")
}

func kb(n float64) string { return fmt.Sprintf("%.1f KB", n/1024) }

func mib(n float64) string { return fmt.Sprintf("%.2f MiB", n/(1<<20)) }

// msf formats a duration held as float64 nanoseconds in milliseconds.
func msf(ns float64) string {
	if ns < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f ms", ns/1e6)
}

// cpuf formats a CPU time per workflow held as float64 nanoseconds.
func cpuf(ns float64) string {
	if ns < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f ms", ns/1e6)
}

// pctf formats a share (1 = 100 %).
func pctf(x float64) string {
	if x < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f %%", 100*x)
}

// pct1 formats a share (1 = 100 %) with one decimal.
func pct1(x float64) string {
	if x < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f %%", 100*x)
}

// verdict says whether a target is met.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

type md struct{ strings.Builder }

func (s *md) p(format string, a ...any) { fmt.Fprintf(s, format+"\n", a...) }

func (r *report) markdown() string {
	var s md
	s.p("# Benchmarks")
	s.p("")
	s.p("Written by `make bench` (`BENCH_REPORT=docs/BENCHMARKS.md go test ./bench -run TestReport` in `harness/`) on %s,",
		r.finished.UTC().Format("2006-01-02 15:04 UTC"))
	s.p("in %s. Do not edit by hand: run it again.", r.finished.Sub(r.started).Round(time.Second))
	s.p("")
	r.method(&s)
	r.targets(&s)
	r.evidence(&s)
	r.causes(&s)
	r.historySection(&s)
	r.breakdown(&s)
	r.limitsSection(&s)
	r.crashSection(&s)
	r.chaosSection(&s)
	r.streamSection(&s)
	r.loadSection(&s)
	r.ablationSection(&s)
	r.goBenchSection(&s)
	return s.String()
}

func (r *report) method(s *md) {
	s.p("## Method")
	s.p("")
	s.p("The **baseline** is the seed tutorial's document-approval flow written the way the seed writes it,")
	s.p("directly on the SDK (`harness/bench/baseline`): `submit_edit`/`approve` signals, a `status` query, the full")
	s.p("draft text passed into every revision, the openai-go client, and the seed's JSON file per")
	s.p("`(doc_id, version)`. The **library** is `examples/docapproval` as it ships (`hitl` updates, `llm`, `idem`).")
	s.p("Both run on the same dev server (`durable.StartDevServer`, the pinned temporal CLI, SQLite in memory) against")
	s.p("the `llmtest` OpenAI-compatible server, which answers every call with a %d-byte (20 KB) document.", draftBytes)
	s.p("Scripted reviewers make one edit per round and approve at the end; the baseline's reviewer waits")
	s.p("for each revision by polling the status query (50 ms doubling to 500 ms), the library's uses the")
	s.p("hitl update, which returns once the revision exists.")
	s.p("")
	s.p("- **History**: `proto.Size` of every event from `GetWorkflowHistory`; a round's cost is")
	s.p("  (history after %d edits − history after 1) / %d: the rounds after the first, because the baseline's reviewer", 1+r.rounds, r.rounds)
	s.p("  sends its first edit before the draft exists, so it shares the draft's workflow task. The median of %d", histRuns)
	s.p("  runs for the baseline (timing can move a signal into another workflow task), the library and %s;", refAblationKey)
	s.p("  one run for the other ablations.")
	s.p("- **Load**: N reviews started at once (one edit, then approve) on %d worker processes sharing one task", loadWorkers)
	s.p("  queue and one folder (the test binary re-executed as a worker, so a worker's CPU is its own process's;")
	s.p("  the reviewers and the LLM server run in the test process). Throughput is completed workflows ÷ wall time")
	s.p("  from the first start to the last result; latency is start to result as the reviewer sees it.")
	s.p("- **CPU per workflow**: user + system time from `/proc/<pid>/stat` of the dev server's process (the")
	s.p("  temporal CLI child whose `--port` is the server's) and of the worker processes, read before and after")
	s.p("  the phase, ÷ workflows completed. On a shared machine CPU time is less noisy than wall time. The test")
	s.p("  process's own CPU (reviewers, LLM server) and the whole machine's (`/proc/stat`) are read the same way;")
	s.p("  what the machine used beyond the three is other jobs'.")
	if r.idleServerCPU >= 0 {
		s.p("  Idle, the server used %.1f ms of CPU per second (its own housekeeping); the figures include it, so a", r.idleServerCPU/1e6)
		s.p("  phase that takes longer is charged a little more of it.")
	}
	if r.repeatsDone < r.repeats {
		s.p("- **A/B alternation**: %d repeat(s) of the %d asked for (another would have passed the time budget); each", r.repeatsDone, r.repeats)
		s.p("  repeat runs every flow once per load level (%s concurrent),", intsList(r.loads))
	} else {
		s.p("- **A/B alternation**: %d repeats; each repeat runs every flow once per load level (%s concurrent),", r.repeats, intsList(r.loads))
	}
	s.p("  in the opposite order from the repeat before (baseline, library, …; then …, library, baseline), so")
	s.p("  drift (the server's database growing, other jobs) falls on both sides. Tables give the **median** over")
	s.p("  the repeats; the per-repeat ratios follow, to show the spread.")
	if r.ablationLoad > 0 && len(r.abl) > 0 {
		s.p("- **Ablations**: variants that differ from the library by one change each (see")
		s.p("  [Ablations](#ablations-what-each-change-bought)), measured in the same alternation at %d concurrent.", r.ablationLoad)
	}
	s.p("- **Idle latency**: %d reviews one at a time on one worker process, per repeat and flow.", r.seqN)
	s.p("- **Requests**: the SDK's request counters (a `client.MetricsHandler` that counts) in the worker processes")
	s.p("  and the reviewers' client, by operation.")
	if r.profileLoad > 0 {
		s.p("- **Profiles**: after the repeats, one more load phase per flow at %d concurrent whose workers write", r.profileLoad)
		s.p("  CPU profiles (see [Evidence](#evidence-where-the-time-and-the-bytes-go)); its figures are not in the medians.")
	}
	s.p("")
	s.p("Machine: %d CPUs (`nproc`), %s, %s RAM, %s/%s, %s. Load average (1, 5, 15 min) %s before the",
		runtime.NumCPU(), cpuModel(), memTotal(), runtime.GOOS, runtime.GOARCH, runtime.Version(), r.loadavg[0])
	s.p("load phases and %s after: the machine was shared with other jobs, so wall-time figures", r.loadavg[1])
	s.p("(throughput, latency) move between runs; compare flows within this run, and prefer the CPU figures.")
	s.p("Ratios are library ÷ baseline (below 1 means the library uses less).")
	s.p("")
}

func intsList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " and ")
}

// target is one row of the targets table: a figure of the baseline, the
// library and (when measured) the reference ablation, and the test the
// library's must pass against the baseline's.
type target struct {
	name          string
	base, lib, ab float64 // ab < 0: not measured
	format        func(float64) string
	ok            func(lib, base float64) bool
}

// targetRows are the targets, with the figures of flow abKey ("" for none)
// in the ab column.
func (r *report) targetRows(abKey string) []target {
	b, l := baselineFlow.key, libraryFlow.key
	ref, hasRef := flow{key: abKey}, abKey != ""
	be, bb := r.perRound(b)
	le, lb := r.perRound(l)
	ae, ab := -1.0, -1.0
	if hasRef {
		ae, ab = r.perRound(ref.key)
	}
	pct := func(base float64) func(float64) string {
		return func(x float64) string { return fmt.Sprintf("%s (%.1f %%)", kb(x), 100*x/base) }
	}
	one := func(x float64) string { return fmt.Sprintf("%.1f", x) }
	rows := []target{
		{"bytes of history per round ≤ 5 % of the baseline's", bb, lb, ab, pct(bb), func(l, b float64) bool { return l <= 0.05*b }},
		{"events per round ≤ 1.15× the baseline's", be, le, ae, one, func(l, b float64) bool { return l <= 1.15*b }},
	}
	for _, n := range r.loads {
		stat := func(key string, fig func(loadResult) float64) float64 {
			if len(r.runs[key][n]) == 0 {
				return -1
			}
			v, _ := r.loadStat(key, n, fig)
			return v
		}
		row := func(name string, fig func(loadResult) float64, format func(float64) string, ok func(l, b float64) bool) target {
			t := target{name: name, base: stat(b, fig), lib: stat(l, fig), ab: -1, format: format, ok: ok}
			if hasRef {
				t.ab = stat(ref.key, fig)
			}
			return t
		}
		notAbove := func(l, b float64) bool { return b > 0 && l >= 0 && l <= b }
		rows = append(rows,
			row(fmt.Sprintf("workflows per second ≥ 1.2× at %d concurrent", n), figPerSecond, one, func(l, b float64) bool { return b > 0 && l >= 1.2*b }),
			row(fmt.Sprintf("p99 latency ≤ the baseline's at %d concurrent", n), figP99, msf, notAbove),
			row(fmt.Sprintf("server CPU per workflow ≤ the baseline's at %d concurrent", n), figServerCPU, cpuf, notAbove),
			row(fmt.Sprintf("worker CPU per workflow ≤ the baseline's at %d concurrent", n), figWorkerCPU, cpuf, notAbove),
		)
	}
	if r.seqN > 0 {
		t := target{name: "idle latency (p50, one review at a time) ≤ the baseline's", base: r.seqStat(b, 0), lib: r.seqStat(l, 0), ab: -1,
			format: msf, ok: func(l, b float64) bool { return b > 0 && l >= 0 && l <= b }}
		if hasRef && len(r.seq[ref.key]) > 0 {
			t.ab = r.seqStat(ref.key, 0)
		}
		rows = append(rows, t)
	}
	return rows
}

// refAblation is the ablation the targets table shows beside the library,
// when it was measured.
func (r *report) refAblation() (flow, bool) {
	for _, f := range r.abl {
		if f.key == refAblationKey {
			return f, true
		}
	}
	return flow{}, false
}

func (r *report) targets(s *md) {
	ref, hasRef := r.refAblation()
	s.p("## Targets")
	s.p("")
	if hasRef {
		s.p("The last two columns are the library with one change, %q: what opting in costs (see [Ablations](#ablations-what-each-change-bought)).", ref.name)
		s.p("")
		s.p("| target | baseline | library | ratio | | %s | ratio | |", ref.key)
		s.p("|---|---|---|---|---|---|---|---|")
	} else {
		s.p("| target | baseline | library | ratio | |")
		s.p("|---|---|---|---|---|")
	}
	for _, t := range r.targetRows(ref.key) {
		row := fmt.Sprintf("| %s | %s | %s | %s | %s |", t.name, t.format(t.base), t.format(t.lib), ratio(t.lib, t.base), verdict(t.ok(t.lib, t.base)))
		if hasRef {
			if t.ab < 0 {
				row += " n/a | | |"
			} else {
				row += fmt.Sprintf(" %s | %s | %s |", t.format(t.ab), ratio(t.ab, t.base), verdict(t.ok(t.ab, t.base)))
			}
		}
		s.p("%s", row)
	}
	for _, t := range r.idemRows() {
		row := fmt.Sprintf("| %s | %s | %s | %s | %s |", t.name, t.format(t.base), t.format(t.lib), ratio(t.lib, t.base), verdict(t.ok(t.lib, t.base)))
		if hasRef {
			row += " | | |"
		}
		s.p("%s", row)
	}
	s.p("")
	if len(r.idemRows()) > 0 {
		s.p("The `idem` rows set a wrapped call (baseline column: the raw store operation a hand-written result cache")
		s.p("does on the same store; library column: `idem.Wrap`) against each other, small results, wall time of the")
		s.p("fastest of %d runs; CPU time and the 20 KB results are in [Per-call overhead](#per-call-overhead-of-the-helpers-go-test--bench).", r.goBenchCount)
	} else {
		s.p("`idem` overhead against the raw store operation it wraps: not measured (BENCH_GO_COUNT=0).")
	}
	s.p("")
}

// idemRows are the idem targets: a wrapped call against the raw store
// operation it wraps, per store, from the go benchmarks.
func (r *report) idemRows() []target {
	us := func(ns float64) string { return fmt.Sprintf("%.1f µs", ns/1000) }
	var rows []target
	for _, st := range []string{"memory", "file", "postgres"} {
		for _, pair := range [][2]string{{"replay", "read"}, {"first", "write"}} {
			wn := r.metric("BenchmarkWrap/"+st+"/"+pair[0], "ns/op")
			rn := r.metric("BenchmarkRaw/"+st+"/"+pair[1], "ns/op")
			if wn == 0 || rn == 0 {
				continue
			}
			rows = append(rows, target{
				name: fmt.Sprintf("idem %s call ≤ 1.5× the raw %s, %s store", pair[0], pair[1], st),
				base: rn, lib: wn, ab: -1, format: us,
				ok: func(l, b float64) bool { return b > 0 && l <= 1.5*b },
			})
		}
	}
	return rows
}

// causes lists, for each target the library misses, the ablations whose
// figure meets it: the change each undoes is what stands in the way (or,
// when none does, says so).
func (r *report) causes(s *md) {
	lib := r.targetRows("")
	var missed []int
	for i, t := range lib {
		if t.lib >= 0 && t.base > 0 && !t.ok(t.lib, t.base) {
			missed = append(missed, i)
		}
	}
	if len(missed) == 0 || len(r.abl) == 0 {
		return
	}
	s.p("## Missed targets and the ablations that meet them")
	s.p("")
	s.p("For each target the library misses: its figure, then each ablation's (the library with one change, see")
	s.p("[Ablations](#ablations-what-each-change-bought)), marked where that variant meets the target.")
	s.p("")
	rows := make(map[string][]target, len(r.abl))
	for _, f := range r.abl {
		rows[f.key] = r.targetRows(f.key)
	}
	for _, i := range missed {
		t := lib[i]
		var parts []string
		for _, f := range r.abl {
			a := rows[f.key][i]
			if a.ab < 0 {
				continue
			}
			mark := ""
			if a.ok(a.ab, a.base) {
				mark = " **meets it**"
			}
			parts = append(parts, fmt.Sprintf("%s %s%s", f.key, a.format(a.ab), mark))
		}
		if len(parts) == 0 {
			parts = []string{"no ablation ran at this load"}
		}
		s.p("- %s: baseline %s, library %s; %s.", t.name, t.format(t.base), t.format(t.lib), strings.Join(parts, "; "))
	}
	s.p("")
}

func (r *report) historySection(s *md) {
	b, l := baselineFlow.key, libraryFlow.key
	be, bb := r.perRound(b)
	le, lb := r.perRound(l)
	s.p("## History per review round (20 KB drafts)")
	s.p("")
	s.p("| | baseline | library | ratio |")
	s.p("|---|---|---|---|")
	s.p("| events per round | %.1f | %.1f | %s |", be, le, ratio(le, be))
	s.p("| bytes per round | %s | %s | %s |", kb(bb), kb(lb), ratio(lb, bb))
	tasks := func(h histStats) int { return h.Tasks }
	ups := func(h histStats) int { return h.Upserts }
	s.p("| workflow tasks per round | %.1f | %.1f | %s |", r.perRoundOf(b, tasks), r.perRoundOf(l, tasks), ratio(r.perRoundOf(l, tasks), r.perRoundOf(b, tasks)))
	s.p("| search-attribute upserts per round | %.1f | %.1f | |", r.perRoundOf(b, ups), r.perRoundOf(l, ups))
	s.p("| history of a review with no edit | %d events, %s | %d events, %s | %s |", r.hist[b].none.Events, kb(float64(r.hist[b].none.Bytes)),
		r.hist[l].none.Events, kb(float64(r.hist[l].none.Bytes)), ratio(float64(r.hist[l].none.Bytes), float64(r.hist[b].none.Bytes)))
	s.p("| upserts in a review with no edit | %d | %d | |", r.hist[b].none.Upserts, r.hist[l].none.Upserts)
	s.p("| largest event | %s (%s) | %s (%s) | %s |", kb(float64(r.hist[b].more.MaxEvent)), r.hist[b].more.MaxEventType,
		kb(float64(r.hist[l].more.MaxEvent)), r.hist[l].more.MaxEventType, ratio(float64(r.hist[l].more.MaxEvent), float64(r.hist[b].more.MaxEvent)))
	s.p("")
}

// breakdown is where a round's bytes go, by event type, for the baseline,
// the library and the reference ablation.
func (r *report) breakdown(s *md) {
	keys := []string{baselineFlow.key, libraryFlow.key}
	if ref, ok := r.refAblation(); ok {
		keys = append(keys, ref.key)
	}
	types := map[string]bool{}
	for _, k := range keys {
		for t := range r.hist[k].more.TypeBytes {
			types[t] = true
		}
	}
	var names []string
	for t := range types {
		names = append(names, t)
	}
	slices.Sort(names)
	s.p("Where a round's bytes go (events and bytes per round by event type; WorkflowExecutionCompleted is how much")
	s.p("the workflow's result grows per round):")
	s.p("")
	s.p("| event type | %s |", strings.Join(keys, " | "))
	s.p("|---|%s", strings.Repeat("---|", len(keys)))
	k := float64(r.rounds)
	for _, t := range names {
		row := "| " + t + " |"
		nonzero := false
		for _, key := range keys {
			h := r.hist[key]
			n := float64(h.more.TypeEvents[t]-h.one.TypeEvents[t]) / k
			b := float64(h.more.TypeBytes[t]-h.one.TypeBytes[t]) / k
			if n != 0 || b != 0 {
				nonzero = true
			}
			row += strings.ReplaceAll(fmt.Sprintf(" %.1f, %.0f B |", n, b), "-0", "0")
		}
		if nonzero {
			s.p("%s", row)
		}
	}
	s.p("")
}

func (r *report) limitsSection(s *md) {
	b, l := baselineFlow.key, libraryFlow.key
	br, bwhich := r.roundsToLimit(b)
	s.p("## Rounds before the server's limits")
	s.p("")
	s.p("Limits: 50 MB or 51,200 events per history, 2 MiB per payload.")
	s.p("")
	s.p("- Largest draft before one payload passes 2 MiB: baseline about **%s** (its largest event holds one copy);",
		mib(float64(payloadLimit)*float64(draftBytes)/float64(r.hist[b].more.MaxEvent)))
	s.p("  the library's largest event is %s (%s) with 20 KB drafts.", kb(float64(r.hist[l].more.MaxEvent)), r.hist[l].more.MaxEventType)
	s.p("- Baseline: one run holds about **%d rounds**; then %s is reached and the server terminates the workflow.", br, bwhich)
	s.p("- Library: at most **%d rounds per run**, because `hitl` continues as new after %d decisions (or earlier",
		r.maxRunRounds(), hitl.DefaultMaxDecisionsPerRun)
	s.p("  when the server suggests it); the next run starts with the review's state, measured at **%s**", kb(float64(r.carried)))
	s.p("  (current version, usage, audit trail capped at %d entries), so the number of rounds is unbounded.", hitl.DefaultAuditLimit)
	s.p("")
}

func (r *report) crashSection(s *md) {
	s.p("## Paid LLM requests per completed workflow under a crash")
	s.p("")
	s.p("The worker is killed after the draft call returned and before its result reached the server")
	s.p("(`durabletest.NewCrashPoint` + `Kill`/`Restart`); the server retries the draft on the new worker.")
	s.p("")
	s.p("| | paid requests |")
	s.p("|---|---|")
	s.p("| baseline, retry on a worker without the seed's files (another machine, or files not kept) | %d |", r.crashNoFiles)
	s.p("| baseline, retry on the same disk (the seed's file per `(doc_id, version)` is found) | %d |", r.crashSeedFiles)
	s.p("| library (`idem` record per `(doc_id, version)` in a store the workers share) | %d |", r.crashLibrary)
	s.p("")
	s.p("The seed's own file cache saves the second call only when the retry lands on the machine that wrote")
	s.p("the file; the library's store is meant to be shared by every worker (file store on shared disk, or Postgres).")
	s.p("")
}

func (r *report) loadSection(s *md) {
	b, l := baselineFlow.key, libraryFlow.key
	s.p("## Throughput, latency and CPU under load")
	s.p("")
	for _, n := range r.loads {
		s.p("### %d concurrent reviews", n)
		s.p("")
		s.p("| | baseline | library | ratio | ratio per repeat |")
		s.p("|---|---|---|---|---|")
		row := func(name string, fig func(loadResult) float64, format func(float64) string) {
			bm, beach := r.loadStat(b, n, fig)
			lm, leach := r.loadStat(l, n, fig)
			s.p("| %s | %s | %s | %s | %s |", name, format(bm), format(lm), ratio(lm, bm), ratios(eachRatio(leach, beach)))
		}
		row("workflows per second", figPerSecond, func(x float64) string { return fmt.Sprintf("%.1f", x) })
		row("p50 latency", figP50, msf)
		row("p99 latency", figP99, msf)
		row("server CPU per workflow", figServerCPU, cpuf)
		row("worker CPU per workflow", figWorkerCPU, cpuf)
		row("reviewers' and LLM server's CPU per workflow (test process)", figClientCPU, cpuf)
		row("other jobs' CPU per workflow (rest of the machine)", figOtherCPU, cpuf)
		row("machine busy (all CPUs)", figBusy, pctf)
		row("disk flushes per workflow (machine)", figFlushes, func(x float64) string {
			if x < 0 {
				return "n/a"
			}
			return fmt.Sprintf("%.1f", x)
		})
		row("wall time", figWall, func(x float64) string { return time.Duration(x).Round(time.Millisecond).String() })
		bp, _ := r.loadStat(b, n, figBilled)
		lp, _ := r.loadStat(l, n, figBilled)
		bo, _ := r.loadStat(b, n, figOpen)
		lo, _ := r.loadStat(l, n, figOpen)
		s.p("| LLM requests paid per workflow | %.2f | %.2f | | |", bp, lp)
		s.p("| still running afterwards (visibility count) | %.0f | %.0f | | |", bo, lo)
		s.p("")
	}
	if r.seqN > 0 {
		s.p("### One review at a time (idle latency)")
		s.p("")
		s.p("%d reviews one after the other on one worker process; the baseline's figure includes its status", r.seqN)
		s.p("polling (50 + 100 + 200 ms after each signal), the library's the two updates and the result.")
		s.p("")
		s.p("| | baseline | library | ratio |")
		s.p("|---|---|---|---|")
		for i, name := range []string{"p50 latency", "p99 latency"} {
			bs, ls := r.seqStat(b, i), r.seqStat(l, i)
			s.p("| %s | %s | %s | %s |", name, msf(bs), msf(ls), ratio(ls, bs))
		}
		s.p("")
	}
}

func (r *report) ablationSection(s *md) {
	if len(r.abl) == 0 {
		return
	}
	n := r.ablationLoad
	s.p("## Ablations: what each change bought")
	s.p("")
	s.p("Each row below the first is the library as it ships with one change (a cost added back, or a saving")
	s.p("undone); the figures in parentheses are its own ÷ the library's. History figures per review round after")
	s.p("the first; load figures at %d concurrent, medians of the repeats.", n)
	s.p("")
	s.p("| variant | vs | bytes / round | events / round | tasks / round | upserts, one-edit review | wf/s | p99 | server CPU / wf | worker CPU / wf | idle p50 |")
	s.p("|---|---|---|---|---|---|---|---|---|---|---|")
	tasks := func(h histStats) int { return h.Tasks }
	one := func(x float64) string { return fmt.Sprintf("%.1f", x) }
	for _, f := range append([]flow{libraryFlow}, r.abl...) {
		cell := func(v, base float64, format func(float64) string) string {
			if f.base == "" {
				return format(v)
			}
			return format(v) + " (" + ratio(v, base) + ")"
		}
		e, by := r.perRound(f.key)
		be, bb := r.perRound(f.base)
		row := fmt.Sprintf("| %s | %s | %s | %s | %s | %d |", f.name, f.base,
			cell(by, bb, kb), cell(e, be, one),
			cell(r.perRoundOf(f.key, tasks), r.perRoundOf(f.base, tasks), one),
			r.hist[f.key].one.Upserts)
		if len(r.runs[f.key][n]) == 0 {
			row += " | | | | |"
		} else {
			for _, c := range []struct {
				fig    func(loadResult) float64
				format func(float64) string
			}{{figPerSecond, one}, {figP99, msf}, {figServerCPU, cpuf}, {figWorkerCPU, cpuf}} {
				v, _ := r.loadStat(f.key, n, c.fig)
				base := -1.0
				if len(r.runs[f.base][n]) > 0 {
					base, _ = r.loadStat(f.base, n, c.fig)
				}
				row += " " + cell(v, base, c.format) + " |"
			}
		}
		if len(r.seq[f.key]) > 0 {
			base := -1.0
			if len(r.seq[f.base]) > 0 {
				base = r.seqStat(f.base, 0)
			}
			row += " " + cell(r.seqStat(f.key, 0), base, msf) + " |"
		} else {
			row += " |"
		}
		s.p("%s", row)
	}
	s.p("")
}

func (r *report) goBenchSection(s *md) {
	if len(r.benchOut) == 0 {
		return
	}
	s.p("## Per-call overhead of the helpers (`go test -bench`)")
	s.p("")
	s.p("Each benchmark ran %d times (`-count=%d`); the figures below take the fastest run.", r.goBenchCount, r.goBenchCount)
	s.p("")
	if pl, sg := r.metric("BenchmarkExecuteActivity", "ns/op"), r.metric("BenchmarkSagaStep", "ns/op"); pl > 0 && sg > 0 {
		s.p("- `saga.Step` (call, ledger entry, compensation registered) vs a plain `workflow.ExecuteActivity`,")
		s.p("  in the SDK's test environment: %.1f µs vs %.1f µs per call, %s.", sg/1000, pl/1000, ratio(sg, pl))
	}
	idem := false
	for _, st := range []string{"memory", "file", "postgres"} {
		for _, pair := range [][2]string{{"first", "write"}, {"replay", "read"}} {
			w, raw := "BenchmarkWrap/"+st+"/"+pair[0], "BenchmarkRaw/"+st+"/"+pair[1]
			wn, rn := r.metric(w, "ns/op"), r.metric(raw, "ns/op")
			if wn == 0 || rn == 0 {
				continue
			}
			if !idem {
				s.p("- `idem.Wrap` against the raw store operation it wraps (what a hand-written result cache does on")
				s.p("  the same store; see idem/bench_test.go), wall time and, where reported, CPU time per call:")
				idem = true
			}
			line := fmt.Sprintf("  - %s store, %s call vs raw %s: %.1f µs vs %.1f µs, %s", st, pair[0], pair[1], wn/1000, rn/1000, ratio(wn, rn))
			if wc, rc := r.metric(w, "cpu-ns/op"), r.metric(raw, "cpu-ns/op"); wc > 0 && rc > 0 {
				line += fmt.Sprintf("; CPU %.1f µs vs %.1f µs, %s", wc/1000, rc/1000, ratio(wc, rc))
			}
			s.p("%s.", line)
		}
	}
	if bp, cl := r.metric("BenchmarkBuildParams", "ns/op"), r.metric("BenchmarkClassify/rate_limit", "ns/op"); bp > 0 && cl > 0 {
		s.p("- `llm`: building a request %.1f µs, classifying a provider error %.1f µs: small beside a model call.", bp/1000, cl/1000)
	}
	s.p("")
	s.p("```")
	for _, l := range r.benchOut {
		s.p("%s", l)
	}
	s.p("```")
}
