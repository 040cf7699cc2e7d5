package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// Defaults of [Config].
const (
	// DefaultBatch is how many runs of each flow share one batch.
	DefaultBatch = 5
	// DefaultKillsPerBatch is how many times a batch's worker is killed.
	DefaultKillsPerBatch = 2
	// DefaultMaxKillDelay bounds the seeded delay between a kill point's
	// LLM request and the kill.
	DefaultMaxKillDelay = 500 * time.Millisecond
	// DefaultRunTimeout bounds one run of a flow, kills included.
	DefaultRunTimeout = 4 * time.Minute
	// LLMDelay is how long the fake LLM server takes to answer, so that some
	// kills land during a call.
	LLMDelay = 150 * time.Millisecond
	// OrderAttemptTimeout is the order saga's per-step attempt timeout in
	// the harness: a step cut by a kill is retried after it.
	OrderAttemptTimeout = 2 * time.Second
	// chaosSKU is the product every harness order reserves.
	chaosSKU = "chaos-part"
)

// ErrWorkerExited is returned by [Harness.StartWorker] when the worker
// process ends before it says it is ready; its log is in the harness
// directory.
var ErrWorkerExited = errors.New("chaos: worker exited before it was ready: read its log in the harness directory")

// BuildWorker compiles the harness worker (./chaos/worker of module root
// moduleDir) into dir and returns the binary's path.
func BuildWorker(ctx context.Context, moduleDir, dir string) (string, error) {
	bin := filepath.Join(dir, "chaosworker")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./chaos/worker")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("chaos: go build ./chaos/worker: %w\n%s", err, out)
	}
	return bin, nil
}

// Harness owns a dev server kept in a SQLite file, a fake LLM server and
// worker processes that all share one data directory.
type Harness struct {
	dir, bin, data, db string
	llm                *llmtest.Handler
	llmURL             string
	stopLLM            func(context.Context) error

	mu  sync.Mutex
	srv *durable.DevServer
	n   int // worker processes started, for their log names
}

// New starts the fake LLM server and a dev server whose state is in
// dir/temporal.db, for worker binary bin. Close stops both.
func New(ctx context.Context, bin, dir string) (*Harness, error) {
	h := &Harness{dir: dir, bin: bin, data: filepath.Join(dir, "data"), db: filepath.Join(dir, "temporal.db")}
	h.llm = llmtest.NewHandler()
	h.llm.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.Reply{Delay: LLMDelay} })
	var err error
	if h.llmURL, h.stopLLM, err = llmtest.Listen("127.0.0.1:0", h.llm); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(h.data, "ordersaga"), 0o755); err != nil {
		return nil, err
	}
	st, err := ordersaga.NewFileStore(filepath.Join(h.data, "ordersaga"))
	if err != nil {
		return nil, err
	}
	if err := st.EnsureStock(ctx, map[string]int{chaosSKU: 1 << 30}); err != nil {
		return nil, err
	}
	if h.srv, err = h.startServer(ctx, ""); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

func (h *Harness) startServer(ctx context.Context, hostPort string) (*durable.DevServer, error) {
	return durable.StartDevServer(ctx, durable.DevServerOptions{
		HostPort: hostPort, DBFile: h.db, SearchAttributes: hitl.SearchAttributes(),
	})
}

// Client is a client of the current dev server.
func (h *Harness) Client() client.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srv.Client()
}

// Billed is how many LLM answers the fake server sold so far.
func (h *Harness) Billed() int { return h.llm.Billed() }

// RestartServer stops the dev server and starts it again on the same
// address with the same database file.
func (h *Harness) RestartServer(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	hp := h.srv.HostPort()
	if err := h.srv.Stop(); err != nil {
		return fmt.Errorf("chaos: stop dev server: %w", err)
	}
	srv, err := h.startServer(ctx, hp)
	if err != nil {
		return fmt.Errorf("chaos: restart dev server on %s: %w", hp, err)
	}
	h.srv = srv
	return nil
}

// Close stops the dev server and the fake LLM server.
func (h *Harness) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		_ = h.srv.Stop()
		h.srv = nil
	}
	h.llm.Close()
	if h.stopLLM != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.stopLLM(ctx)
	}
}

