package research_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
	"github.com/durable-llm/durable-llm/stream"
)

// completeResult is the recorded result of the workflow's research call
// (the llm.Complete activity): the answer the PDF was made from.
func completeResult(t *testing.T, c client.Client, id, runID string) llm.Response {
	t.Helper()
	complete := map[int64]bool{}
	var out []llm.Response
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == llm.ActivityComplete {
			complete[ev.GetEventId()] = true
		}
		if a := ev.GetActivityTaskCompletedEventAttributes(); a != nil && complete[a.GetScheduledEventId()] {
			var r llm.Response
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.GetResult(), &r))
			out = append(out, r)
		}
	}
	require.Len(t, out, 1, "one research call completed")
	return out[0]
}

// streamed is what following one report showed.
type streamed struct {
	run     client.WorkflowRun
	c       client.Client
	fake    *llmtest.Server
	p       research.Progress
	events  []stream.Event
	midway  stream.Answer // the report as shown while the model was held
	printed string        // what a Printer made of the events
	answer  llm.Response  // the research call's recorded result
}

// followHeld runs ReportWorkflow with id on the dev server, its model
// served by llmtest on api with replies, and follows its stream. hold must
// hold the last reply's generation before its last word: it is released
// once the follower shows text of attempt heldAttempt, so that text was
// shown while the model was still writing.
func followHeld(t *testing.T, id string, api llm.API, hold chan struct{}, heldAttempt int32, replies ...llmtest.Reply) streamed {
	t.Helper()
	srv := durabletest.Server(t)
	c := srv.Client()
	fake := llmtest.NewServer(t)
	fake.Enqueue(replies...)
	llmActs, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{
		"default": {ID: "gpt-4o-mini", BaseURL: fake.URL, APIKey: "test", API: api},
	}})
	require.NoError(t, err)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		research.Register(r, &research.Activities{OutDir: t.TempDir()})
		llmActs.Register(r)
	})

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: w.TaskQueue},
		research.ReportWorkflow, research.Input{Topic: "Give me five facts about tardigrades"})
	require.NoError(t, err)

	out := streamed{run: run, c: c, fake: fake}
	var (
		printed  bytes.Buffer
		printer  = research.NewPrinter(&printed)
		released bool
	)
	defer func() {
		if !released {
			close(hold)
		}
	}()
	out.p, err = research.Follow(ctx, c, run.GetID(), func(ev stream.Event, report stream.Answer) {
		out.events = append(out.events, ev)
		printer.Watch(ev, report)
		if !released && report.Attempt == heldAttempt && report.Text != "" && !report.Ended {
			out.midway, released = report, true
			close(hold) // let the model write its last word
		}
	})
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	out.printed = printed.String()
	out.answer = completeResult(t, c, run.GetID(), run.GetRunID())
	t.Logf("followed %d events: %d delta events in %d batches, first text after %s; shown midway: %d of %d chars",
		out.p.Events, out.p.Deltas, out.p.Batches, out.p.FirstText, len(out.midway.Text), len(out.answer.Text))

	require.True(t, released, "the reader saw attempt %d's text while the model was still writing it", heldAttempt)
	assert.NotEmpty(t, out.midway.Text)
	assert.Less(t, len(out.midway.Text), len(out.answer.Text), "shown before the answer was complete")
	assert.True(t, strings.HasPrefix(out.answer.Text, out.midway.Text), "the text shown midway is the beginning of the answer")
	assert.Equal(t, out.answer.Text, out.p.Report.Text, "the followed report is the research call's result")
	assert.True(t, out.p.Report.Ended)
	assert.Positive(t, out.p.Deltas)
	assert.Positive(t, out.p.FirstText)
	assert.Equal(t, []string{"researching: Give me five facts about tardigrades", "rendering the PDF", "notifying"}, out.p.Statuses)
	for i, ev := range out.events {
		assert.Equal(t, int64(i), ev.Offset, "every event once, in order")
	}
	assert.True(t, strings.HasPrefix(out.printed, "» researching: Give me five facts about tardigrades\n"), "status first: %q", out.printed)
	assert.Contains(t, out.printed, strings.TrimSuffix(out.answer.Text, "\n")+"\n» rendering the PDF\n» notifying\n",
		"the printer ends with the whole answer, then the steps after it")
	return out
}

