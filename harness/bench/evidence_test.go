package bench_test

import (
	"cmp"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// missed are the targets of the library's row that it misses, by name.
func (r *report) missed() map[string]target {
	out := map[string]target{}
	for _, t := range append(r.targetRows(""), r.idemRows()...) {
		if t.lib >= 0 && t.base > 0 && !t.ok(t.lib, t.base) {
			out[t.name] = t
		}
	}
	return out
}

// evidence is the section that explains the misses with figures: where
// the CPU of a workflow goes in every process, the requests each flow
// makes to the server, the workers' CPU profiles and the history's bytes.
func (r *report) evidence(s *md) {
	s.p("## Evidence: where the time and the bytes go")
	s.p("")
	s.p("Measured in the same run, to explain the targets above (met or not).")
	s.p("")
	r.cpuBudget(s)
	r.requestsTable(s)
	r.profileTables(s)
	r.historyEvidence(s)
	r.closing(s)
}

// componentAdvice is, per profile component, what the library's extra time
// there is and what measures it further.
var componentAdvice = map[string]string{
	"idem (claim, record, read)":                  "idem's claim and record around each LLM call, files written and fsynced in the shared folder (the idem-memory ablation shows what the file store costs; the idem rows what idem adds to a store)",
	"docapproval (activities, drafts, store)":     "the draft store: each version's text written to a file and hashed so that history holds a reference (the inline ablation trades it for history bytes)",
	"Temporal SDK: tasks, replay, state machines": "the SDK's work per workflow task and update: the library's review has more of both (requests table)",
	"gRPC and protobuf":                           "requests to the server and their payloads",
	"Temporal SDK: payloads (data converter)":     "encoding and decoding payloads",
	"GC in the background":                        "garbage collection of what the rest allocates",
	"hitl":                                        "the review's workflow code",
	"llm (call, heartbeats)":                      "the llm activity around the model call (heartbeats, accounting)",
	"openai-go: decoding the answer":              "decoding the model's answer, chunk by chunk when streamed (the live ablation)",
	"stream":                                      "the live stream's signals (the live ablation)",
	"openai-go: request, HTTP":                    "building and sending the model request",
	"net/http (LLM client)":                       "the HTTP client of the model calls",
	"baseline (activities, files)":                "the baseline's own activities",
	otherComponent:                                "scheduler, syscalls and runtime",
}

// closing says, for each missed target, what the evidence above points at
// and what would close the gap.
func (r *report) closing(s *md) {
	missed := r.missed()
	if len(missed) == 0 {
		return
	}
	has := func(sub string) []target {
		var ts []target
		for _, name := range sortedKeys(missed) {
			if strings.Contains(name, sub) {
				ts = append(ts, missed[name])
			}
		}
		return ts
	}
	b, l := baselineFlow.key, libraryFlow.key
	s.p("### What the misses come from, and what would close them")
	s.p("")
	if ts := has("bytes of history"); len(ts) > 0 {
		_, lb := r.perRound(l)
		_, bb := r.perRound(b)
		h := r.hist[l]
		k := float64(r.rounds)
		grow := float64(h.more.TypeBytes["WorkflowExecutionCompleted"]-h.one.TypeBytes["WorkflowExecutionCompleted"]) / k
		done := float64(h.more.TypeBytes["ActivityTaskCompleted"]-h.one.TypeBytes["ActivityTaskCompleted"]) / k
		sched := float64(h.more.TypeBytes["ActivityTaskScheduled"]-h.one.TypeBytes["ActivityTaskScheduled"]) / k
		s.p("- **History bytes** (%s, %.1f %% of the baseline's): the drafts' text is out of history, so what is left is", kb(lb), 100*lb/bb)
		if grow >= 50 {
			s.p("  a round's bookkeeping. %.0f B of it is the workflow's result growing with the rounds. Without that growth a", grow)
			s.p("  round would be %s, %.1f %% of the baseline's. Next come the revision's result", kb(lb-grow), 100*(lb-grow)/bb)
		} else {
			s.p("  a round's bookkeeping (the workflow's result grows %.0f B a round: it returns the audit count, not the", grow)
			s.p("  entries). The largest parts are the revision's result")
		}
		s.p("  (ActivityTaskCompleted, %.0f B: the new version's reference with its SHA-256, an excerpt and the call's usage)", done)
		s.p("  and its input (ActivityTaskScheduled, %.0f B: the base version's reference and the instructions, which the", sched)
		s.p("  update's event already holds).")
	}
	if ts := has("events per round"); len(ts) > 0 {
		le, _ := r.perRound(l)
		be, _ := r.perRound(b)
		h := r.hist[l]
		k := float64(r.rounds)
		upd := float64(h.more.TypeEvents["WorkflowExecutionUpdateAccepted"]+h.more.TypeEvents["WorkflowExecutionUpdateCompleted"]-
			h.one.TypeEvents["WorkflowExecutionUpdateAccepted"]-h.one.TypeEvents["WorkflowExecutionUpdateCompleted"]) / k
		s.p("- **Events per round** (%.1f against %.1f): an edit is an update in the library, two events (accepted, completed:", le, be)
		s.p("  %.1f per round) where the baseline's signal is one; the rest of a round is the same activity and its two", upd)
		s.p("  workflow tasks (see [where a round's bytes go](#history-per-review-round-20-kb-drafts)). The baseline's count")
		s.p("  depends on timing (a signal that arrives while a workflow task runs shares the next task's events): %.1f is", be)
		s.p("  the median of %d runs, and 10 when every signal gets a task of its own (then the library is at 1.10×).", histRuns)
		s.p("  The one event more per round is the update's answer; an edit recorded as one event (a signal) would drop")
		s.p("  it, with the synchronous answer and the validation the update gives the reviewer.")
	}
	if ts := has("server CPU"); len(ts) > 0 {
		pb, _ := r.countsPhase(b)
		pl, _ := r.countsPhase(l)
		per := func(ph loadResult, op string) float64 {
			return float64(ph.Requests[op]) / float64(max(1, ph.Completed))
		}
		s.p("- **Server CPU** (%s): per review the library's server completes %.1f workflow tasks against the baseline's %.1f,",
			missedList(ts), per(pl, "RespondWorkflowTaskCompleted"), per(pb, "RespondWorkflowTaskCompleted"))
		s.p("  writes %d events against %d, %d search-attribute upserts (visibility records) against %d and %.1f activity",
			r.hist[l].one.Events, r.hist[b].one.Events, r.hist[l].one.Upserts, r.hist[b].one.Upserts, per(pl, "RecordActivityTaskHeartbeat"))
		s.p("  heartbeats against %.1f, and takes %.1f updates (and an update-with-start) where the baseline takes %.1f signals",
			per(pb, "RecordActivityTaskHeartbeat"), per(pl, "UpdateWorkflowExecution"), per(pb, "SignalWorkflowExecution"))
		s.p("  and %.1f status queries. It writes far fewer bytes: %s of history per review against %s.",
			per(pb, "QueryWorkflow"), kb(float64(r.hist[l].one.Bytes)), kb(float64(r.hist[b].one.Bytes)))
		if d, ok := r.ablationDelta("inline", figServerCPU); ok {
			lib, _ := r.loadStat(l, r.ablationLoad, figServerCPU)
			s.p("  The inline ablation (the drafts back in history) measured %s of server CPU per review against the library", signedMs(d))
			if d > 0.1*lib {
				s.p("  at %d concurrent: the bytes the library saves are worth that much, and its extra tasks, updates and", r.ablationLoad)
				s.p("  writes spend more than that.")
			} else {
				s.p("  at %d concurrent: within the spread of the repeats, the bytes themselves cost the dev server little, so", r.ablationLoad)
				s.p("  the difference is the count of tasks, updates and writes.")
			}
		}
		if d, ok := r.ablationDelta("upsert-revising", figServerCPU); ok {
			extra := r.hist["upsert-revising"].one.Upserts - r.hist[l].one.Upserts
			s.p("  The upsert-revising ablation (%d more upsert(s) in a one-edit review) measured %s of server CPU per review", extra, signedMs(d))
			s.p("  (compare the per-repeat spread in [Throughput, latency and CPU under load](#throughput-latency-and-cpu-under-load)).")
		}
		if d, ok := r.ablationDelta("plain-start", figServerCPU); ok {
			extra := r.hist["plain-start"].one.Upserts - r.hist[l].one.Upserts
			s.p("  The plain-start ablation (the review started without Open's HITLStatus, so hitl records as before: %d more", extra)
			s.p("  upsert(s), one of them the SDK's version marker) measured %s of server CPU per review.", signedMs(d))
		}
		s.p("  What would close it: fewer tasks per review: persisting the approved version in a local activity (the")
		s.p("  approval's workflow task would run it and complete the workflow: one workflow task and one activity task")
		s.p("  fewer), and no workflow task of its own for the first edit (the library's reviewer waits for the draft")
		s.p("  before it edits; the baseline's edit arrives before the draft exists and shares its workflow task).")
	}
	if ts := has("worker CPU"); len(ts) > 0 {
		s.p("- **Worker CPU** (%s):", missedList(ts))
		pb, okb := r.prof[b]
		pl, okl := r.prof[l]
		if okb && okl {
			cb, cl := pb.p.byComponent(), pl.p.byComponent()
			type add struct {
				name string
				d    float64
			}
			var adds []add
			for c := range cl {
				if d := pl.perWF(cl[c]) - pb.perWF(cb[c]); d > 0 {
					adds = append(adds, add{c, d})
				}
			}
			slices.SortFunc(adds, func(x, y add) int { return cmp.Compare(y.d, x.d) })
			s.p("  in the profiled phase the workers used %s per workflow against the baseline's %s (`/proc`: %s against %s).",
				cpuf(pl.perWF(pl.p.Total)), cpuf(pb.perWF(pb.p.Total)), cpuf(float64(pl.res.WorkerCPUPerWF())), cpuf(float64(pb.res.WorkerCPUPerWF())))
			s.p("  The library's additions, largest first:")
			for _, a := range adds[:min(len(adds), 4)] {
				s.p("  - %s, %s: %s.", a.name, signedMs(a.d), componentAdvice[a.name])
			}
			s.p("  Most of the first two is durability: each LLM answer is forced to disk twice, once as the idem record")
			s.p("  (the answer's reference) and once as the draft's text, each a file and a directory fsync (see the disk")
			s.p("  flushes below). What would close it: one durable write per answer, the idem record holding the text")
			s.p("  and the draft store reading it from there, which halves the flushes of the LLM calls.")
		} else {
			s.p("  no profiles were taken (BENCH_PROFILE_LOAD=0).")
		}
	}
	if ts := append(has("workflows per second"), has("p99 latency")...); len(ts) > 0 {
		s.p("- **Throughput and p99** (%s):", missedList(ts))
		saturated, diskBound := false, false
		for _, n := range r.loads {
			bo, _ := r.loadStat(b, n, figOwnCPU)
			lo, _ := r.loadStat(l, n, figOwnCPU)
			bb, _ := r.loadStat(b, n, figBusy)
			lbusy, _ := r.loadStat(l, n, figBusy)
			other, _ := r.loadStat(l, n, figOtherCPU)
			bf, _ := r.loadStat(b, n, figFlushes)
			lf, _ := r.loadStat(l, n, figFlushes)
			ld, _ := r.loadStat(l, n, figDiskBusy)
			lw, _ := r.loadStat(l, n, figIOWait)
			saturated = saturated || bb >= 0.95 || lbusy >= 0.95
			diskBound = diskBound || ld >= 0.5 || lw >= 0.1
			s.p("  - at %d concurrent the machine was %s busy in the baseline's phases and %s in the library's. A workflow", n, pctf(bb), pctf(lbusy))
			s.p("    cost the flows' own processes %s of CPU for the library against %s for the baseline (%s; 1.2× the", cpuf(lo), cpuf(bo), ratio(lo, bo))
			s.p("    throughput on saturated CPUs needs 0.83×); other jobs took %s per workflow of the machine besides.", cpuf(other))
			if bf >= 0 && lf >= 0 {
				s.p("    The disk flushed %.1f times per workflow in the library's phases against %.1f in the baseline's; it was", lf, bf)
				s.p("    busy %s of the library's wall time, and the CPUs waited for I/O %s of theirs.", pct1(ld), pct1(lw))
			}
		}
		if saturated {
			s.p("  Where the CPUs are saturated, throughput follows the CPU sum, of which the server is the largest part:")
			s.p("  the server and worker items above are what would close it.")
		}
		if !saturated || diskBound {
			s.p("  Where neither the CPUs nor the disk are saturated, the wall time is waiting inside the processes (a likely")
			s.p("  place, not measured here: the dev server's SQLite store, which takes one write at a time), and the burst's")
			s.p("  throughput is set by its last review (the p99 column). Wall-time figures then move by tens of percent")
			s.p("  between runs (see the per-repeat ratios) and the CPU figures are the stable measure: at parity or worse")
			s.p("  in CPU, 1.2× in throughput is not there to measure. Cutting the CPU per workflow (server and worker")
			s.p("  items above) is what would close it.")
		}
		if d, ok := r.ablationDelta("plain-start", figServerCPU); ok {
			if extra := r.hist["plain-start"].one.Upserts - r.hist[l].one.Upserts; extra > 0 && d > 0 {
				n := r.ablationLoad
				per := d / float64(extra)
				ups := float64(r.hist[l].one.Upserts)
				lo, _ := r.loadStat(l, n, figOwnCPU)
				bo, _ := r.loadStat(b, n, figOwnCPU)
				s.p("  Visibility: the plain-start ablation's %d more upsert(s) per review cost the server %s, about %s each", extra, signedMs(d), cpuf(per))
				s.p("  on the dev server's SQLite visibility store. The library's own %.0f upserts (what lists reviews by status", ups)
				s.p("  and pending reviewer, hitlhttp's list page) would then be about %s of its %s per workflow at %d concurrent;", cpuf(ups*per), cpuf(lo), n)
				s.p("  without them it would cost %s against the baseline's %s (%s). A visibility store where an upsert is", cpuf(lo-ups*per), cpuf(bo), ratio(lo-ups*per, bo))
				s.p("  cheap, or reviews reached by link only (hitl.Config.DisableSearchAttributes), is what would close the rest.")
			}
		}
		if d, ok := r.ablationDelta("inline", figPerSecond); ok {
			s.p("  For scale, the ablations at %d concurrent: inline (no draft store) %+.1f workflows per second against the", r.ablationLoad, d)
			if d2, ok := r.ablationDelta("idem-memory", figPerSecond); ok {
				s.p("  library, idem-memory (no idem files) %+.1f.", d2)
			} else {
				s.p("  library.")
			}
		}
	}
	if ts := has("idle latency"); len(ts) > 0 {
		s.p("- **Idle latency** (%s against %s): one review's critical path is its workflow tasks and activities in sequence,",
			msf(r.seqStat(l, 0)), msf(r.seqStat(b, 0)))
		s.p("  %d workflow tasks for the library's one-edit review against %d for the baseline's, and each LLM call's idem",
			r.hist[l].one.Tasks, r.hist[b].one.Tasks)
		s.p("  record and draft file written and fsynced before the activity returns.")
		var parts []string
		for _, f := range r.abl {
			if len(r.seq[f.key]) > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", f.key, msf(r.seqStat(f.key, 0))))
			}
		}
		if len(parts) > 0 {
			s.p("  The ablations' idle p50, one change each: %s.", strings.Join(parts, ", "))
		}
		s.p("  Fewer workflow tasks per review, and fewer synchronous writes per call, would shorten it.")
	}
	if ts := has("idem "); len(ts) > 0 {
		s.p("- **idem** (%d of the store comparisons):", len(ts))
		for _, t := range ts {
			st, op := idemNames(t.name)
			w, raw := "BenchmarkWrap/"+st+"/"+op[0], "BenchmarkRaw/"+st+"/"+op[1]
			line := fmt.Sprintf("  - %s: %s more per call (%.0f allocations and %.0f B against %.0f and %.0f B)", t.name, fmt.Sprintf("%.1f µs", (t.lib-t.base)/1000),
				r.metric(w, "allocs/op"), r.metric(w, "B/op"), r.metric(raw, "allocs/op"), r.metric(raw, "B/op"))
			if hw := r.metric("BenchmarkHandWritten/"+st+"/first", "ns/op"); op[0] == "first" && hw > 0 {
				line += fmt.Sprintf("; a hand-written call that also claims the key before its side effect (BenchmarkHandWritten) takes %.1f µs, idem %s of it", hw/1000, ratio(t.lib, hw))
			}
			s.p("%s;", line)
		}
		s.p("  the wrapper encodes the key and the record and, on a first call, claims the key before the body runs and")
		s.p("  records the result after it, where the raw cache writes once. Fewer allocations and one store operation")
		s.p("  per first call would close it.")
	}
	s.p("")
}

