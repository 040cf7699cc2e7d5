// Command worker runs the order saga's workflow and activities on the
// ordersaga task queue. TEMPORAL_* variables (or the Temporal config file)
// choose the server; state lives in files under -data, or in PostgreSQL with
// -dsn or ORDERSAGA_POSTGRES_DSN.
//
//	go run ./examples/ordersaga/worker -data /tmp/ordersaga
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"

	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
)

func main() {
	data := flag.String("data", ordersaga.DefaultDataDir(), "directory of the file-backed store (ignored with -dsn)")
	dsn := flag.String("dsn", os.Getenv(ordersaga.EnvPostgresDSN), "PostgreSQL DSN; empty keeps state in files (default $"+ordersaga.EnvPostgresDSN+")")
	queue := flag.String("task-queue", ordersaga.TaskQueue, "task queue to poll")
	flag.Parse()
	if err := run(*data, *dsn, *queue); err != nil {
		log.Fatal("ordersaga worker: ", err)
	}
}

func run(data, dsn, queue string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	c, err := durable.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()

	backend, err := ordersaga.OpenBackend(ctx, data, dsn)
	if err != nil {
		return err
	}
	defer backend.Close()
	acts, err := ordersaga.NewActivities(backend.Store, backend.Keys)
	if err != nil {
		return err
	}

	w := worker.New(c, queue, worker.Options{})
	ordersaga.Register(w, acts)
	fmt.Printf("ordersaga worker on task queue %q, state in %s; Ctrl-C stops it\n", queue, backend.Where)
	return w.Run(worker.InterruptCh())
}