// Worker is one worker process.
type Worker struct {
	h    *Harness
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartWorker starts a worker process called name and waits until it polls.
func (h *Harness) StartWorker(ctx context.Context, name string) (*Worker, error) {
	w := &Worker{h: h, name: name}
	return w, w.start(ctx)
}

func (w *Worker) start(ctx context.Context) error {
	h := w.h
	h.mu.Lock()
	h.n++
	logPath := filepath.Join(h.dir, fmt.Sprintf("worker-%s-%d.log", w.name, h.n))
	hp := h.srv.HostPort()
	h.mu.Unlock()
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(w.h.bin, "-address", hp, "-llm-url", h.llmURL, "-data", h.data, "-identity", w.name)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		_ = logf.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("chaos: start worker %s: %w", w.name, err)
	}
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = logf.Close() }()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(logf, out)
		_ = cmd.Wait()
	}()
	w.cmd, w.done = cmd, done
	select {
	case <-ready:
		return nil
	case <-done:
		return fmt.Errorf("%w (%s)", ErrWorkerExited, logPath)
	case <-ctx.Done():
		w.Kill()
		return ctx.Err()
	}
}

// Kill sends SIGKILL to the process and waits until it is gone.
func (w *Worker) Kill() {
	if w.cmd == nil {
		return
	}
	_ = w.cmd.Process.Kill()
	<-w.done
	w.cmd = nil
}

// Restart starts a new process in place of the killed one.
func (w *Worker) Restart(ctx context.Context) error {
	w.Kill()
	return w.start(ctx)
}

// Config is one crash-and-restart run of the three flows.
type Config struct {
	// Runs is the number of runs of each flow.
	Runs int
	// Seed seeds the kill delays.
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
	Config   Config
	Kills    int
	Duration time.Duration
	// Billed and MinBilled are the LLM answers sold and the fewest possible
	// (1 draft + 1 revision per review, 1 per research report).
	Billed, MinBilled int
	// CutCalls counts LLM calls cut by a kill (not billed, retried).
	// Billed - MinBilled counts answers bought again because a kill landed
	// between the provider's billing and the worker's record of the answer.
	CutCalls int
	Flows    map[string]*FlowStats
	// Violations lists every broken invariant; empty means all held.
	Violations []string
}

// Run runs cfg.Runs runs of each flow in batches, kills the worker process
// w at seeded random points of each batch and restarts it, then checks every
// run's result and side effects. A nil w runs without kills.
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
	res := Result{Config: cfg, Flows: map[string]*FlowStats{
		"docapproval": {}, "research": {}, "ordersaga": {},
	}}
	start, billed0, cut0 := time.Now(), h.Billed(), h.cutCalls()
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
	flows := map[string]func(context.Context, client.Client, string, int) []string{
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
					p := flows[name](rctx, h.Client(), cfg.Prefix, i)
					record(name, time.Since(t0), p)
				})
			}
			res.MinBilled += 3
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
	res.Billed = h.Billed() - billed0
	// Fewer than the minimum is a broken flow. More is the one window no
	// client can close: the provider billed an answer and the worker died
	// before recording it (chat completions take no idempotency key); the
	// caller bounds it by the number of kills (see Repurchased).
	if res.Billed < res.MinBilled {
		res.Violations = append(res.Violations, fmt.Sprintf("LLM billed %d answers, fewer than the %d the flows need", res.Billed, res.MinBilled))
	}
	res.CutCalls = h.cutCalls() - cut0
	res.Duration = time.Since(start)
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
// delay, so every kill lands while the batch still runs.
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

// cutCalls counts the LLM requests whose client went away before the answer
// (a kill during the call): they are not billed.
func (h *Harness) cutCalls() int {
	n := 0
	for _, r := range h.llm.Requests() {
		if r.Status == llmtest.StatusClientClosedRequest {
			n++
		}
	}
	return n
}

// runReview runs one document review (an edit, then an approval) and checks
// it ended approved at version 2 with one approved record.
func (h *Harness) runReview(ctx context.Context, c client.Client, prefix string, i int) []string {
	docID := fmt.Sprintf("%sdoc-%d", prefix, i)
	in := docapproval.Input{DocID: docID, Prompt: fmt.Sprintf("Write a short release note number %d.", i)}
	return h.review(ctx, c, in, []docapproval.Step{
		{Reviewer: "alice", Action: hitl.ActionEdit, Instructions: "Make it shorter."},
		{Reviewer: "bob", Action: hitl.ActionApprove, Comment: "ok"},
	}, 2)
}

