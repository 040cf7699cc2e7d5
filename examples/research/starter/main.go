// Command starter starts a research report workflow, prints the report as
// the model writes it (from the workflow's stream; -follow=false only
// waits), and prints where the PDF is.
//
//	go run ./research/starter -topic "Give me five fun facts about tardigrades"
//
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, ... choose the
// server (default localhost:7233). A worker must poll the "research" task
// queue: go run ./examples/research/worker.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/research"
)

func main() {
	topic := flag.String("topic", "Give me five fun and fascinating facts about tardigrades.", "the research question")
	model := flag.String("model", "", "configured llm model name (empty: the worker's default)")
	id := flag.String("id", "", "workflow ID (empty: research-<random>)")
	follow := flag.Bool("follow", true, "print the report as it is written, from the workflow's stream")
	flag.Parse()
	if err := run(*topic, *model, *id, *follow); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run(topic, model, id string, follow bool) error {
	if err := research.ValidateTopic(topic); err != nil {
		return err
	}
	ctx := context.Background()
	c, err := durable.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if id == "" {
		id = "research-" + uuid.NewString()[:8]
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: research.TaskQueue},
		research.ReportWorkflow, research.Input{Topic: topic, Model: model})
	if err != nil {
		return err
	}
	fmt.Printf("started workflow %s (run %s); waiting ...\n", run.GetID(), run.GetRunID())
	if follow {
		followReport(ctx, c, run.GetID())
	}
	var res research.Result
	if err := run.Get(ctx, &res); err != nil {
		return err
	}
	cost := "unknown"
	if res.CostKnown {
		cost = fmt.Sprintf("$%.6f", res.CostUSD)
	}
	fmt.Printf("report: %s (%d bytes)\n", res.PDFPath, res.PDFBytes)
	fmt.Printf("model: %s, offline: %t, tokens: %d, cost: %s\n", res.Model, res.Offline, res.Tokens, cost)
	fmt.Printf("notified: %s\n", res.Notified)
	return nil
}

// followReport prints the report as it is written, until the workflow
// closes. The report itself comes from the workflow's result: a failure to
// follow is only reported.
func followReport(ctx context.Context, c client.Client, id string) {
	fmt.Println("following the report as it is written (-follow=false to only wait):")
	pr := research.NewPrinter(os.Stdout)
	p, err := research.Follow(ctx, c, id, pr.Watch)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter: the stream stopped; waiting for the result:", err)
		return
	}
	fmt.Printf("── streamed %d chars in %d delta events (%d batches), first text after %s, %d attempt(s) discarded ──\n",
		len(p.Report.Text), p.Deltas, p.Batches, p.FirstText.Round(time.Millisecond), p.Report.Resets)
}
