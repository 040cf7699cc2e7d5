package research_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
	"github.com/durable-llm/durable-llm/stream"
)

// record re-records testdata/*.json (fail_notify_before_stream.json, from the
// version before the stream, stays as it is):
//
//	DURABLE_INTEGRATION=1 go test ./research -run 'TestIntegration(FailNotifyThenRestart|ReportStreamsAsWritten)$' -record
var record = flag.Bool("record", false, "re-record testdata histories from the dev server")

// fakeLLM is llm's worker side pointed at an llmtest server that answers
// every request with the sample report.
func fakeLLM(t *testing.T) (*llmtest.Server, *llm.Activities) {
	t.Helper()
	fake := llmtest.NewServer(t)
	fake.SetDefault(func(llmtest.Request) llmtest.Reply { return llmtest.Reply{Content: sampleMarkdown} })
	acts, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{
		"default": {ID: "gpt-4o-mini", BaseURL: fake.URL, APIKey: "test"},
	}})
	require.NoError(t, err)
	return fake, acts
}

// scheduled counts the activities a workflow's history scheduled, by type.
func scheduled(t *testing.T, c client.Client, id, runID string) map[string]int {
	t.Helper()
	out := map[string]int{}
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			out[a.GetActivityType().GetName()]++
		}
	}
	return out
}

// TestIntegrationFailNotifyThenRestart is the seed's recovery story on a
// real server: a worker deployed with a broken Notify leaves the workflow
// running and retrying; a fixed worker picks it up and it completes, and the
// LLM was paid for exactly once.
func TestIntegrationFailNotifyThenRestart(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	fake, llmActs := fakeLLM(t)
	dir := t.TempDir()
	acts := &research.Activities{OutDir: dir, FailNotify: true}
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		research.Register(r, acts) // acts as it is at each (re)start
		llmActs.Register(r)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "research-fail-notify", TaskQueue: w.TaskQueue},
		research.ReportWorkflow, research.Input{Topic: "Give me five facts about tardigrades"})
	require.NoError(t, err)

	var lastFailure string
	require.Eventually(t, func() bool {
		d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			return false
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetActivityType().GetName() == research.ActivityNotify && pa.GetAttempt() >= 2 && pa.GetLastFailure() != nil {
				lastFailure = pa.GetLastFailure().GetMessage()
				return d.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING
			}
		}
		return false
	}, time.Minute, 100*time.Millisecond, "Notify fails, is retried and the workflow keeps running")
	assert.Contains(t, lastFailure, "-fail-notify", "the pending activity shows why it fails")
	assert.FileExists(t, research.ReportPath(dir, run.GetID()), "the PDF was written before Notify")
	assert.NoFileExists(t, filepath.Join(dir, research.NotificationsLog))

	w.Kill()
	acts = &research.Activities{OutDir: dir} // the fixed deployment
	w.Restart()

	var res research.Result
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, 1, fake.Billed(), "the LLM was paid for once")
	assert.Len(t, fake.Requests(), 1, "and called once")
	assert.Equal(t, map[string]int{llm.ActivityComplete: 1, research.ActivityRenderReport: 1, research.ActivityNotify: 1},
		scheduled(t, c, run.GetID(), run.GetRunID()), "each step was scheduled once; only Notify had several attempts")

	assert.Equal(t, research.ReportPath(dir, "research-fail-notify"), res.PDFPath)
	assert.Equal(t, "gpt-4o-mini", res.Model)
	assert.False(t, res.Offline)
	assert.True(t, res.CostKnown, "gpt-4o-mini is in llm's price table")
	assert.Positive(t, res.Tokens)
	b, err := os.ReadFile(res.PDFPath)
	require.NoError(t, err)
	lines := readPDF(t, b)
	assert.Contains(t, pageText(lines, 1), "Give me five facts about tardigrades\n")
	text := allText(lines)
	assert.Contains(t, text, "• They live in moss, from "+nonASCII+".\n", "the LLM's Markdown is the body")
	assert.Contains(t, text, "1. Tun state\n")
	notes := readLog(t, filepath.Join(dir, research.NotificationsLog))
	require.Len(t, notes, 1, "one notification")
	assert.Equal(t, run.GetID(), notes[0]["workflow_id"])

	if *record {
		require.NoError(t, durabletest.SaveHistory(ctx, c, run.GetID(), run.GetRunID(),
			filepath.Join("testdata", "fail_notify_then_restart.json")))
	}
}

func TestIntegrationInvalidTopicFailsBeforeAnyActivity(t *testing.T) {
	srv := durabletest.Server(t)
	fake, llmActs := fakeLLM(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		research.Register(r, &research.Activities{OutDir: t.TempDir()})
		llmActs.Register(r)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue},
		research.ReportWorkflow, research.Input{Topic: strings.Repeat("why ", research.MaxTopicRunes)})
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.Error(t, err)
	assert.True(t, research.IsInvalidTopic(err), "typed error through the client: %v", err)
	assert.Contains(t, err.Error(), "shorten it")
	assert.Empty(t, scheduled(t, srv.Client(), run.GetID(), run.GetRunID()), "no activity was scheduled")
	assert.Empty(t, fake.Requests())
}

func TestIntegrationRunDemoOffline(t *testing.T) {
	srv := durabletest.Server(t)
	dir := t.TempDir()
	w := worker.New(srv.Client(), research.TaskQueue, worker.Options{})
	research.Register(w, &research.Activities{OutDir: dir})
	offlineLLM(t).Register(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var watched int
	res, err := research.RunDemo(ctx, srv.Client(), "Ελληνικά and Русский: a short history of the alphabets",
		func(stream.Event, stream.Answer) { watched++ })
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(res.WorkflowID, "research-"))
	assert.NotEmpty(t, res.RunID)
	assert.True(t, res.Offline)
	assert.Equal(t, llm.OfflineModelID, res.Model)
	assert.True(t, res.CostKnown)
	assert.InDelta(t, 0, res.CostUSD, 0)
	assert.Equal(t, research.ReportPath(dir, res.WorkflowID), res.PDFPath)
	b, err := os.ReadFile(res.PDFPath)
	require.NoError(t, err)
	assert.Contains(t, pageText(readPDF(t, b), 1), "Ελληνικά and Русский: a short history of the alphabets\n")

	// The offline model streams too: the followed report is its answer.
	answer := completeResult(t, srv.Client(), res.WorkflowID, res.RunID)
	assert.True(t, strings.HasPrefix(answer.Text, llm.OfflineLabel))
	assert.Equal(t, answer.Text, res.Stream.Report.Text, "the stream showed the whole offline answer")
	assert.True(t, res.Stream.Report.Ended)
	assert.Zero(t, res.Stream.Report.Resets)
	assert.Positive(t, res.Stream.Deltas)
	assert.Positive(t, res.Stream.Batches)
	assert.Positive(t, res.Stream.FirstText)
	assert.Equal(t, res.Stream.Events, watched, "watch saw every event")
	assert.Len(t, res.Stream.Statuses, 3)

	_, err = research.RunDemo(ctx, srv.Client(), "   ", nil)
	assert.True(t, research.IsInvalidTopic(err), "a bad topic is refused before starting: %v", err)
}

func TestReplayRecordedHistories(t *testing.T) {
	durabletest.Replay(t, "testdata", func(r worker.WorkflowReplayer) {
		r.RegisterWorkflow(research.ReportWorkflow)
	})
}
