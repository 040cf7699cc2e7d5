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

	mu   sync.Mutex
	want map[string]int    // LLM answers each workflow needs
	flow map[string]string // flow of each workflow
}

func (h *Harness) openLedger() *ledger {
	return &ledger{
		h: h, start: time.Now(), calls0: len(h.llm.Calls()), reqs0: len(h.llm.Requests()),
		want: map[string]int{}, flow: map[string]string{},
	}
}

// expect notes that workflow id of flow needs n LLM answers.
func (l *ledger) expect(flow, id string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.want[id] += n
	l.flow[id] = flow
}

// settle waits until the fake provider finished (and billed) every
// generation of the run, then checks that each workflow was billed exactly
// the answers it needs and measures the stalls after the run's kills. It
// fills res and returns the violations.
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
	for _, id := range slices.Sorted(maps.Keys(l.want)) {
		n := l.want[id]
		res.MinBilled += n
		if got := billed[id]; len(got) != n {
			v = append(v, fmt.Sprintf("%s %s: the LLM billed %d answers, want exactly %d (%s)", l.flow[id], id, len(got), n, describe(got)))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(billed)) {
		if _, ok := l.want[id]; !ok {
			v = append(v, fmt.Sprintf("LLM answers billed for %s, which no flow of this run started (%s)", id, describe(billed[id])))
		}
	}
	kills := l.h.killedBetween(l.start, end)
	res.LongestStall, res.StallCall, res.Stalls = stalls(kills, reqs[l.reqs0:], calls)
	for _, tk := range kills {
		for _, c := range calls {
			if !c.Created.After(tk) && c.Finished.After(tk) {
				res.Running++
			}
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

// stalls measures, for every kill, how long each LLM call it interrupted
// waited: from the kill to the next request of that call (a retrieve or
// stream resumption of its generation, or a create with the same prompt: a
// retry). A call was interrupted when it was asked before the kill and its
// answer was not delivered before it; a request cut before its generation
// started is charged to the first kill after it. It returns the longest
// stall, the call it belongs to, and how many calls were measured.
func stalls(kills []time.Time, reqs []llmtest.Request, calls map[string]llmtest.Call) (longest time.Duration, which string, n int) {
	for ki, tk := range kills {
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
			for _, r := range reqs {
				if !r.Time.After(tk) {
					continue
				}
				resumes := started && r.ResponseID == c.ID
				retries := (r.Endpoint == llmtest.EndpointChat || r.Endpoint == llmtest.EndpointResponses) && r.LastUser() == r0.LastUser()
				if resumes || retries {
					n++
					if d := r.Time.Sub(tk); d > longest {
						call := r0.CallID
						if call == "" {
							call = "cut before its generation started"
						}
						longest, which = d, fmt.Sprintf("%s (%s) after kill %d", tagOf(r0), call, ki+1)
					}
					break
				}
			}
		}
	}
	return longest, which, n
}
