package chaos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

func TestTagOf(t *testing.T) {
	r := llmtest.Request{Messages: []llmtest.Message{
		{Role: "system", Content: "be brief"},
		{Role: "user", Content: "Make it shorter.\n\n--- Current draft ---\necho: Write a note. " + tag("kill-restart-doc-3")},
	}}
	assert.Equal(t, "kill-restart-doc-3", tagOf(r))
	assert.Empty(t, tagOf(llmtest.Request{Messages: []llmtest.Message{{Role: "user", Content: "untagged"}}}))
}

func TestStalls(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	user := func(s string) []llmtest.Message { return []llmtest.Message{{Role: "user", Content: s + " " + tag(s)}} }
	kills := []time.Time{at(10), at(30)}
	reqs := []llmtest.Request{
		// A: generating at the first kill, resumed by id 12 s later.
		{Endpoint: llmtest.EndpointResponses, Messages: user("a"), Time: at(5), CallID: "resp_a"},
		// B: answered before the first kill.
		{Endpoint: llmtest.EndpointResponses, Messages: user("b"), Time: at(6), CallID: "resp_b"},
		// C: cut before its generation started, retried 5 s after the kill.
		{Endpoint: llmtest.EndpointChat, Messages: user("c"), Time: at(9), Status: llmtest.StatusClientClosedRequest},
		{Endpoint: llmtest.EndpointChat, Messages: user("c"), Time: at(15), CallID: "chat_c"},
		{Endpoint: llmtest.EndpointRetrieve, ResponseID: "resp_a", Time: at(22)},
		// D: asked after the first kill, answered before the second.
		{Endpoint: llmtest.EndpointResponses, Messages: user("d"), Time: at(23), CallID: "resp_d"},
		// A's retrieve at 22 was the last request for it: the second kill
		// interrupts nothing that asks again.
	}
	calls := map[string]llmtest.Call{
		"resp_a": {ID: "resp_a", DeliveredAt: at(22)},
		"resp_b": {ID: "resp_b", DeliveredAt: at(8)},
		"chat_c": {ID: "chat_c", DeliveredAt: at(16)},
		"resp_d": {ID: "resp_d", DeliveredAt: at(25)},
	}
	got := stalls(kills, reqs, calls)
	require.Len(t, got, 2, "A and C")
	assert.Equal(t, Stall{Kill: 1, KillTime: at(10), Workflow: "a", Call: "resp_a", Next: at(22), Wait: 12 * time.Second}, got[0])
	assert.Equal(t, Stall{Kill: 1, KillTime: at(10), Workflow: "c", Call: "cut before its generation started", Next: at(15), Wait: 5 * time.Second}, got[1])
	longest, ok := Result{Stalls: got}.Longest()
	assert.True(t, ok)
	assert.Equal(t, "a", longest.Workflow)
}