func (h *Harness) review(ctx context.Context, c client.Client, in docapproval.Input, script []docapproval.Step, version int) []string {
	r, err := docapproval.RunDemo(ctx, c, in, script)
	if err != nil {
		return []string{fmt.Sprintf("docapproval %s: %v", in.DocID, err)}
	}
	var p []string
	if r.Phase != hitl.PhaseApproved || r.Versions != version || r.LLMCalls != version {
		p = append(p, fmt.Sprintf("docapproval %s: phase %s, version %d, %d LLM calls; want approved, %d, %d",
			in.DocID, r.Phase, r.Versions, r.LLMCalls, version, version))
	}
	st, err := docapproval.NewStore(filepath.Join(h.data, "docapproval"))
	if err != nil {
		return append(p, "docapproval store: "+err.Error())
	}
	recs, err := st.List(in.DocID)
	switch {
	case err != nil:
		p = append(p, fmt.Sprintf("docapproval %s: list records: %v", in.DocID, err))
	case len(recs) != 1 || recs[0].Version != version:
		p = append(p, fmt.Sprintf("docapproval %s: %d approved records, want exactly one (version %d)", in.DocID, len(recs), version))
	}
	return p
}

// runResearch runs one research report and checks its PDF is on disk.
func (h *Harness) runResearch(ctx context.Context, c client.Client, _ string, i int) []string {
	topic := fmt.Sprintf("Crash recovery of durable workflows, part %d", i)
	r, err := research.RunDemo(ctx, c, topic)
	if err != nil {
		return []string{fmt.Sprintf("research %q: %v", topic, err)}
	}
	var p []string
	fi, err := os.Stat(r.PDFPath)
	switch {
	case err != nil:
		p = append(p, fmt.Sprintf("research %s: report: %v", r.WorkflowID, err))
	case fi.Size() != r.PDFBytes || r.PDFBytes == 0:
		p = append(p, fmt.Sprintf("research %s: report is %d bytes, the result says %d", r.WorkflowID, fi.Size(), r.PDFBytes))
	}
	if r.Notified == "" || r.Model != "test" {
		p = append(p, fmt.Sprintf("research %s: notified %q, model %q; want a notification and model test", r.WorkflowID, r.Notified, r.Model))
	}
	return p
}

// runOrder places one order (every other one fails at shipping and is
// compensated) and checks the store holds one charge, and one refund when
// compensated.
func (h *Harness) runOrder(ctx context.Context, c client.Client, prefix string, i int) []string {
	o := ordersaga.Order{
		ID: fmt.Sprintf("%sorder-%d", prefix, i), Items: []ordersaga.Item{{SKU: chaosSKU, Quantity: 1}},
		Amount: int64(1000 + i), AttemptTimeout: OrderAttemptTimeout,
	}
	want, refunds := ordersaga.OutcomeCompleted, 0
	if i%2 == 1 {
		o.FailAt, want, refunds = ordersaga.StepShip, ordersaga.OutcomeCompensated, 1
	}
	r, err := ordersaga.RunDemo(ctx, c, o)
	if err != nil {
		return []string{fmt.Sprintf("ordersaga %s: %v", o.ID, err)}
	}
	var p []string
	if r.Outcome != want {
		p = append(p, fmt.Sprintf("ordersaga %s: outcome %s, want %s (%s)", o.ID, r.Outcome, want, r.Error))
	}
	st, err := ordersaga.NewFileStore(filepath.Join(h.data, "ordersaga"))
	if err != nil {
		return append(p, "ordersaga store: "+err.Error())
	}
	pays, err := st.Payments(ctx, o.ID)
	if err != nil {
		return append(p, fmt.Sprintf("ordersaga %s: payments: %v", o.ID, err))
	}
	kinds := map[ordersaga.PaymentKind]int{}
	for _, pay := range pays {
		kinds[pay.Kind]++
	}
	if kinds[ordersaga.KindCharge] != 1 || kinds[ordersaga.KindRefund] != refunds {
		p = append(p, fmt.Sprintf("ordersaga %s: %d charges and %d refunds, want 1 and %d",
			o.ID, kinds[ordersaga.KindCharge], kinds[ordersaga.KindRefund], refunds))
	}
	return p
}

