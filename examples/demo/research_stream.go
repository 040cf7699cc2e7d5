package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/stream"
)

// previewEvery is the least time between two live preview lines.
const previewEvery = 300 * time.Millisecond

// runResearch runs the research flow and shows its report arriving through
// the workflow's stream: a live preview line as text arrives, then what the
// stream delivered.
func runResearch(ctx context.Context, c client.Client, w io.Writer) (summary, error) {
	var last time.Time
	shown := 0
	watch := func(ev stream.Event, report stream.Answer) {
		if ev.Topic != research.ReportTopic || len(report.Text) == shown {
			return
		}
		if now := time.Now(); shown == 0 || now.Sub(last) >= previewEvery || report.Ended {
			fmt.Fprintf(w, "      ▸ %4d chars: %s\n", len(report.Text), tail(report.Text, 64))
			last, shown = now, len(report.Text)
		}
	}
	rep, err := research.RunDemo(ctx, c, "Durable execution for LLM pipelines in Zürich and Łódź", watch)
	if err != nil {
		return summary{}, fmt.Errorf("research: %w", err)
	}
	s := rep.Stream
	whole := "it ended with the whole answer"
	if !s.Report.Ended {
		whole = "it did not show the end of the answer"
	}
	fmt.Fprintf(w, "      streamed %d chars in %d delta events (%d batches), first text after %d ms, %d attempt(s) discarded; %s\n",
		len(s.Report.Text), s.Deltas, s.Batches, s.FirstText.Milliseconds(), s.Report.Resets, whole)
	fmt.Fprintf(w, "      %s: %s (%d bytes), model %s, tokens %d, cost %s\n",
		rep.WorkflowID, rel(rep.PDFPath), rep.PDFBytes, rep.Model, rep.Tokens, cost(rep.CostUSD, rep.CostKnown, rep.Offline))
	return summary{"research", rep.WorkflowID, "report " + rel(rep.PDFPath)}, nil
}

// tail is the end of s on one line, at most n characters, quoted.
func tail(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > n {
		return fmt.Sprintf("%q", "…"+string(r[len(r)-n+1:]))
	}
	return fmt.Sprintf("%q", string(r))
}