func TestStallExplained(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := Stall{Kill: 1, KillTime: t0, Workflow: "kill-restart-doc-1", Call: "chatcmpl-llmtest-4", Next: t0.Add(12700 * time.Millisecond), Wait: 12700 * time.Millisecond}
	attempt := func(wf string, n int32, started time.Duration, hb time.Duration) Attempt {
		return Attempt{
			Workflow: wf, ActivityID: "7", Activity: "Draft", Attempt: n, Started: t0.Add(started), Received: t0.Add(started + time.Millisecond),
			HeartbeatTimeout: hb, InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		}
	}
	const wf = "docapproval-kill-restart-doc-1"
	attempts := []Attempt{
		attempt(wf, 1, -time.Second, 10*time.Second),
		attempt(wf, 1, 2*time.Second, 0),                                             // no heartbeat: not an LLM call
		attempt("docapproval-kill-restart-doc-2", 2, 12*time.Second, 10*time.Second), // another workflow
		attempt(wf, 2, 12400*time.Millisecond, 10*time.Second),                       // the retry
		attempt(wf, 3, 13*time.Second, 10*time.Second),                               // after the request
	}
	attempts[1].ActivityID = "8"
	// The dead attempt heartbeated once, 0.5 s before the kill.
	attempts[0].HeartbeatSent, attempts[0].HeartbeatReturned = t0.Add(-500*time.Millisecond), t0.Add(-480*time.Millisecond)
	workflows := map[string]string{"kill-restart-doc-1": wf}
	s.explain(attempts, workflows)
	require.NotNil(t, s.Retry)
	assert.Equal(t, int32(2), s.Retry.Attempt)
	assert.Same(t, s.Retry, s.Asker, "the retry asked")
	require.NotNil(t, s.Dead)
	assert.Equal(t, int32(1), s.Dead.Attempt)
	assert.Equal(t, 12*time.Second, s.Bound(), "heartbeat timeout 10 s + backoff 2 s")
	assert.Equal(t, 12400*time.Millisecond, s.RetryStart())
	assert.True(t, s.Over())
	assert.Equal(t, 300*time.Millisecond, s.WorkerStart())
	least, most, ok := s.Latency()
	assert.True(t, ok)
	assert.Equal(t, 880*time.Millisecond, least, "due 11.52 s after the kill at the latest, started 12.4 s after it")
	assert.Equal(t, 900*time.Millisecond, most)
	assert.False(t, s.Moot(time.Time{}))
	assert.True(t, s.Moot(t0.Add(-800*time.Millisecond)), "the dead attempt started before the kill before: it died with that one")

	// An attempt that lived past the SDK's throttle interval may have
	// heartbeated again: its last heartbeat is unknown.
	attempts[0].HeartbeatSent = t0.Add(-9 * time.Second)
	s.Asker, s.Retry, s.Dead = nil, nil, nil
	s.explain(attempts, workflows)
	_, _, ok = s.Latency()
	assert.False(t, ok)

	over, unknown := Result{Stalls: []Stall{s, {Wait: time.Hour}}}.OverBound()
	assert.Equal(t, []Stall{s}, over)
	assert.Equal(t, 1, unknown)
}

func TestStallRetryKilledAgain(t *testing.T) {
	// Kill 1 interrupts attempt 1; attempt 2 starts on time, 11.9 s later,
	// and kill 2 takes it down before it asks, sending no heartbeat;
	// attempt 3 asks 26.9 s after kill 1.
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	a := func(n int32, started int) Attempt {
		return Attempt{Workflow: "wf", ActivityID: "7", Activity: "Draft", Attempt: n, Started: at(started), Received: at(started + 10),
			HeartbeatTimeout: 10 * time.Second, InitialInterval: 2 * time.Second, BackoffCoefficient: 2}
	}
	attempts := []Attempt{a(1, -300), a(2, 11880), a(3, 26860)}
	attempts[0].HeartbeatSent, attempts[0].HeartbeatReturned = at(-200), at(-190)
	kills := []time.Time{t0, at(11950)}
	none := func(time.Time) time.Time { return time.Time{} }
	workflows := map[string]string{"doc": "wf"}

	first := Stall{Kill: 1, KillTime: kills[0], Workflow: "doc", Next: at(26877), Wait: 26877 * time.Millisecond}
	first.explain(attempts, workflows)
	first.place(kills, none)
	require.NotNil(t, first.Retry)
	assert.Equal(t, int32(2), first.Retry.Attempt, "the retry of kill 1 is attempt 2")
	assert.Equal(t, int32(3), first.Asker.Attempt)
	assert.Equal(t, 2, first.Again)
	assert.False(t, first.Over(), "attempt 2 started within 12 s")
	assert.Contains(t, first.String(), "kill 2, 11.95s after this one, took that attempt down before it asked, and attempt 3 asked")

	second := Stall{Kill: 2, KillTime: kills[1], Workflow: "doc", Next: at(26877), Wait: 14927 * time.Millisecond}
	second.explain(attempts, workflows)
	require.NotNil(t, second.Retry)
	assert.Equal(t, int32(3), second.Retry.Attempt)
	assert.Equal(t, int32(2), second.Dead.Attempt)
	assert.Equal(t, 14*time.Second, second.Bound(), "heartbeat timeout 10 s + backoff 4 s")
	least, _, ok := second.Latency()
	assert.True(t, ok, "a dead attempt without heartbeats times out from its start")
	assert.Equal(t, 980*time.Millisecond, least)
	assert.False(t, second.Moot(kills[0]))
}

