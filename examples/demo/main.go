// Command demo runs durable-llm's four example flows end to end on an
// embedded Temporal dev server with its Web UI: `make demo`.
//
// It starts the temporal CLI's dev server (./bin/temporal, built by `make
// tools`), one worker per example task queue, then:
//
//  1. docapproval: an LLM drafts a document; scripted reviewers edit it twice
//     and approve; the approved version is persisted once.
//  2. research: an LLM writes a report on a topic, shown live as it streams
//     in; it becomes a PDF; a notification runs.
//  3. ordersaga: one order completes; another fails at shipping and is
//     compensated (refund, then release) in reverse.
//  4. agent: a support agent looks an order up, a reviewer edits and
//     approves its refund through hitlhttp, the refund runs once, an email
//     goes out once.
//
// Without OPENAI_API_KEY or OPENAI_BASE_URL the LLM is the offline
// deterministic model, and the output says so. -keep leaves the server and Web
// UI running until Ctrl-C; -out chooses where files go (wiped at start).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

func main() {
	keep := flag.Bool("keep", false, "keep the dev server and Web UI running until Ctrl-C")
	out := flag.String("out", "demo-output", "directory for the approved documents, PDFs and order state (wiped at start)")
	verbose := flag.Bool("v", false, "show the SDK's logs (expected failures, such as the injected one, are logged as errors)")
	flag.Parse()
	if err := run(*keep, *out, *verbose, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type summary struct{ flow, id, outcome string }

func run(keep bool, outDir string, verbose bool, w io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	started := time.Now()

	// The SDK logs every failed activity attempt as an error, the demo's
	// deliberate failures included; what matters reaches the demo as results.
	level := slog.LevelError + 4
	if verbose {
		level = slog.LevelInfo
	}
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	if err := os.RemoveAll(outDir); err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return err
	}

	llmCfg := llm.FromEnv()
	fmt.Fprintln(w, llmCfg.Describe())
	isOffline := offline(llmCfg)

	fmt.Fprintln(w, "starting the Temporal dev server (local, offline) ...")
	srv, err := durable.StartDevServer(ctx, durable.DevServerOptions{
		UI:               true,
		SearchAttributes: append(hitl.SearchAttributes(), llm.SearchAttributeCostUSD, llm.SearchAttributeTokens),
		ClientOptions:    client.Options{Logger: logger},
	})
	if err != nil {
		return err
	}
	defer func() { _ = srv.Stop() }()
	fmt.Fprintln(w, "Web UI:", srv.UIURL())
	c := srv.Client()

	// Workers: one per example task queue, all on this client.
	// Live: the review pages show each version as the model writes it (off
	// by default in docapproval, for what it costs in history).
	docActs, err := docapproval.NewActivities(docapproval.Config{Dir: filepath.Join(outDir, "docapproval"), LLM: llmCfg, Live: true})
	if err != nil {
		return err
	}
	// The research LLM call records its answer in an idem store, so a crash
	// after the provider answered never pays for it twice.
	researchCfg := llmCfg
	if researchCfg.Store, err = idem.NewFileStore(filepath.Join(outDir, "research", ".idem")); err != nil {
		return err
	}
	llmActs, err := llm.NewActivities(researchCfg)
	if err != nil {
		return err
	}
	backend, err := ordersaga.OpenBackend(ctx, filepath.Join(outDir, "ordersaga"), "")
	if err != nil {
		return err
	}
	defer backend.Close()
	orderActs, err := ordersaga.NewActivities(backend.Store, backend.Keys)
	if err != nil {
		return err
	}
	workers := map[string]func(worker.Registry){
		docapproval.TaskQueue: func(r worker.Registry) { docapproval.Register(r, docActs) },
		research.TaskQueue: func(r worker.Registry) {
			research.Register(r, &research.Activities{OutDir: filepath.Join(outDir, "research"), NotifyLog: filepath.Join(outDir, "research", "notifications.log")})
			llmActs.Register(r)
		},
		ordersaga.TaskQueue: func(r worker.Registry) { ordersaga.Register(r, orderActs) },
	}
	for queue, register := range workers {
		opts := worker.Options{}
		if queue == docapproval.TaskQueue {
			opts = docActs.WorkerOptions(opts) // reviewers' stops reach the model call within a heartbeat
		}
		wk := worker.New(c, queue, opts)
		register(wk)
		if err := wk.Start(); err != nil {
			return fmt.Errorf("start worker on %s: %w", queue, err)
		}
		defer wk.Stop()
	}

	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var sum []summary

	// 1. Document approval with scripted reviewers.
	fmt.Fprintln(w, "\n[1/4] docapproval: draft → alice edits → bob edits → carol approves")
	doc, err := docapproval.RunDemo(runCtx, c, docapproval.Input{
		DocID:  "welcome-memo",
		Prompt: "Write a short welcome memo for new engineers joining the payments team.",
	}, []docapproval.Step{
		{Reviewer: "alice", Action: hitl.ActionEdit, Instructions: "Mention the on-call rotation."},
		{Reviewer: "bob", Action: hitl.ActionEdit, Instructions: "Keep it under 200 words."},
		{Reviewer: "carol", Action: hitl.ActionApprove, Comment: "ship it"},
	})
	if err != nil {
		return fmt.Errorf("docapproval: %w", err)
	}
	fmt.Fprintf(w, "      %s: %s at version %d, %d audit entries, %d LLM calls, tokens %d, cost %s\n",
		doc.WorkflowID, doc.Phase, doc.Versions, doc.AuditEntries, doc.LLMCalls, doc.Tokens, cost(doc.CostUSD, doc.CostKnown, isOffline))
	fmt.Fprintf(w, "      persisted once: %s (persist attempt %d)\n", rel(doc.ApprovedPath), doc.PersistAttempt)
	sum = append(sum, summary{"docapproval", doc.WorkflowID, fmt.Sprintf("%s v%d, %s", doc.Phase, doc.Versions, rel(doc.ApprovedPath))})
	links, stopPages, err := reviewPages(ctx, c)
	if err != nil {
		return fmt.Errorf("review pages: %w", err)
	}
	defer stopPages()
	link, err := links.URL(hitlhttp.Link{Reviewer: "carol", Review: doc.WorkflowID})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "      review page, signed in as carol by a signed link (opens once; -keep leaves it up):\n      %s\n", link)

	// 2. Research report: LLM → PDF → notification.
	fmt.Fprintln(w, "\n[2/4] research: topic → LLM → PDF → notify")
	rep, err := runResearch(runCtx, c, w) // research_stream.go: shows the report streaming in
	if err != nil {
		return err
	}
	sum = append(sum, rep)

	// 3. Order saga: one completes, one is compensated.
	fmt.Fprintln(w, "\n[3/4] ordersaga: reserve → charge → ship, then a failure at ship")
	for _, o := range []ordersaga.Order{
		{ID: "order-ok", Items: []ordersaga.Item{{SKU: "widget", Quantity: 2}}, Amount: 4200},
		{ID: "order-fail", Items: []ordersaga.Item{{SKU: "gadget", Quantity: 1}}, Amount: 1999, FailAt: "ship"},
	} {
		res, err := ordersaga.RunDemo(runCtx, c, o)
		if err != nil {
			return fmt.Errorf("ordersaga: %w", err)
		}
		fmt.Fprintf(w, "      %s: %s; charges %d, refunds %d; ledger: %s\n", res.WorkflowID, res.Outcome, res.Charges, res.Refunds, res.Ledger)
		sum = append(sum, summary{"ordersaga", res.WorkflowID, fmt.Sprintf("%s (charges %d, refunds %d)", res.Outcome, res.Charges, res.Refunds)})
	}

	// 4. Support agent: tools under policies, a refund approved through hitlhttp.
	fmt.Fprintln(w, "\n[4/4] agent: lookup_order → issue_refund (reviewed via hitlhttp) → send_email")
	sup, err := runAgent(runCtx, c, filepath.Join(outDir, "agent"), llmCfg, w)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	sum = append(sum, sup)

	fmt.Fprintf(w, "\nsummary (%.1fs)\n", time.Since(started).Seconds())
	for _, s := range sum {
		fmt.Fprintf(w, "  %-12s %-28s %s\n", s.flow, s.id, s.outcome)
		fmt.Fprintf(w, "  %-12s %s\n", "", srv.WorkflowURL(s.id))
	}
	fmt.Fprintln(w, "Web UI:", srv.UIURL())
	if keep {
		fmt.Fprintln(w, "server and UI stay up; press Ctrl-C to stop")
		<-ctx.Done()
	}
	return nil
}

func offline(cfg llm.Config) bool {
	for _, m := range cfg.Models {
		if !m.Offline {
			return false
		}
	}
	return true
}

func cost(usd float64, known, offline bool) string {
	if offline {
		return "$0 (offline model)"
	}
	if !known {
		return "unknown (no price for this model)"
	}
	return fmt.Sprintf("$%.6f", usd)
}

func rel(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}
