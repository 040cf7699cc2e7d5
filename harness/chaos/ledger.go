package chaos

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// tagPattern finds the workflow tag the harness puts in every prompt; the
// fake provider echoes prompts, so a revision prompt (which quotes the
// draft) carries it too.
var tagPattern = regexp.MustCompile(`chaos-run=([A-Za-z0-9_.-]+)`)

// tag is the marker put in the prompts of the workflow named id.
func tag(id string) string { return "[chaos-run=" + id + "]" }

// tagOf returns the workflow tag of a generation request, "" when none.
func tagOf(r llmtest.Request) string {
	texts := []string{r.Instructions}
	for _, m := range r.Messages {
		texts = append(texts, m.Content)
	}
	for _, t := range texts {
		if m := tagPattern.FindStringSubmatch(t); m != nil {
			return m[1]
		}
	}
	return ""
}

// ledger accounts for the LLM answers of one [Harness.Run]: what each
// workflow needs, what the fake provider billed it, and the stalls after
// kills.
type ledger struct {
	h             *Harness
	start         time.Time
	calls0, reqs0 int

	mu       sync.Mutex
	want     map[string]int    // LLM answers each workflow needs
	flow     map[string]string // flow of each workflow
	workflow map[string]string // Temporal workflow ID of each workflow, once known
}

func (h *Harness) openLedger() *ledger {
	return &ledger{
		h: h, start: time.Now(), calls0: len(h.llm.Calls()), reqs0: len(h.llm.Requests()),
		want: map[string]int{}, flow: map[string]string{}, workflow: map[string]string{},
	}
}

// expect notes that workflow id of flow needs n LLM answers.
func (l *ledger) expect(flow, id string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.want[id] += n
	l.flow[id] = flow
}

// started notes the Temporal workflow ID of workflow id, to find its
// activity attempts.
func (l *ledger) started(id, workflowID string) {
	if workflowID == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.workflow[id] = workflowID
}