func TestStallOutage(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	retry := &Attempt{Attempt: 2, Started: at(15400), Received: at(15410), HeartbeatTimeout: 10 * time.Second, InitialInterval: 2 * time.Second, BackoffCoefficient: 2}
	dead := &Attempt{Attempt: 1, HeartbeatSent: at(-500), HeartbeatReturned: at(-480), HeartbeatTimeout: 10 * time.Second}
	kills := []time.Time{t0, at(11200), at(30000)}
	ready := []time.Time{at(900), at(15000), at(31000)}
	readyAfter := func(t time.Time) time.Time {
		for _, r := range ready {
			if r.After(t) {
				return r
			}
		}
		return time.Time{}
	}

	// Kill 2 took the worker down 11.2 s after kill 1, before the retry
	// was due (11.5 s), and the next worker polled at 15 s.
	s := Stall{Kill: 1, KillTime: t0, Asker: retry, Retry: retry, Dead: dead, Next: at(15500)}
	s.place(kills, readyAfter)
	assert.Equal(t, 2, s.Down)
	assert.Equal(t, at(15000), s.Up)
	assert.Zero(t, s.Again)
	assert.Contains(t, s.String(), "kill 2 came 11.2s after this one")

	// A worker polling again before the retry was due explains nothing.
	ready[1] = at(11400)
	s = Stall{Kill: 1, KillTime: t0, Asker: retry, Retry: retry, Dead: dead, Next: at(15500)}
	s.place(kills, readyAfter)
	assert.Zero(t, s.Down)
}

func TestAttemptBackoff(t *testing.T) {
	a := Attempt{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second}
	for attempt, want := range map[int32]time.Duration{1: 0, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second} {
		a.Attempt = attempt
		assert.Equal(t, want, a.Backoff(), "attempt %d", attempt)
	}
}

func TestCheckBilling(t *testing.T) {
	want := map[string]int{"doc-1": 2, "research-1": 1}
	flow := map[string]string{"doc-1": "docapproval", "research-1": "research"}
	cut := llmtest.Call{ID: "cut", Billed: true}                    // a kill cut it: never delivered
	late := llmtest.Call{ID: "late", Billed: true, Delivered: true} // bought again after its answer arrived
	ok := llmtest.Call{ID: "ok", Billed: true, Delivered: true}
	billed := map[string][]llmtest.Call{"doc-1": {ok, cut, ok}, "research-1": {late, ok}}

	// Background Responses promise to pay once: every answer bought again
	// is a violation.
	bg := Result{API: llm.APIResponsesBackground}
	v := checkBilling(&bg, want, flow, billed)
	assert.Len(t, v, 2)
	assert.Equal(t, 3, bg.MinBilled)
	assert.Zero(t, bg.Rebought)

	// Chat completions do not: the answers bought again are counted.
	chat := Result{API: llm.APIChatCompletions}
	assert.Empty(t, checkBilling(&chat, want, flow, billed))
	assert.Equal(t, 3, chat.MinBilled)
	assert.Equal(t, 2, chat.Rebought)
	assert.Equal(t, 1, chat.RebuyCut, "one cut mid-generation, one bought again after it arrived")

	// Fewer answers than needed, or answers for nobody, fail on every API.
	short := map[string][]llmtest.Call{"doc-1": {ok}, "research-1": {ok}, "stranger": {ok}}
	chat = Result{API: llm.APIChatCompletions}
	v = checkBilling(&chat, want, flow, short)
	require.Len(t, v, 2)
	assert.Contains(t, v[0], "fewer than the 2 it needs")
	assert.Contains(t, v[1], "stranger")
}
