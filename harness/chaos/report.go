package chaos

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/durable-llm/durable-llm/llm"
)

// Markers of the side-by-side summary in docs/CHAOS.md, which other
// reports (docs/BENCHMARKS.md) copy as is.
const (
	SummaryBegin = "<!-- chaos-summary:begin -->"
	SummaryEnd   = "<!-- chaos-summary:end -->"
)

// APIRun is what TestChaos saw for one llm API: its crash-and-restart
// runs (kill-restart, then two workers) and the dev server restart.
type APIRun struct {
	API  llm.API
	Runs []Result
	// Restart is how long the dev server restart scenario took, and
	// RestartProblems its violations.
	Restart         time.Duration
	RestartProblems []string
	// Duration is the wall time of everything run for this API.
	Duration time.Duration
}

// Violations returns every violation of the API's scenarios.
func (a APIRun) Violations() []string {
	var v []string
	for _, r := range a.Runs {
		v = append(v, r.Violations...)
	}
	return append(v, a.RestartProblems...)
}

// ReportInfo says how a report was made.
type ReportInfo struct {
	// Command is what ran it, for example "make chaos N=200".
	Command string
	Seed    uint64
	// CPUs, LoadStart and LoadEnd describe the machine: its CPUs and its
	// load averages (1, 5 and 15 minutes) before and after the run, other
	// processes included.
	CPUs               int
	LoadStart, LoadEnd string
	// Duration is the wall time of the whole run.
	Duration time.Duration
	// Time is when the run ended.
	Time time.Time
}

// APIName names api for readers.
func APIName(api llm.API) string {
	switch api {
	case llm.APIResponsesBackground:
		return "background Responses"
	case llm.APIResponses:
		return "Responses, foreground"
	case llm.APIChatCompletions, llm.APIAuto:
		return "chat completions"
	}
	return string(api)
}

// Summary renders the side-by-side table of the APIs, between
// [SummaryBegin] and [SummaryEnd], for docs/CHAOS.md and the reports that
// copy it.
func Summary(info ReportInfo, apis []APIRun) string {
	var b strings.Builder
	b.WriteString(SummaryBegin + "\n")
	fmt.Fprintf(&b, "Crash harness (`%s`, CHAOS_SEED=%d, %s; %d CPUs shared with other work, load average %s before, %s after): "+
		"the worker process SIGKILLed at seeded points and restarted while the three example flows run; "+
		"the fake provider bills every generation it started, whatever happened to the worker (see [CHAOS.md](CHAOS.md)).\n\n",
		info.Command, info.Seed, info.Time.UTC().Format(time.DateOnly), info.CPUs, info.LoadStart, info.LoadEnd)
	b.WriteString("| LLM API | runs/flow | kills | runs ok | LLM billed / minimum | answers bought again | longest stall after a kill | latest retry start after a kill / its bound | retries started after their bound | run time | verdict |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range apis {
		var runs []string
		kills, ok, all, billed, minimum, rebought, cut := 0, 0, 0, 0, 0, 0, 0
		var merged Result
		for _, r := range a.Runs {
			runs = append(runs, fmt.Sprint(r.Config.Runs))
			kills += r.Kills
			o, n := r.FlowsOK()
			ok, all = ok+o, all+n
			billed, minimum = billed+r.Billed, minimum+r.MinBilled
			rebought, cut = rebought+r.Rebought, cut+r.RebuyCut
			merged.Stalls = append(merged.Stalls, r.Stalls...)
		}
		longest, retry := "-", "-"
		if s, found := merged.Longest(); found {
			longest = dur(s.Wait)
			if s.Again > 0 {
				longest += " (a later kill interrupted its retry too)"
			}
		}
		if s, found := merged.LongestRetry(); found {
			retry = fmt.Sprintf("%s / %s (%s + %s)", dur(s.RetryStart()), dur(s.Bound()), s.Retry.HeartbeatTimeout, s.Retry.Backoff())
		}
		fmt.Fprintf(&b, "| %s (`%s`) | %s | %d | %d/%d | %d / %d | %s | %s | %s | %s | %s | %s |\n",
			APIName(a.API), a.API, strings.Join(runs, " + "), kills, ok, all, billed, minimum,
			rebuys(a.API, rebought, cut, minimum), longest, retry, overBound(merged), dur(a.Duration), verdict(a))
	}
	b.WriteString("\nRuns/flow: the kill-restart scenario + the two-worker one. " +
		"Answers bought again: answers billed beyond what the workflows need; background Responses promise none " +
		"(any is a violation), chat completions do not (a generation a kill cut is bought again: its cost). " +
		"Stall: from a kill to the next LLM request of a call it interrupted. Retry start: from the kill to the server " +
		"starting the call's next attempt; its bound is the LLM activity's heartbeat timeout plus the backoff before that " +
		"attempt, counted from the dead attempt's last heartbeat (before the kill), with Temporal's own dispatch (its " +
		"timers and task queue) on top, which the column of the retries started after their bound measures.\n")
	b.WriteString(SummaryEnd + "\n")
	return b.String()
}