// idemNames are the store and the (wrapped, raw) operations of an idem
// target's name.
func idemNames(name string) (store string, op [2]string) {
	for _, st := range []string{"memory", "file", "postgres"} {
		if strings.Contains(name, st+" store") {
			store = st
		}
	}
	if strings.Contains(name, "replay") {
		return store, [2]string{"replay", "read"}
	}
	return store, [2]string{"first", "write"}
}

// missedList gives the library's and the baseline's figures of the missed
// targets ts, with their load levels.
func missedList(ts []target) string {
	var out []string
	for _, t := range ts {
		where := ""
		if i := strings.LastIndex(t.name, " at "); i >= 0 {
			where = " " + t.name[i+1:]
		}
		what := t.name
		if i := strings.Index(t.name, " ≤"); i >= 0 {
			what = t.name[:i]
		} else if i := strings.Index(t.name, " ≥"); i >= 0 {
			what = t.name[:i]
		}
		out = append(out, fmt.Sprintf("%s %s against %s%s", what, t.format(t.lib), t.format(t.base), where))
	}
	return strings.Join(out, "; ")
}

// ablationDelta is the ablation key's figure minus the library's, per
// workflow, at the ablation load level.
func (r *report) ablationDelta(key string, fig func(loadResult) float64) (float64, bool) {
	n := r.ablationLoad
	if len(r.runs[key][n]) == 0 || len(r.runs[libraryFlow.key][n]) == 0 {
		return 0, false
	}
	a, _ := r.loadStat(key, n, fig)
	l, _ := r.loadStat(libraryFlow.key, n, fig)
	if a < 0 || l < 0 {
		return 0, false
	}
	return a - l, true
}