// settle waits until the fake provider finished (and billed) every
// generation of the run, then checks each workflow's billing and measures
// the stalls after the run's kills. It fills res and returns the
// violations. Where the API promises it ([PaidOnce]), each workflow must
// be billed exactly the answers it needs; elsewhere it must be billed at
// least those, and the answers bought again are counted in res
// (Rebought, RebuyCut), not violations.
func (l *ledger) settle(res *Result) []string {
	var v []string
	if !l.h.llm.WaitSettled(time.Minute) {
		v = append(v, fmt.Sprintf("LLM: %d generations still running a minute after the run", l.h.llm.Stats().InFlight))
	}
	end := time.Now()
	reqs := l.h.llm.Requests()
	calls := map[string]llmtest.Call{}
	billed := map[string][]llmtest.Call{}
	for _, c := range l.h.llm.Calls()[l.calls0:] {
		calls[c.ID] = c
		if c.Abandoned {
			res.Abandoned++
		}
		if !c.Billed {
			continue
		}
		res.Billed++
		id := tagOf(reqs[c.Request])
		if id == "" {
			v = append(v, fmt.Sprintf("LLM call %s carries no chaos-run tag: the harness cannot tell whose answer it is", c.ID))
			continue
		}
		billed[id] = append(billed[id], c)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	v = append(v, checkBilling(res, l.want, l.flow, billed)...)
	kills := l.h.killedBetween(l.start, end)
	res.Stalls = stalls(kills, reqs[l.reqs0:], calls)
	attempts, err := readAttempts(l.h.attemptLog())
	if err != nil {
		v = append(v, "read the activity attempt log: "+err.Error())
	}
	all := res.Stalls
	res.Stalls = res.Stalls[:0]
	for _, st := range all {
		st.explain(attempts, l.workflow)
		st.place(kills, l.h.readyAfter)
		var prev time.Time
		if st.Kill > 1 {
			prev = kills[st.Kill-2]
		}
		if !st.Moot(prev) {
			res.Stalls = append(res.Stalls, st)
		}
	}
	for _, tk := range kills {
		for _, c := range calls {
			if !c.Created.After(tk) && c.Finished.After(tk) {
				res.Running++
			}
		}
	}
	return v
}

// checkBilling compares what each workflow needs (want, by chaos-run tag;
// flow names its flow) with the calls billed to it, adds the minimum and
// the answers bought again to res, and returns the violations: on an API
// that promises to pay once ([PaidOnce] of res.API) any difference, on the
// others fewer answers than needed. Answers billed to a workflow nobody
// started are a violation on every API.
func checkBilling(res *Result, want map[string]int, flow map[string]string, billed map[string][]llmtest.Call) []string {
	var v []string
	strict := PaidOnce(res.API)
	for _, id := range slices.Sorted(maps.Keys(want)) {
		n := want[id]
		res.MinBilled += n
		got := billed[id]
		switch {
		case strict && len(got) != n:
			v = append(v, fmt.Sprintf("%s %s: the LLM billed %d answers, want exactly %d (%s)", flow[id], id, len(got), n, describe(got)))
		case len(got) < n:
			v = append(v, fmt.Sprintf("%s %s: the LLM billed %d answers, fewer than the %d it needs (%s)", flow[id], id, len(got), n, describe(got)))
		case len(got) > n:
			res.Rebought += len(got) - n
			cut := 0
			for _, c := range got {
				if !c.Delivered {
					cut++
				}
			}
			res.RebuyCut += min(cut, len(got)-n)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(billed)) {
		if _, ok := want[id]; !ok {
			v = append(v, fmt.Sprintf("LLM answers billed for %s, which no flow of this run started (%s)", id, describe(billed[id])))
		}
	}
	return v
}

// describe lists billed calls for a violation.
func describe(calls []llmtest.Call) string {
	if len(calls) == 0 {
		return "none"
	}
	parts := make([]string, len(calls))
	for i, c := range calls {
		parts[i] = fmt.Sprintf("%s %s %s", c.ID, c.Endpoint, c.Status)
		if c.Abandoned {
			parts[i] += " abandoned"
		}
		if !c.Delivered {
			parts[i] += " never delivered"
		}
	}
	return strings.Join(parts, "; ")
}

// Stall is the wait of one LLM call a kill interrupted: from the kill to
// the call's next request (its retry, or the resumption of its
// generation), and, from the attempt log, when Temporal started the retry.
type Stall struct {
	// Kill is the kill's number in the run (1 for the first) and KillTime
	// when it happened.
	Kill     int
	KillTime time.Time
	// Workflow is the chaos-run tag of the workflow (kill-restart-doc-3)
	// and Call the generation it interrupted ("cut before its generation
	// started" when none had started).
	Workflow, Call string
	// Next is when the call's next request arrived; Wait is Next − KillTime.
	Next time.Time
	Wait time.Duration
	// Asker is the activity attempt that sent the next request, Retry the
	// first attempt of that activity the server started after the kill
	// (Asker itself, unless a later kill took that one down before it
	// asked), and Dead the attempt before Retry, which the kill
	// interrupted. Each is nil when the attempt log does not have it.
	Asker, Retry, Dead *Attempt
	// Again is the number of a later kill that interrupted Retry before it
	// asked (Asker then came after it), 0 when none did; AgainTime is when.
	Again     int
	AgainTime time.Time
	// Down is the number of a later kill after which no restarted worker
	// polled until Up, a time after the retry was due: Temporal had no live
	// worker to hand the retry to until Up. 0 when none.
	Down     int
	DownTime time.Time
	Up       time.Time
}

// Bound is what the start of the retry may take after the kill by the
// activity's timeouts: its heartbeat timeout (Temporal notices the dead
// attempt that long after its last heartbeat, which came before the kill)
// plus the backoff before the retry's attempt. Temporal's own dispatch
// (its timers and task queue) comes on top. It is 0 when the retry is
// unknown.
func (s Stall) Bound() time.Duration {
	if s.Retry == nil {
		return 0
	}
	return s.Retry.HeartbeatTimeout + s.Retry.Backoff()
}

// RetryStart is how long after the kill the server started the retry,
// 0 when the retry is unknown. The bound applies to it.
func (s Stall) RetryStart() time.Duration {
	if s.Retry == nil {
		return 0
	}
	return s.Retry.Started.Sub(s.KillTime)
}

// Over reports whether the retry started later than its bound after the
// kill.
func (s Stall) Over() bool { return s.Retry != nil && s.RetryStart() > s.Bound() }

// LastHeartbeat returns when the server got the dead attempt's last
// heartbeat, between sent and returned: its first, when it died within
// the SDK's heartbeat throttle interval after it (the SDK holds the later
// ones), or its start when it sent none (the server counts the timeout
// from there); ok is false when unknown.
func (s Stall) LastHeartbeat() (sent, returned time.Time, ok bool) {
	switch d := s.Dead; {
	case d == nil:
		return time.Time{}, time.Time{}, false
	case d.HeartbeatSent.IsZero():
		return d.Started, d.Started, true
	case s.KillTime.Sub(d.HeartbeatSent) >= d.Throttle():
		return time.Time{}, time.Time{}, false
	}
	return s.Dead.HeartbeatSent, s.Dead.HeartbeatReturned, true
}

// Latency returns Temporal's own share of the wait for the retry: from
// when it was due (the dead attempt's last heartbeat + heartbeat timeout +
// backoff) to the server starting it (its timer queues and task queue).
// The heartbeat reached the server between its send and its return, so
// the share is between least and most; ok is false when unknown.
func (s Stall) Latency() (least, most time.Duration, ok bool) {
	sent, returned, ok := s.LastHeartbeat()
	if !ok || s.Retry == nil {
		return 0, 0, false
	}
	return s.Retry.Started.Sub(returned.Add(s.Bound())), s.Retry.Started.Sub(sent.Add(s.Bound())), true
}

// Dispatch is the least Temporal's share can be when the dead attempt's
// last heartbeat is unknown: RetryStart − Bound (that heartbeat came
// before the kill). It can be negative.
func (s Stall) Dispatch() time.Duration { return s.RetryStart() - s.Bound() }

// WorkerStart is how long the asking attempt took from its start to its
// LLM request: Next − Asker.Started (claiming the idempotency key,
// reading the recorded state). 0 when unknown.
func (s Stall) WorkerStart() time.Duration {
	if s.Asker == nil {
		return 0
	}
	return s.Next.Sub(s.Asker.Started)
}

// explain finds, in the attempt log, the attempt that sent the stall's
// next request (the latest heartbeating attempt of its workflow received
// before it), the first attempt of that activity received after the kill
// (the retry) and the one before it (the attempt the kill interrupted).
func (s *Stall) explain(attempts []Attempt, workflows map[string]string) {
	wf := workflows[s.Workflow]
	if wf == "" {
		return
	}
	for i := range attempts {
		a := &attempts[i]
		if a.Workflow == wf && a.HeartbeatTimeout > 0 && !a.Received.After(s.Next) && (s.Asker == nil || a.Received.After(s.Asker.Received)) {
			s.Asker = a
		}
	}
	if s.Asker == nil {
		return
	}
	for i := range attempts {
		a := &attempts[i]
		if a.Workflow != wf || a.ActivityID != s.Asker.ActivityID {
			continue
		}
		if a.Received.After(s.KillTime) && !a.Received.After(s.Asker.Received) && (s.Retry == nil || a.Received.Before(s.Retry.Received)) {
			s.Retry = a
		}
	}
	if s.Retry == nil {
		return
	}
	for i := range attempts {
		a := &attempts[i]
		if a.Workflow == wf && a.ActivityID == s.Retry.ActivityID && a.Attempt == s.Retry.Attempt-1 && !a.Received.After(s.KillTime) {
			s.Dead = a
		}
	}
}

// place relates the stall to the run's other kills: a later kill that
// interrupted the retry before it asked (Again), and one that left no
// worker polling when the retry was due (Down). readyAfter says when the
// first worker started after a time said it polls.
func (s *Stall) place(kills []time.Time, readyAfter func(time.Time) time.Time) {
	if s.Retry == nil {
		return
	}
	due := s.KillTime.Add(s.Bound())
	if sent, _, ok := s.LastHeartbeat(); ok {
		due = sent.Add(s.Bound())
	}
	for k := s.Kill; k < len(kills); k++ { // the kills after this one
		tk := kills[k]
		if s.Again == 0 && s.Asker != s.Retry && tk.After(s.Retry.Received) && tk.Before(s.Next) {
			s.Again, s.AgainTime = k+1, tk
		}
		if tk.After(s.Retry.Started) {
			continue
		}
		if up := readyAfter(tk); tk.Before(due) && (up.IsZero() || up.After(due)) {
			s.Down, s.DownTime, s.Up = k+1, tk, up
		}
	}
}

// Moot reports a stall whose kill did not interrupt the call: the
// attempt that asked next was already running before the kill (it ran on
// a worker the kill spared), or the attempt before the retry had been
// started before the kill before this one (prev), so it had died with
// that one.
func (s Stall) Moot(prev time.Time) bool {
	if s.Asker != nil && !s.Asker.Received.After(s.KillTime) {
		return true
	}
	return s.Dead != nil && !prev.IsZero() && s.Dead.Received.Before(prev)
}

// String describes the stall and, when known, what it is made of.
func (s Stall) String() string {
	out := fmt.Sprintf("%s (%s) after kill %d: next LLM request %s after the kill", s.Workflow, s.Call, s.Kill, dur(s.Wait))
	if s.Retry == nil {
		return out + " (its retry is not in the attempt log)"
	}
	r := s.Retry
	if sent, _, ok := s.LastHeartbeat(); ok {
		least, most, _ := s.Latency()
		what := fmt.Sprintf("'s last heartbeat was sent %s before the kill", dur(s.KillTime.Sub(sent)))
		if s.Dead.HeartbeatSent.IsZero() {
			what = fmt.Sprintf(" started %s before the kill and sent no heartbeat", dur(s.KillTime.Sub(sent)))
		}
		out += fmt.Sprintf("; the dead attempt%s, so heartbeat timeout %s + backoff %s made %s attempt %d due %s after the kill, and Temporal started it %s after the kill, %s after it was due (its timers and task queue; the range is the heartbeat's round trip)",
			what, r.HeartbeatTimeout, r.Backoff(), r.Activity, r.Attempt, dur(sent.Add(s.Bound()).Sub(s.KillTime)),
			dur(s.RetryStart()), span(least, most))
	} else {
		out += fmt.Sprintf("; Temporal started %s attempt %d %s after the kill (heartbeat timeout %s + backoff %s = %s, then at least %s of its timers and task queue; the dead attempt's last heartbeat is unknown)",
			r.Activity, r.Attempt, dur(s.RetryStart()), r.HeartbeatTimeout, r.Backoff(), s.Bound(), dur(s.Dispatch()))
	}
	if s.Down > 0 {
		up := "no worker restarted"
		if !s.Up.IsZero() {
			up = fmt.Sprintf("the restarted worker polled %s after this kill", dur(s.Up.Sub(s.KillTime)))
		}
		out += fmt.Sprintf("; kill %d came %s after this one, before the retry was due, and %s: until then no worker could take the retry", s.Down, dur(s.DownTime.Sub(s.KillTime)), up)
	}
	switch {
	case s.Asker != s.Retry && s.Again > 0:
		out += fmt.Sprintf("; kill %d, %s after this one, took that attempt down before it asked, and attempt %d asked", s.Again, dur(s.AgainTime.Sub(s.KillTime)), s.Asker.Attempt)
	case s.Asker != s.Retry:
		out += fmt.Sprintf("; that attempt never asked, and attempt %d did", s.Asker.Attempt)
	default:
		out += fmt.Sprintf("; the worker sent the LLM request %s after the start", dur(s.WorkerStart()))
	}
	return out
}

// span renders a duration known to lie between least and most.
func span(least, most time.Duration) string {
	if most-least < time.Millisecond {
		return dur(least)
	}
	return dur(least) + " to " + dur(most)
}

// stalls measures, for every kill, how long each LLM call it interrupted
// waited: from the kill to the next request of that call (a retrieve or
// stream resumption of its generation, or a create with the same prompt: a
// retry). A call was interrupted when it was asked before the kill and its
// answer was not delivered before it; a request cut before its generation
// started is charged to the first kill after it. A call interrupted by two
// kills is measured from each.
func stalls(kills []time.Time, reqs []llmtest.Request, calls map[string]llmtest.Call) []Stall {
	var out []Stall
	for ki, tk := range kills {
		seen := map[int]bool{}
		for _, r0 := range reqs {
			if (r0.Endpoint != llmtest.EndpointChat && r0.Endpoint != llmtest.EndpointResponses) || r0.Time.After(tk) {
				continue
			}
			c, started := calls[r0.CallID]
			switch {
			case started && !c.DeliveredAt.IsZero() && !c.DeliveredAt.After(tk):
				continue // answered before the kill
			case !started && (r0.Status != llmtest.StatusClientClosedRequest || (ki > 0 && r0.Time.Before(kills[ki-1]))):
				continue // an error, or cut by an earlier kill
			}
			for j, r := range reqs {
				if !r.Time.After(tk) {
					continue
				}
				resumes := started && r.ResponseID == c.ID
				retries := (r.Endpoint == llmtest.EndpointChat || r.Endpoint == llmtest.EndpointResponses) && r.LastUser() == r0.LastUser()
				if !resumes && !retries {
					continue
				}
				// The same retry answers every earlier request of the call
				// (a generation and the requests cut before it): count it once.
				if seen[j] {
					break
				}
				seen[j] = true
				call := r0.CallID
				if call == "" {
					call = "cut before its generation started"
				}
				out = append(out, Stall{Kill: ki + 1, KillTime: tk, Workflow: tagOf(r0), Call: call, Next: r.Time, Wait: r.Time.Sub(tk)})
				break
			}
		}
	}
	return out
}