// Markdown renders the report of docs/CHAOS.md: the summary, then one
// section per API.
func Markdown(info ReportInfo, apis []APIRun) string {
	var b strings.Builder
	var names []string
	for _, a := range apis {
		names = append(names, string(a.API))
	}
	fmt.Fprintf(&b, "# Chaos report\n\nGenerated by TestChaos of package chaos (`%s`, CHAOS_SEED=%d, APIs %s) on %s, in %s; "+
		"the machine has %d CPUs, shared with other work (load average %s before the run, %s after).\n\n",
		info.Command, info.Seed, strings.Join(names, ", "), info.Time.UTC().Format(time.RFC3339), dur(info.Duration),
		info.CPUs, info.LoadStart, info.LoadEnd)
	b.WriteString("The worker is a separate process, killed with SIGKILL at seeded random points and restarted. ")
	fmt.Fprintf(&b, "The fake provider keeps each request %s before it starts generating, then generates for %s, ", LLMQueueDelay, LLMGenerationTime)
	b.WriteString("so kills land before, during and between generations; like a real provider it finishes and bills a generation " +
		"whatever happens to the worker that asked for it. Every run's result and side effects are checked on every API. " +
		"On background Responses every workflow must be billed exactly the LLM answers it needs; on chat completions, " +
		"which do not promise it, the answers bought again are counted: they are what a crash mid-generation costs there " +
		"(see package chaos).\n\n")
	b.WriteString("## Side by side\n\n")
	b.WriteString(Summary(info, apis))
	for _, a := range apis {
		section(&b, a)
	}
	b.WriteString("\n## Columns\n\n" +
		"Generations running at kills: LLM generations queued or generating at the fake provider when a worker was killed " +
		"(summed over kills). LLM calls abandoned: generations whose worker held a connection for the answer when it was killed " +
		"(a foreground call or a stream; a background poll holds none); the provider billed them anyway, so on background " +
		"Responses the retry must resume them by id. Answers bought again: answers billed beyond each workflow's minimum, " +
		"and how many of them were generations whose answer never reached a worker (cut mid-generation by a kill). " +
		"Stall after a kill: from a kill to the next request of an LLM call it interrupted (the retry, or the resumption " +
		"of its generation). Retry start: from the kill to the server starting the call's next attempt, as every worker " +
		"appends each attempt it starts, and the time of its first heartbeat, to an attempt log (the SDK sends the first " +
		"heartbeat at once and holds the next ones for 0.8 × the heartbeat timeout, so for an attempt killed sooner it is " +
		"the last the server got). Its bound is the LLM activity's heartbeat timeout (llm.DefaultHeartbeatTimeout; Temporal " +
		"notices the dead attempt that long after its last heartbeat, which came before the kill) plus the retry policy's " +
		"backoff before that attempt (llm.RetryPolicy: 2 s before the second attempt, doubling), both read from the " +
		"attempt's own activity info. Temporal's share is the rest: from the retry being due (the dead attempt's last " +
		"heartbeat, or its start when it sent none, + heartbeat timeout + backoff) to the server starting it, known to " +
		"within the heartbeat's round trip. A stall whose retry a later kill took down before it asked spans both kills.\n")
	return b.String()
}

