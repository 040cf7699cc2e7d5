package research_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/stream"
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
		printer := research.NewPrinter(os.Stdout) // the report as it is written
		res, err := research.RunDemo(ctx, c, "Give me five facts about tardigrades", printer.Watch)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.PDFPath, res.Model, res.Tokens)
	}
	_ = run
}

func ExamplePrinter() {
	p := research.NewPrinter(os.Stdout)
	var tr stream.Transcript
	for _, ev := range []stream.Event{
		{Topic: research.StatusTopic, Kind: research.KindStatus, Text: "researching: tardigrades"},
		{Topic: research.ReportTopic, Kind: stream.KindDelta, Call: "run/5", Attempt: 1, Text: "Tardigrades are"},
		{Topic: research.ReportTopic, Kind: stream.KindFailed, Call: "run/5", Attempt: 1, Reason: "stream cut"},
		{Topic: research.ReportTopic, Kind: stream.KindReset, Call: "run/5", Attempt: 2, Reason: stream.ReasonRetry},
		{Topic: research.ReportTopic, Kind: stream.KindDelta, Call: "run/5", Attempt: 2, Text: "Tardigrades are tiny."},
		{Topic: research.ReportTopic, Kind: stream.KindEnd, Call: "run/5", Attempt: 2},
		{Topic: research.StatusTopic, Kind: research.KindStatus, Text: "rendering the PDF"},
	} {
		tr.Apply(ev)
		report, _ := tr.Latest(research.ReportTopic)
		p.Watch(ev, report)
	}
	// Output:
	// » researching: tardigrades
	// Tardigrades are
	// ── attempt 1 failed: stream cut ──
	// ── attempt 2 (retry) starts over: discard the text above ──
	// Tardigrades are tiny.
	// » rendering the PDF
}

func ExampleFollow() {
	follow := func(ctx context.Context, c client.Client, workflowID string) {
		p, err := research.Follow(ctx, c, workflowID, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d chars, ended: %t, attempts discarded: %d\n", len(p.Report.Text), p.Report.Ended, p.Report.Resets)
	}
	_ = follow
}
