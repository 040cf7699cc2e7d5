package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/hitl"
)

// runReview runs one document review (an edit, then an approval) and checks
// it ended approved at version 2 with one approved record. It needs two
// LLM answers: the draft and the revision.
func (h *Harness) runReview(ctx context.Context, c client.Client, led *ledger, prefix string, i int) []string {
	docID := fmt.Sprintf("%sdoc-%d", prefix, i)
	led.expect("docapproval", docID, 2)
	led.started(docID, docapproval.WorkflowID(docID))
	in := docapproval.Input{DocID: docID, Prompt: fmt.Sprintf("Write a short release note number %d. %s", i, tag(docID))}
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

// runResearch runs one research report and checks its PDF is on disk. It
// needs one LLM answer.
func (h *Harness) runResearch(ctx context.Context, c client.Client, led *ledger, prefix string, i int) []string {
	id := fmt.Sprintf("%sresearch-%d", prefix, i)
	led.expect("research", id, 1)
	topic := fmt.Sprintf("Crash recovery of durable workflows, part %d %s", i, tag(id))
	r, err := research.RunDemo(ctx, c, topic, nil)
	led.started(id, r.WorkflowID) // known once the workflow completed
	if err != nil {
		return []string{fmt.Sprintf("research %s: %v", id, err)}
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
func (h *Harness) runOrder(ctx context.Context, c client.Client, _ *ledger, prefix string, i int) []string {
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
// approved record and exactly one LLM answer billed.
func (h *Harness) ServerRestart(ctx context.Context) (time.Duration, []string) {
	t0 := time.Now()
	led := h.openLedger()
	const docID = "restart-doc"
	led.expect("docapproval", docID, 1)
	led.started(docID, docapproval.WorkflowID(docID))
	in := docapproval.Input{DocID: docID, Prompt: "Write a note that survives a server restart. " + tag(docID)}
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
	var res Result
	p = append(p, led.settle(&res)...)
	return time.Since(t0), p
}

// TwoWorkers starts a second worker process beside a, runs cfg on both,
// kills a once at a seeded point (while an LLM call is queued or
// generating) and never restarts it: b must finish every run, with every
// workflow billed exactly its minimum. cfg.MaxKillDelay is ignored. It
// returns b, still running.
func (h *Harness) TwoWorkers(ctx context.Context, a *Worker, cfg Config) (*Worker, Result) {
	b, err := h.StartWorker(ctx, "second")
	if err != nil {
		return nil, Result{Config: cfg, API: h.API(), Violations: []string{"two workers: start the second: " + err.Error()}}
	}
	// Kill a while the k-th LLM call is queued or generating.
	cfg.MaxKillDelay = LLMQueueDelay + LLMGenerationTime/2
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
