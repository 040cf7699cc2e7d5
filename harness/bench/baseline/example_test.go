package baseline_test

import (
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/harness/bench/baseline"
)

// The worker side, as the seed's worker.py: the workflow and the activities
// on the seed's task queue.
func ExampleDocumentWorkflow() {
	register := func(c client.Client) worker.Worker {
		w := worker.New(c, baseline.TaskQueue, worker.Options{})
		w.RegisterWorkflow(baseline.DocumentWorkflow)
		w.RegisterActivity(&baseline.Activities{
			Client:  openai.NewClient(option.WithAPIKey("sk-...")),
			Storage: "storage",
		})
		return w
	}
	_ = register
}