// cpuBudget is the CPU a workflow costs every process on the machine, per
// load level: when the machine is saturated, throughput is the CPUs
// divided by that sum.
func (r *report) cpuBudget(s *md) {
	b, l := baselineFlow.key, libraryFlow.key
	if len(r.runs[b][r.loads[0]]) == 0 || len(r.runs[l][r.loads[0]]) == 0 {
		return
	}
	s.p("### CPU per workflow over every process (throughput, latency)")
	s.p("")
	s.p("Medians of the repeats. Everything runs on the same %d CPUs: the dev server, the two worker processes,", runtime.NumCPU())
	s.p("the test process (the reviewers, their client and the LLM test server) and whatever else the machine ran.")
	s.p("While the machine is busy all the time, throughput is at most the CPUs ÷ the CPU a workflow costs all of")
	s.p("them, so 1.2× the baseline's throughput needs a workflow to cost all processes at most 1/1.2 = 0.83× as much.")
	s.p("")
	for _, n := range r.loads {
		s.p("| %d concurrent | baseline | library | ratio |", n)
		s.p("|---|---|---|---|")
		row := func(name string, fig func(loadResult) float64, format func(float64) string) {
			bv, _ := r.loadStat(b, n, fig)
			lv, _ := r.loadStat(l, n, fig)
			s.p("| %s | %s | %s | %s |", name, format(bv), format(lv), ratio(lv, bv))
		}
		row("server", figServerCPU, cpuf)
		row("workers", figWorkerCPU, cpuf)
		row("test process (reviewers, LLM server)", figClientCPU, cpuf)
		row("**sum of the three**", figOwnCPU, cpuf)
		row("other jobs on the machine", figOtherCPU, cpuf)
		row("machine busy", figBusy, pctf)
		row("the server's CPU in use (CPU seconds per second)", figServerCores, func(x float64) string {
			if x < 0 {
				return "n/a"
			}
			return fmt.Sprintf("%.2f", x)
		})
		row("CPUs idle waiting for I/O (iowait)", figIOWait, pct1)
		row("disk flushes per workflow (fsyncs that reached the disk, every process's)", figFlushes, func(x float64) string {
			if x < 0 {
				return "n/a"
			}
			return fmt.Sprintf("%.1f", x)
		})
		row("disk busy (share of the wall time with requests in flight)", figDiskBusy, pct1)
		row("workflows per second, measured", figPerSecond, func(x float64) string { return fmt.Sprintf("%.1f", x) })
		row("workflows per second the CPUs allow at the sum (CPUs ÷ sum)", figCPUBound, func(x float64) string { return fmt.Sprintf("%.1f", x) })
		s.p("")
	}
	s.p("Disk figures are the machine's (`/proc/diskstats`, `/proc/stat`): other jobs' I/O is in them too.")
	s.p("")
}