// markers returns the non-delta report events by attempt.
func markers(events []stream.Event) map[int32][]stream.Kind {
	out := map[int32][]stream.Kind{}
	for _, ev := range events {
		if ev.Topic == research.ReportTopic && ev.Kind != stream.KindDelta {
			out[ev.Attempt] = append(out[ev.Attempt], ev.Kind)
		}
	}
	return out
}

// TestIntegrationReportStreamsAsWritten follows a report on the dev server
// while llmtest's fake OpenAI server writes it over chat completions: the
// first attempt's stream is cut (a truncated answer, retried), the second
// is held before its last word until the follower has shown part of it.
// The follower sees the text before the answer is complete, the retried
// attempt's partial text is discarded, and the text it ends with is the
// research call's result.
func TestIntegrationReportStreamsAsWritten(t *testing.T) {
	const partial = "PARTIAL DRAFT of attempt one, which the reader must not keep"
	hold := make(chan struct{})
	s := followHeld(t, "research-stream-retry", llm.APIChatCompletions, hold, 2,
		llmtest.Reply{Content: partial, Truncate: true},
		llmtest.Reply{Content: sampleMarkdown, Hold: hold},
	)
	assert.Equal(t, sampleMarkdown, s.answer.Text, "the activity's result is the second attempt's answer")
	assert.Equal(t, int32(2), s.answer.Attempt)
	assert.NotContains(t, s.p.Report.Text, "PARTIAL", "attempt 1's text is discarded")
	assert.Equal(t, int32(2), s.p.Report.Attempt)
	assert.Equal(t, 1, s.p.Report.Resets, "one attempt's text was discarded")
	assert.Equal(t, stream.ReasonRetry, s.p.Report.Reason)
	assert.GreaterOrEqual(t, s.p.Batches, 2, "each attempt published at least one batch")
	assert.Equal(t, map[int32][]stream.Kind{1: {stream.KindFailed}, 2: {stream.KindReset, stream.KindEnd}}, markers(s.events),
		"attempt 1 ends failed; attempt 2 starts with a reset and ends")
	first := false
	for _, ev := range s.events {
		first = first || (ev.Attempt == 1 && ev.Kind == stream.KindDelta && strings.Contains(ev.Text, "PARTIAL"))
	}
	assert.True(t, first, "attempt 1's partial text was streamed before it failed")
	assert.Contains(t, s.printed, "PARTIAL DRAFT of attempt one, which the reader must not keep\n── attempt 1 failed: ")
	assert.Contains(t, s.printed, "── attempt 2 (retry) starts over: discard the text above ──\n"+sampleMarkdown,
		"the printer marks the discarded text, then prints the whole answer")
	assert.Equal(t, 2, s.fake.Billed(), "the truncated answer was billed, and the retry")

	if *record {
		require.NoError(t, durabletest.SaveHistory(t.Context(), s.c, s.run.GetID(), s.run.GetRunID(),
			filepath.Join("testdata", "stream_retry.json")))
	}
}

// TestIntegrationReportStreamsFromBackgroundResponses is the same report
// on OpenAI's Responses API in background mode (the API llm picks for
// OpenAI itself): the follower sees the text while the model writes it.
func TestIntegrationReportStreamsFromBackgroundResponses(t *testing.T) {
	hold := make(chan struct{})
	s := followHeld(t, "research-stream-background", llm.APIResponsesBackground, hold, 1,
		llmtest.Reply{Content: sampleMarkdown, Hold: hold})
	assert.Equal(t, sampleMarkdown, s.answer.Text)
	assert.Zero(t, s.p.Report.Resets)
	assert.Equal(t, map[int32][]stream.Kind{1: {stream.KindEnd}}, markers(s.events))
	assert.Equal(t, 1, s.fake.Billed())
}