// section writes the details of one API.
func section(b *strings.Builder, a APIRun) {
	fmt.Fprintf(b, "\n## %s (`%s`)\n\n", APIName(a.API), a.API)
	b.WriteString("| scenario | runs/flow | kills | docapproval ok | research ok | ordersaga ok | LLM billed / minimum | answers bought again | generations running at kills | LLM calls abandoned | stalls after kills: median / longest | retry starts after kills: median / latest (its bound) | slowest run | duration |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range a.Runs {
		slow := time.Duration(0)
		for _, f := range r.Flows {
			slow = max(slow, f.Slowest)
		}
		fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %s | %d / %d | %s | %d | %d | %s | %s | %s | %s |\n",
			strings.TrimSuffix(r.Config.Prefix, "-"), r.Config.Runs, r.Kills,
			okCount(r, "docapproval"), okCount(r, "research"), okCount(r, "ordersaga"),
			r.Billed, r.MinBilled, rebuys(a.API, r.Rebought, r.RebuyCut, r.MinBilled), r.Running, r.Abandoned,
			stallCell(r), retryCell(r), dur(slow), dur(r.Duration))
	}
	state := "passed"
	if len(a.RestartProblems) > 0 {
		state = "FAILED"
	}
	fmt.Fprintf(b, "\nDev server stopped and restarted (same DB file, same port) while a review waited: %s in %s.\n", state, dur(a.Restart))
	for _, r := range a.Runs {
		s, ok := r.Longest()
		if !ok {
			continue
		}
		name := strings.TrimSuffix(r.Config.Prefix, "-")
		fmt.Fprintf(b, "\nLongest stall of %s: %s.\n", name, s)
		if l, ok := r.LongestRetry(); ok && (l.Workflow != s.Workflow || l.Kill != s.Kill) {
			fmt.Fprintf(b, "Latest retry start: %s.\n", l)
		}
		var live []Stall
		for _, x := range r.Stalls {
			if x.Down == 0 {
				live = append(live, x)
			}
		}
		fmt.Fprintf(b, "Temporal's share over the %d retries that came due with a worker polling (of %d stalls), from the retry being due (the dead attempt's last heartbeat + heartbeat timeout + backoff) to its start: %s.\n",
			len(live), len(r.Stalls), latencyRange(live))
		over, unknown := r.OverBound()
		switch {
		case len(over) == 0:
			fmt.Fprintf(b, "No retry started after its bound")
		default:
			fmt.Fprintf(b, "%d of the %d retries started after their bound; the latest ones:\n\n", len(over), len(r.Stalls)-unknown)
			for _, s := range over[:min(len(over), 5)] {
				fmt.Fprintf(b, "- %s\n", s)
			}
			b.WriteString("\n")
		}
		if unknown > 0 {
			fmt.Fprintf(b, "%d stalls have no retry in the attempt log (their workflow ID is unknown): no bound", unknown)
		}
		if len(over) == 0 || unknown > 0 {
			b.WriteString(".\n")
		}
	}
	b.WriteString("\n### Violations\n\n")
	v := a.Violations()
	if len(v) == 0 {
		b.WriteString("None: every workflow completed with the right result")
		if PaidOnce(a.API) {
			b.WriteString(" and was billed exactly the LLM answers it needs")
		} else {
			b.WriteString(" and was billed at least the LLM answers it needs (this API does not promise to pay once: the answers bought again are counted above)")
		}
		b.WriteString(", each order was charged once (and refunded once when compensated), each approved document was persisted once.\n")
	}
	for _, x := range v {
		fmt.Fprintf(b, "- %s\n", x)
	}
}

// verdict is the summary's last column.
func verdict(a APIRun) string {
	if v := a.Violations(); len(v) > 0 {
		if len(v) == 1 {
			return "FAILED: 1 violation"
		}
		return fmt.Sprintf("FAILED: %d violations", len(v))
	}
	if PaidOnce(a.API) {
		return "passed: every answer paid once"
	}
	return "passed (results, charges, records); paying once is not promised"
}