// figOwnCPU is the CPU per workflow of the server, the workers and the
// test process together; figCPUBound the throughput the machine's CPUs
// allow at that cost.
var (
	figOwnCPU = func(l loadResult) float64 {
		if l.ServerCPU < 0 || l.WorkerCPU < 0 || l.ClientCPU < 0 {
			return -1
		}
		return float64(perWF(l.ServerCPU+l.WorkerCPU+l.ClientCPU, l.Completed))
	}
	figCPUBound = func(l loadResult) float64 {
		own := figOwnCPU(l)
		if own <= 0 {
			return -1
		}
		return float64(runtime.NumCPU()) * float64(time.Second) / own
	}
)

// countsPhase is the load phase whose counters the report uses for flow
// key: the first repeat at the first load level.
func (r *report) countsPhase(key string) (loadResult, bool) {
	if runs := r.runs[key][r.loads[0]]; len(runs) > 0 {
		return runs[0], true
	}
	return loadResult{}, false
}

// countedPhase is a column of the requests table.
type countedPhase struct {
	label string
	res   loadResult
}

// countedPhases are the first repeat's phases of the baseline and the
// library at each load level, and of the reference ablation at the
// ablation load.
func (r *report) countedPhases() []countedPhase {
	var out []countedPhase
	for _, n := range r.loads {
		keys := []string{baselineFlow.key, libraryFlow.key}
		if ref, ok := r.refAblation(); ok && n == r.ablationLoad {
			keys = append(keys, ref.key)
		}
		for _, k := range keys {
			if runs := r.runs[k][n]; len(runs) > 0 && runs[0].Requests != nil {
				out = append(out, countedPhase{fmt.Sprintf("%s, %d", k, n), runs[0]})
			}
		}
	}
	return out
}

