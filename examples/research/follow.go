package research

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/stream"
)

// Stream topics and kinds of [ReportWorkflow].
const (
	// ReportTopic carries the deltas of the research call (with llm's
	// reset, failed and end markers): the report as the model writes it.
	ReportTopic = "report"
	// StatusTopic carries a [KindStatus] event before each step.
	StatusTopic = "status"
	// KindStatus is the kind of the workflow's status events; their Text
	// says which step starts ("rendering the PDF").
	KindStatus stream.Kind = "status"
)

// status publishes a status line from workflow code (nothing is written to
// the history; a replay publishes it again at the same place). Publish puts
// it after every batch already delivered, such as the last deltas of the
// research call, which can arrive in the same task as its result.
func status(ctx workflow.Context, s *stream.Stream, text string) {
	_ = s.Publish(ctx, StatusTopic, stream.Event{Kind: KindStatus, Text: text}) // fails only without a Kind
}

// Watch is called by [Follow] for each event of the workflow's stream, with
// the report as the stream shows it after that event (partial text of a
// failed attempt already discarded).
type Watch func(ev stream.Event, report stream.Answer)

// Progress is what [Follow] saw of a report's stream.
type Progress struct {
	// Report is the report as the stream showed it last: once Report.Ended
	// its Text is the research call's answer, the text of the PDF.
	Report stream.Answer
	// Events is the number of events read.
	Events int
	// Deltas is the number of delta events of the report (a publisher's
	// consecutive deltas travel, and arrive, as one event per batch).
	Deltas int
	// Batches is the number of publish signals in the workflow's history:
	// the batches the research call's attempts sent.
	Batches int
	// FirstText is the time from the start of [Follow] to the first text
	// of the report; 0 when none arrived.
	FirstText time.Duration
	// Statuses are the texts of the status events, in order.
	Statuses []string
}

// Follow reads the stream of the workflow workflowID from its first event
// until the workflow has closed and every event was read, calling watch
// (when not nil) for each, and returns what it saw. A worker must serve
// the workflow (the stream's last events are read with a query). It
// returns the subscription's first error (ctx's, or a lasting server
// error), with the progress so far.
func Follow(ctx context.Context, c client.Client, workflowID string, watch Watch) (Progress, error) {
	start := time.Now()
	var (
		p  Progress
		tr stream.Transcript
	)
	for ev, err := range stream.Subscribe(ctx, c, workflowID, 0) {
		if err != nil {
			return p, fmt.Errorf("research: follow %s: %w", workflowID, err)
		}
		p.Events++
		tr.Apply(ev)
		switch {
		case ev.Topic == StatusTopic && ev.Kind == KindStatus:
			p.Statuses = append(p.Statuses, ev.Text)
		case ev.Topic == ReportTopic && ev.Kind == stream.KindDelta:
			p.Deltas++
			if p.FirstText == 0 {
				p.FirstText = max(time.Since(start), time.Nanosecond)
			}
		}
		p.Report, _ = tr.Latest(ReportTopic)
		if watch != nil {
			watch(ev, p.Report)
		}
	}
	n, err := publishSignals(ctx, c, workflowID)
	if err != nil {
		return p, fmt.Errorf("research: count the batches of %s: %w", workflowID, err)
	}
	p.Batches = n
	return p, nil
}

// publishSignals counts the stream's publish signals in the history of the
// workflow's latest run.
func publishSignals(ctx context.Context, c client.Client, workflowID string) (int, error) {
	n := 0
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return n, err
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == stream.PublishSignal {
			n++
		}
	}
	return n, nil
}
