// Command demo runs durable-llm's flows end to end on an embedded Temporal dev
// server with its Web UI: `make demo`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
)

const taskQueue = "durable-llm-demo"

func main() {
	keep := flag.Bool("keep", false, "keep the dev server and Web UI running until Ctrl-C")
	flag.Parse()
	if err := run(*keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(keep bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	fmt.Println("starting the Temporal dev server (local, offline) ...")
	srv, err := durable.StartDevServer(ctx, durable.DevServerOptions{UI: true})
	if err != nil {
		return err
	}
	defer func() { _ = srv.Stop() }()
	fmt.Println("Web UI:", srv.UIURL())

	w := worker.New(srv.Client(), taskQueue, worker.Options{})
	w.RegisterWorkflow(HelloWorkflow)
	w.RegisterActivity(Greet)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()

	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	run, err := srv.Client().ExecuteWorkflow(runCtx, client.StartWorkflowOptions{ID: "demo-hello", TaskQueue: taskQueue}, HelloWorkflow, "durable-llm")
	if err != nil {
		return err
	}
	var out string
	if err := run.Get(runCtx, &out); err != nil {
		return err
	}
	fmt.Printf("workflow %s completed: %s\n", run.GetID(), out)
	fmt.Println("see it in the Web UI:", srv.WorkflowURL(run.GetID()))
	if keep {
		fmt.Println("server and UI stay up; press Ctrl-C to stop")
		<-ctx.Done()
	}
	return nil
}

// Greet is the demo's activity.
func Greet(_ context.Context, name string) (string, error) { return "hello, " + name, nil }

// HelloWorkflow calls Greet through durable.Execute.
func HelloWorkflow(ctx workflow.Context, name string) (string, error) {
	return durable.Execute[string](ctx, Greet, name, durable.Quick("greet "+name))
}