// requestsTable is the requests each flow's workers and reviewers make to
// the server per workflow, by operation.
func (r *report) requestsTable(s *md) {
	phases := r.countedPhases()
	if len(phases) < 2 {
		return
	}
	ops := map[string]bool{}
	for _, ph := range phases {
		for op := range ph.res.Requests {
			ops[op] = true
		}
	}
	labels := make([]string, len(phases))
	for i, ph := range phases {
		labels[i] = ph.label
	}
	s.p("### Requests to the server per workflow")
	s.p("")
	s.p("The server's CPU goes into the requests it answers and what they write (events, workflow tasks, visibility")
	s.p("records). Counted by the SDK's request counters in the worker processes and the reviewers' client, per")
	s.p("completed workflow (one edit, then approve), in the first repeat's load phases (flow, concurrent reviews).")
	s.p("Long polls count once each, whether they returned a task or not; PollWorkflowExecutionUpdate is an update")
	s.p("whose result took longer than the server's wait, asked again.")
	s.p("")
	s.p("| request | %s |", strings.Join(labels, " | "))
	s.p("|---|%s", strings.Repeat("---|", len(phases)))
	sum := make([]float64, len(phases))
	for _, op := range sortedKeys(ops) {
		row := "| " + op + " |"
		for i, ph := range phases {
			v := float64(ph.res.Requests[op]) / float64(max(1, ph.res.Completed))
			sum[i] += v
			row += fmt.Sprintf(" %.2f |", v)
		}
		s.p("%s", row)
	}
	row := "| **all requests** |"
	for _, v := range sum {
		row += fmt.Sprintf(" **%.2f** |", v)
	}
	s.p("%s", row)
	s.p("")
	keys := []string{baselineFlow.key, libraryFlow.key}
	if ref, ok := r.refAblation(); ok {
		keys = append(keys, ref.key)
	}
	s.p("And the history of a one-edit review (the load phases' script), from the history measurement:")
	s.p("")
	s.p("| | %s |", strings.Join(keys, " | "))
	s.p("|---|%s", strings.Repeat("---|", len(keys)))
	row = "| workflow tasks |"
	for _, k := range keys {
		row += fmt.Sprintf(" %d |", r.hist[k].one.Tasks)
	}
	s.p("%s", row)
	row = "| events, bytes |"
	for _, k := range keys {
		row += fmt.Sprintf(" %d, %s |", r.hist[k].one.Events, kb(float64(r.hist[k].one.Bytes)))
	}
	s.p("%s", row)
	row = "| search-attribute upserts |"
	for _, k := range keys {
		row += fmt.Sprintf(" %d |", r.hist[k].one.Upserts)
	}
	s.p("%s", row)
	s.p("")
}

