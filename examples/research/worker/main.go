// Command worker runs the research example's worker: the ReportWorkflow, the
// LLM call (llm's completion activity), RenderReport and Notify, on the
// "research" task queue.
//
//	go run ./examples/research/worker -out reports
//	go run ./examples/research/worker -fail-notify   # Notify fails until restarted without the flag
//
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, ... choose the
// server (default localhost:7233). OPENAI_API_KEY (or OPENAI_BASE_URL for an
// OpenAI-compatible server) chooses a real model; without them the worker
// uses llm's deterministic offline model.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

func main() {
	out := flag.String("out", research.DefaultOutDir, "directory the PDF reports are written to")
	failNotify := flag.Bool("fail-notify", false, "make every Notify attempt fail (simulated outage) until the worker restarts without it")
	notifyLog := flag.String("notify-log", "", "notification log (JSON Lines); default <out>/"+research.NotificationsLog)
	webhook := flag.String("webhook", "", "POST notifications to this URL instead of the log")
	flag.Parse()
	if err := run(*out, *notifyLog, *webhook, *failNotify); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(out, notifyLog, webhook string, failNotify bool) error {
	cfg := llm.FromEnv()
	// Record each paid answer before reporting it, so a worker that dies
	// after the provider answered does not buy the same answer again on
	// retry. Files suit one host; use idem.NewPostgresStore across hosts.
	keys, err := idem.NewFileStore(filepath.Join(out, ".idem"))
	if err != nil {
		return err
	}
	cfg.Store = keys
	llmActs, err := llm.NewActivities(cfg)
	if err != nil {
		return err
	}
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	c, err := durable.Dial(context.Background(), func(o *client.Options) error { o.Logger = logger; return nil })
	if err != nil {
		return err
	}
	defer c.Close()

	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	acts := &research.Activities{OutDir: abs, NotifyLog: notifyLog, WebhookURL: webhook, FailNotify: failNotify}
	w := worker.New(c, research.TaskQueue, worker.Options{})
	research.Register(w, acts)
	llmActs.Register(w)

	fmt.Printf("research worker on task queue %q\n", research.TaskQueue)
	fmt.Printf("model: %s\n", cfg.Describe())
	fmt.Printf("reports: %s\n", abs)
	if failNotify {
		fmt.Println("Notify will FAIL on every attempt (-fail-notify): workflows wait at Notify, retrying; " +
			"stop this worker and start one without -fail-notify to let them finish")
	}
	return w.Run(worker.InterruptCh())
}