// ServerRestart opens a review, restarts the dev server while the review
// waits for a reviewer, then approves it and checks it completes with one
// approved record and one LLM answer billed.
func (h *Harness) ServerRestart(ctx context.Context) (time.Duration, []string) {
	t0, billed0 := time.Now(), h.Billed()
	in := docapproval.Input{DocID: "restart-doc", Prompt: "Write a note that survives a server restart."}
	r, err := docapproval.RunDemo(ctx, h.Client(), in, nil)
	if err != nil {
		return time.Since(t0), []string{"server restart: open review: " + err.Error()}
	}
	if r.Phase.Closed() {
		return time.Since(t0), []string{fmt.Sprintf("server restart: review is %s before any decision", r.Phase)}
	}
	if err := h.RestartServer(ctx); err != nil {
		return time.Since(t0), []string{err.Error()}
	}
	p := h.review(ctx, h.Client(), in, []docapproval.Step{{Reviewer: "carol", Action: hitl.ActionApprove}}, 1)
	if b := h.Billed() - billed0; b != 1 {
		p = append(p, fmt.Sprintf("server restart: LLM billed %d answers, want 1", b))
	}
	return time.Since(t0), p
}

// TwoWorkers starts a second worker process beside a, runs cfg on both,
// kills a once at a seeded point (while an LLM call is pending) and never
// restarts it: b must finish every run. cfg.MaxKillDelay is ignored. It
// returns b, still running.
func (h *Harness) TwoWorkers(ctx context.Context, a *Worker, cfg Config) (*Worker, Result) {
	b, err := h.StartWorker(ctx, "second")
	if err != nil {
		return nil, Result{Violations: []string{"two workers: start the second: " + err.Error()}}
	}
	// Kill a while the k-th LLM call is still waiting for its answer, so the
	// runs cannot all have ended yet.
	cfg.MaxKillDelay = LLMDelay / 2 // well inside the wait: the provider has not answered, so nothing was billed
	// Run without kills of its own; kill a from the side instead.
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	cfg.KillsPerBatch = 1
	pt := h.killPoints(rng, cfg, cfg.Runs, true)[0]
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		h.awaitKillPoint(ctx, pt)
		a.Kill()
	}()
	cfg.Batch = cfg.Runs
	res := h.Run(ctx, nil, cfg)
	<-killed
	res.Kills = 1
	return b, res
}

// Markdown renders a report of the runs for docs/CHAOS.md.
func Markdown(seed uint64, runs []Result, restart time.Duration, restartProblems []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Chaos report\n\nGenerated by TestChaos of package chaos (`make chaos N=%d`, CHAOS_SEED=%d) on %s.\n\n",
		runs[0].Config.Runs, seed, time.Now().UTC().Format(time.RFC3339))
	b.WriteString("The worker is a separate process, killed with SIGKILL at seeded random points and restarted. ")
	b.WriteString("Every run's result and side effects are checked (see package chaos).\n\n")
	b.WriteString("| scenario | runs/flow | kills | docapproval ok | research ok | ordersaga ok | LLM billed / minimum | LLM calls cut | slowest run | duration |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	var all []string
	for _, r := range runs {
		slow := time.Duration(0)
		for _, f := range r.Flows {
			slow = max(slow, f.Slowest)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %d / %d | %d | %s | %s |\n",
			strings.TrimSuffix(r.Config.Prefix, "-"), r.Config.Runs, r.Kills,
			okCount(r, "docapproval"), okCount(r, "research"), okCount(r, "ordersaga"),
			r.Billed, r.MinBilled, r.CutCalls, slow.Round(time.Millisecond), r.Duration.Round(time.Millisecond))
		all = append(all, r.Violations...)
	}
	verdict := "passed"
	if len(restartProblems) > 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "\nDev server stopped and restarted (same DB file, same port) while a review waited: %s in %s.\n",
		verdict, restart.Round(time.Millisecond))
	all = append(all, restartProblems...)
	b.WriteString("\n## Violations\n\n")
	if len(all) == 0 {
		b.WriteString("None: every workflow completed with the right result, " +
			"each order was charged once (and refunded once when compensated), each approved document was persisted once.\n")
	}
	for _, v := range all {
		fmt.Fprintf(&b, "- %s\n", v)
	}
	b.WriteString("\nLLM answers bought again: billed minus minimum above. Such a repurchase happens only when a kill lands " +
		"between the provider billing an answer and the worker recording it in the idem store (milliseconds per call); " +
		"chat completions take no idempotency key, so no client can close that window. Every kill outside it costs nothing.\n")
	return b.String()
}

func okCount(r Result, flow string) string {
	f := r.Flows[flow]
	if f == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d", f.OK, f.Runs)
}