// profileTables are the workers' CPU by component and the functions whose
// flat time differs most between the baseline and the library.
func (r *report) profileTables(s *md) {
	b, l := baselineFlow.key, libraryFlow.key
	pb, okb := r.prof[b]
	pl, okl := r.prof[l]
	if !okb || !okl {
		return
	}
	keys := []string{b, l}
	if ref, ok := r.refAblation(); ok {
		if _, ok := r.prof[ref.key]; ok {
			keys = append(keys, ref.key)
		}
	}
	s.p("### Worker CPU by component (CPU profiles)")
	s.p("")
	s.p("One more load phase per flow at %d concurrent after the repeats, whose two worker processes each wrote a", r.profileLoad)
	s.p("CPU profile (`runtime/pprof`, 100 samples per second of CPU) of their life; the profiles are merged per flow")
	s.p("(`go tool pprof -traces`) and each sample is charged to the component of the first frame, from the leaf")
	s.p("up, that belongs to one: time in `encoding/json`, the allocator or a GC assist goes to the code that called it.")
	s.p("Per completed workflow; the sampled total is a little below the CPU time `/proc` measured for the same processes.")
	s.p("")
	s.p("| component | %s | library − baseline |", strings.Join(keys, " | "))
	s.p("|---|%s---|", strings.Repeat("---|", len(keys)))
	comps := map[string]bool{}
	by := map[string]map[string]time.Duration{}
	for _, k := range keys {
		by[k] = r.prof[k].p.byComponent()
		for c := range by[k] {
			comps[c] = true
		}
	}
	names := sortedKeys(comps)
	diff := func(c string) float64 { return pl.perWF(by[l][c]) - pb.perWF(by[b][c]) }
	slices.SortStableFunc(names, func(x, y string) int { return cmp.Compare(absf(diff(y)), absf(diff(x))) })
	for _, c := range names {
		row := "| " + c + " |"
		for _, k := range keys {
			row += " " + cpuf(r.prof[k].perWF(by[k][c])) + " |"
		}
		s.p("%s %s |", row, signedMs(diff(c)))
	}
	row := "| **sampled total** |"
	for _, k := range keys {
		row += " **" + cpuf(r.prof[k].perWF(r.prof[k].p.Total)) + "** |"
	}
	s.p("%s %s |", row, signedMs(pl.perWF(pl.p.Total)-pb.perWF(pb.p.Total)))
	row = "| worker CPU from /proc, same phase |"
	for _, k := range keys {
		row += " " + cpuf(float64(r.prof[k].res.WorkerCPUPerWF())) + " |"
	}
	s.p("%s %s |", row, signedMs(float64(pl.res.WorkerCPUPerWF()-pb.res.WorkerCPUPerWF())))
	s.p("")

	s.p("Functions whose own (flat) time differs most, library − baseline, per workflow:")
	s.p("")
	s.p("| function | baseline | library | library − baseline |")
	s.p("|---|---|---|---|")
	fb, fl := pb.p.byFunction(), pl.p.byFunction()
	fns := maps.Clone(fb)
	maps.Copy(fns, fl)
	names = sortedKeys(fns)
	fdiff := func(f string) float64 { return pl.perWF(fl[f]) - pb.perWF(fb[f]) }
	slices.SortStableFunc(names, func(x, y string) int { return cmp.Compare(absf(fdiff(y)), absf(fdiff(x))) })
	for _, f := range names[:min(len(names), 12)] {
		s.p("| `%s` | %s | %s | %s |", shortFunc(f), cpuf(pb.perWF(fb[f])), cpuf(pl.perWF(fl[f])), signedMs(fdiff(f)))
	}
	s.p("")
	s.p("Cumulative time of a few call sites, per workflow (a sample counts once however deep the frame is):")
	s.p("")
	s.p("| stacks through | %s |", strings.Join(keys, " | "))
	s.p("|---|%s", strings.Repeat("---|", len(keys)))
	for _, c := range cumulativeSites {
		row := "| " + c.name + " |"
		for _, k := range keys {
			row += " " + cpuf(r.prof[k].perWF(r.prof[k].p.cumulative(c.prefix))) + " |"
		}
		s.p("%s", row)
	}
	s.p("")
}

