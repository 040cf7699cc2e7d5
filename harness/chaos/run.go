package chaos

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/llm"
)

// Config is one crash-and-restart run of the three flows.
type Config struct {
	// Runs is the number of runs of each flow.
	Runs int
	// Seed seeds the kill points.
	Seed uint64
	// Batch is how many runs of each flow run at once. 0 means [DefaultBatch].
	Batch int
	// KillsPerBatch is how many kills each batch gets. 0 means
	// [DefaultKillsPerBatch].
	KillsPerBatch int
	// MaxKillDelay bounds the delay between a kill point's LLM request and
	// the kill. 0 means [DefaultMaxKillDelay].
	MaxKillDelay time.Duration
	// Prefix makes the workflow IDs of this run unique in the harness.
	Prefix string
}

// FlowStats counts the runs of one flow.
type FlowStats struct {
	Runs, OK int
	// Slowest is the longest run.
	Slowest time.Duration
}

// Result is what [Harness.Run] saw.
type Result struct {
	Config Config
	// API is the llm API the workers called the LLM with.
	API   llm.API
	Kills int
	// Duration is the wall time of the run.
	Duration time.Duration
	// Billed and MinBilled are the LLM answers the fake provider billed
	// during the run and the fewest the flows need (1 draft + 1 revision
	// per review, 1 answer per research report). Where the API promises
	// it ([PaidOnce]), each workflow must be billed exactly its minimum: a
	// kill, even during a generation, must not buy an answer again.
	Billed, MinBilled int
	// Rebought counts the answers billed beyond a workflow's minimum on an
	// API that does not promise to pay once (Billed − MinBilled when no
	// workflow was billed less): what the kills cost. RebuyCut counts
	// those that were generations whose answer never reached a worker (a
	// kill cut them mid-generation); the others were bought again after
	// their answer had arrived.
	Rebought, RebuyCut int
	// Abandoned counts LLM generations whose client went away before the
	// whole answer (a kill mid-call); the provider billed them anyway.
	Abandoned int
	// Running counts the LLM generations the fake provider was running
	// (queued or generating) at a kill, over every kill.
	Running int
	// Stalls are the waits of the LLM calls the kills interrupted, in the
	// order of the kills.
	Stalls []Stall
	Flows  map[string]*FlowStats
	// Violations lists every broken invariant; empty means all held.
	Violations []string
}

// PaidOnce reports whether api promises that a kill during a generation
// does not buy it again: only [llm.APIResponsesBackground] does. On the
// others the harness counts the answers bought again ([Result.Rebought])
// instead of reporting them as violations.
func PaidOnce(api llm.API) bool { return api == llm.APIResponsesBackground }

// Longest returns the longest stall after a kill; ok is false when no
// kill interrupted a call.
func (r Result) Longest() (s Stall, ok bool) {
	for _, x := range r.Stalls {
		if !ok || x.Wait > s.Wait {
			s, ok = x, true
		}
	}
	return s, ok
}

// LongestRetry returns the stall whose retry started latest after its
// kill; ok is false when no stall has a known retry.
func (r Result) LongestRetry() (s Stall, ok bool) {
	for _, x := range r.Stalls {
		if x.Retry != nil && (!ok || x.RetryStart() > s.RetryStart()) {
			s, ok = x, true
		}
	}
	return s, ok
}

// OverBound returns the stalls whose retry started later than their
// [Stall.Bound] after the kill, latest first, and how many stalls had no
// known retry.
func (r Result) OverBound() (over []Stall, unknown int) {
	for _, s := range r.Stalls {
		switch {
		case s.Retry == nil:
			unknown++
		case s.Over():
			over = append(over, s)
		}
	}
	slices.SortFunc(over, func(a, b Stall) int { return cmp.Compare(b.RetryStart()-b.Bound(), a.RetryStart()-a.Bound()) })
	return over, unknown
}

// FlowsOK returns the runs that ended as they should, and all the runs.
func (r Result) FlowsOK() (ok, runs int) {
	for _, f := range r.Flows {
		ok += f.OK
		runs += f.Runs
	}
	return ok, runs
}

// Run runs cfg.Runs runs of each flow in batches, kills the worker process
// w at seeded random points of each batch and restarts it, then checks every
// run's result and side effects, and the LLM billing of every workflow. A
// nil w runs without kills (the caller may kill from the side).
func (h *Harness) Run(ctx context.Context, w *Worker, cfg Config) Result {
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.KillsPerBatch <= 0 {
		cfg.KillsPerBatch = DefaultKillsPerBatch
	}
	if cfg.MaxKillDelay <= 0 {
		cfg.MaxKillDelay = DefaultMaxKillDelay
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	res := Result{Config: cfg, API: h.API(), Flows: map[string]*FlowStats{
		"docapproval": {}, "research": {}, "ordersaga": {},
	}}
	led := h.openLedger()
	var mu sync.Mutex
	record := func(flow string, d time.Duration, problems []string) {
		mu.Lock()
		defer mu.Unlock()
		fs := res.Flows[flow]
		fs.Runs++
		fs.Slowest = max(fs.Slowest, d)
		if len(problems) == 0 {
			fs.OK++
		}
		res.Violations = append(res.Violations, problems...)
	}
	flows := map[string]func(context.Context, client.Client, *ledger, string, int) []string{
		"docapproval": h.runReview, "research": h.runResearch, "ordersaga": h.runOrder,
	}
	for first := 0; first < cfg.Runs; first += cfg.Batch {
		n := min(cfg.Batch, cfg.Runs-first)
		var wg sync.WaitGroup
		for i := first; i < first+n; i++ {
			for _, name := range []string{"docapproval", "research", "ordersaga"} {
				wg.Go(func() {
					rctx, cancel := context.WithTimeout(ctx, DefaultRunTimeout)
					defer cancel()
					t0 := time.Now()
					p := flows[name](rctx, h.Client(), led, cfg.Prefix, i)
					record(name, time.Since(t0), p)
				})
			}
		}
		for _, at := range h.killPoints(rng, cfg, n, w != nil) {
			h.awaitKillPoint(ctx, at)
			if err := w.Restart(ctx); err != nil {
				mu.Lock()
				res.Violations = append(res.Violations, "restart worker: "+err.Error())
				mu.Unlock()
			}
			res.Kills++
		}
		wg.Wait()
	}
	res.Violations = append(res.Violations, led.settle(&res)...)
	res.Duration = time.Since(led.start)
	return res
}

// killPoint is where a kill lands: after the LLM server received its
// request number requests, plus delay.
type killPoint struct {
	requests int
	delay    time.Duration
}

// killPoints draws the kills of a batch of n runs per flow: each after a
// seeded LLM request of the batch (its 3n answers at least), plus a seeded
// delay, so every kill lands while the batch still runs: before a
// generation starts, during one, or between calls.
func (h *Harness) killPoints(rng *rand.Rand, cfg Config, n int, kill bool) []killPoint {
	if !kill {
		return nil
	}
	base := len(h.llm.Requests())
	ks := make([]int, cfg.KillsPerBatch)
	for i := range ks {
		ks[i] = 1 + rng.IntN(3*n)
	}
	slices.Sort(ks)
	pts := make([]killPoint, len(ks))
	for i, k := range ks {
		pts[i] = killPoint{requests: base + k, delay: time.Duration(rng.Int64N(int64(cfg.MaxKillDelay)))}
	}
	return pts
}

// awaitKillPoint waits for p (at most a minute for its request).
func (h *Harness) awaitKillPoint(ctx context.Context, p killPoint) {
	h.llm.WaitRequests(p.requests, time.Minute)
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
	}
}