// rebuys renders the answers bought again.
func rebuys(api llm.API, n, cut, minimum int) string {
	if n == 0 {
		if PaidOnce(api) {
			return "0"
		}
		return "0 (+0 %)"
	}
	s := fmt.Sprintf("%d (+%.1f %%)", n, 100*float64(n)/float64(max(minimum, 1)))
	if cut == n {
		return s + ", each cut mid-generation"
	}
	return s + fmt.Sprintf(", %d cut mid-generation, %d after their answer arrived", cut, n-cut)
}

// overBound renders how many retries started after their bound, by how
// much at most, and Temporal's share of it.
func overBound(r Result) string {
	over, unknown := r.OverBound()
	s := fmt.Sprintf("%d of %d", len(over), len(r.Stalls))
	if len(over) > 0 {
		var excess, start time.Duration
		var live []Stall
		for _, x := range over {
			excess = max(excess, x.RetryStart()-x.Bound())
			start = max(start, x.WorkerStart())
			if x.Down == 0 {
				live = append(live, x)
			}
		}
		s += fmt.Sprintf(", by at most %s", dur(excess))
		if down := len(over) - len(live); down > 0 {
			s += fmt.Sprintf("; %d of them came due while a later kill had left no worker polling", down)
		}
		if len(live) > 0 {
			s += fmt.Sprintf("; Temporal's share (with a worker polling): %s after the retry was due", latencyRange(live))
		}
		s += fmt.Sprintf("; then the worker's request within %s of the start", dur(start))
	}
	if unknown > 0 {
		s += fmt.Sprintf("; %d without a known bound", unknown)
	}
	return s
}

// latencyRange renders Temporal's latency over stalls, from when each
// retry was due to its start: the median and the largest of the least
// values ([Stall.Latency]), or the largest lower bound ([Stall.Dispatch])
// where the dead attempt's last heartbeat is unknown.
func latencyRange(stalls []Stall) string {
	var known []time.Duration
	var least time.Duration
	unknown := false
	for _, x := range stalls {
		if d, _, ok := x.Latency(); ok {
			known = append(known, d)
		} else if x.Retry != nil {
			least, unknown = max(least, x.Dispatch()), true
		}
	}
	var parts []string
	if len(known) > 0 {
		slices.Sort(known)
		parts = append(parts, fmt.Sprintf("at least %s (median) to %s", dur(known[len(known)/2]), dur(known[len(known)-1])))
	}
	if unknown {
		parts = append(parts, fmt.Sprintf("at least %s where the dead attempt's last heartbeat is unknown", dur(least)))
	}
	if len(parts) == 0 {
		return "an unknown time"
	}
	return strings.Join(parts, "; ")
}

// stallCell renders the stalls of a run for the details table.
func stallCell(r Result) string {
	s, ok := r.Longest()
	if !ok {
		return "-"
	}
	waits := make([]time.Duration, len(r.Stalls))
	for i, x := range r.Stalls {
		waits[i] = x.Wait
	}
	slices.Sort(waits)
	return fmt.Sprintf("%s / %s, %d calls", dur(waits[len(waits)/2]), dur(s.Wait), len(waits))
}

// retryCell renders the retry starts of a run for the details table.
func retryCell(r Result) string {
	s, ok := r.LongestRetry()
	if !ok {
		return "-"
	}
	var starts []time.Duration
	for _, x := range r.Stalls {
		if x.Retry != nil {
			starts = append(starts, x.RetryStart())
		}
	}
	slices.Sort(starts)
	return fmt.Sprintf("%s / %s (%s)", dur(starts[len(starts)/2]), dur(s.RetryStart()), dur(s.Bound()))
}

// dur rounds d for the report.
func dur(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

func okCount(r Result, flow string) string {
	f := r.Flows[flow]
	if f == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d", f.OK, f.Runs)
}