// cumulativeSites are the call sites whose cumulative time the report
// shows.
var cumulativeSites = []struct{ name, prefix string }{
	{"`docapproval.(*Activities).Draft`", "github.com/durable-llm/durable-llm/examples/docapproval.(*Activities).Draft"},
	{"`docapproval.(*Activities).Revise`", "github.com/durable-llm/durable-llm/examples/docapproval.(*Activities).Revise"},
	{"`docapproval.(*Activities).Persist`", "github.com/durable-llm/durable-llm/examples/docapproval.(*Activities).Persist"},
	{"`baseline.(*Activities).GenerateDraft`", "github.com/durable-llm/durable-llm/harness/bench/baseline.(*Activities).GenerateDraft"},
	{"`baseline.(*Activities).ReviseDraft`", "github.com/durable-llm/durable-llm/harness/bench/baseline.(*Activities).ReviseDraft"},
	{"`baseline.(*Activities).PersistFinal`", "github.com/durable-llm/durable-llm/harness/bench/baseline.(*Activities).PersistFinal"},
	{"`llm.(*Activities).stream` (a streamed chat completion)", "github.com/durable-llm/durable-llm/llm.(*Activities).stream"},
	{"openai-go's stream decoder (`ssestream`)", "github.com/openai/openai-go/v3/packages/ssestream."},
	{"`idem` (wrapper and stores)", "github.com/durable-llm/durable-llm/idem."},
	{"workflow tasks (`workflowTaskProcessor.ProcessTask`)", "go.temporal.io/sdk/internal.(*workflowTaskProcessor).ProcessTask"},
	{"polling for workflow tasks (`workflowTaskPoller.PollTask`)", "go.temporal.io/sdk/internal.(*workflowTaskPoller).PollTask"},
	{"activity tasks (`activityTaskPoller.ProcessTask`)", "go.temporal.io/sdk/internal.(*activityTaskPoller).ProcessTask"},
	{"heartbeats (`temporalInvoker.Heartbeat`)", "go.temporal.io/sdk/internal.(*temporalInvoker).Heartbeat"},
	{"GC (`runtime.gcBgMarkWorker`, assists)", "runtime.gc"},
	{"file operations (package `os`: writes, fsyncs, renames, reads)", "os."},
	{"system calls (files and network)", "internal/runtime/syscall"},
}

