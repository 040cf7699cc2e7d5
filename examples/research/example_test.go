package research_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/llm"
)

func ExampleRenderPDF() {
	pdf, err := research.RenderPDF("Tardigrades", "## Facts\n\n- They survive *vacuum*.\n- Found in Zürich and Łódź.", research.Meta{
		Topic: "five facts about tardigrades",
		Model: "gpt-4o-mini",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(string(pdf), "%PDF-"))
	// Output: true
}

func ExampleValidateTopic() {
	err := research.ValidateTopic("   ")
	fmt.Println(research.IsInvalidTopic(err))
	fmt.Println(research.ValidateTopic("Why do cats purr?"))
	// Output:
	// true
	// <nil>
}

func ExampleReportPath() {
	fmt.Println(research.ReportPath("reports", "research-1a2b3c4d"))
	fmt.Println(filepath.Dir(research.ReportPath("reports", "../escape")))
	// Output:
	// reports/research-1a2b3c4d.pdf
	// reports
}

func ExampleRegister() {
	c, err := durable.Dial(context.Background()) // TEMPORAL_* variables choose the server
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	llmActs, err := llm.NewActivities(llm.FromEnv()) // OPENAI_API_KEY, else the offline model
	if err != nil {
		fmt.Println(err)
		return
	}
	w := worker.New(c, research.TaskQueue, worker.Options{})
	research.Register(w, &research.Activities{OutDir: "reports"})
	llmActs.Register(w) // the research call
	_ = w.Run(worker.InterruptCh())
}

func ExampleRunDemo() {
	run := func(ctx context.Context, c client.Client) {
		res, err := research.RunDemo(ctx, c, "Give me five facts about tardigrades")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.PDFPath, res.Model, res.Tokens)
	}
	_ = run
}
