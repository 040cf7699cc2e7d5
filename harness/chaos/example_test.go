package chaos_test

import (
	"context"
	"fmt"
	"os"

	"github.com/durable-llm/durable-llm/harness/chaos"
)

// Example runs the flows with kills on a harness: build the worker, start
// the servers, start a worker process, run, and read the violations.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "chaos")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bin, err := chaos.BuildWorker(ctx, ".", dir) // from the module root
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := chaos.New(ctx, bin, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	w, err := h.StartWorker(ctx, "main")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Kill()
	res := h.Run(ctx, w, chaos.Config{Runs: 3, Seed: 42, Prefix: "example-"})
	fmt.Println(res.Kills, "kills,", res.Billed, "billed of", res.MinBilled, "minimum,", len(res.Violations), "violations")
}