func absf(x float64) float64 { return max(x, -x) }

// signedMs formats a difference held as float64 nanoseconds.
func signedMs(ns float64) string { return fmt.Sprintf("%+.1f ms", ns/1e6) }

// shortFunc drops the module path of a function name.
func shortFunc(f string) string {
	for _, p := range []string{"github.com/durable-llm/durable-llm/", "github.com/openai/openai-go/v3/", "go.temporal.io/", "google.golang.org/"} {
		f = strings.Replace(f, p, "", 1)
	}
	if len(f) > 110 {
		f = f[:107] + "..."
	}
	return f
}

// historyEvidence is what a review round's bytes are, by event type, when
// the bytes target is missed.
func (r *report) historyEvidence(s *md) {
	l := libraryFlow.key
	_, lb := r.perRound(l)
	_, bb := r.perRound(baselineFlow.key)
	if bb <= 0 {
		return
	}
	type part struct {
		name  string
		bytes float64
	}
	var parts []part
	h := r.hist[l]
	for t, v := range h.more.TypeBytes {
		if d := float64(v-h.one.TypeBytes[t]) / float64(r.rounds); d > 0 {
			parts = append(parts, part{t, d})
		}
	}
	slices.SortFunc(parts, func(x, y part) int { return cmp.Compare(y.bytes, x.bytes) })
	s.p("### History bytes of a review round")
	s.p("")
	s.p("The library's round is %s, %.1f %% of the baseline's %s (target: 5 %%, %s). By event type, largest first:",
		kb(lb), 100*lb/bb, kb(bb), kb(0.05*bb))
	var list []string
	for _, p := range parts {
		list = append(list, fmt.Sprintf("%s %.0f B", p.name, p.bytes))
	}
	s.p("%s.", strings.Join(list, ", "))
	s.p("")
}
