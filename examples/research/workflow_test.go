package research_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/llm"
)

// offlineLLM is llm's worker side with only the offline model.
func offlineLLM(t testing.TB) *llm.Activities {
	t.Helper()
	acts, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{"default": llm.Offline()}})
	require.NoError(t, err)
	return acts
}

func newEnv(t *testing.T, acts *research.Activities) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	research.Register(env, acts)
	// The offline model, without the request's StreamTopic: a stream
	// publisher signals the workflow through the activity's client, which in
	// the SDK's test environment is a mock service that exits the test
	// process on a call it does not expect. Streaming is tested on the dev
	// server (stream_integration_test.go).
	offline := offlineLLM(t)
	env.RegisterActivityWithOptions(func(ctx context.Context, req llm.Request) (llm.Response, error) {
		req.StreamTopic = ""
		return offline.Complete(ctx, req)
	}, activity.RegisterOptions{Name: llm.ActivityComplete})
	return env
}

// started records the activity types the workflow started, in order.
func started(env *testsuite.TestWorkflowEnvironment) *[]string {
	var names []string
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		names = append(names, info.ActivityType.Name)
	})
	return &names
}

func workflowResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) research.Result {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res research.Result
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestWorkflowWithMockedActivities(t *testing.T) {
	env := newEnv(t, &research.Activities{})
	start := time.Date(2025, time.May, 4, 12, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "wf-mocked"})

	env.OnActivity(llm.ActivityComplete, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req llm.Request) (llm.Response, error) {
			assert.Equal(t, "five facts about tardigrades", req.Prompt, "the trimmed topic is the prompt")
			assert.Equal(t, research.SystemPrompt, req.System)
			assert.Equal(t, "large", req.Model)
			assert.True(t, req.Stream, "the report is streamed")
			assert.Equal(t, research.ReportTopic, req.StreamTopic, "to the workflow's report topic")
			return llm.Response{Text: sampleMarkdown, Model: "gpt-4o-mini-2024", PromptTokens: 20, CompletionTokens: 80,
				CostUSD: 0.0001, CostKnown: true}, nil
		}).Once()
	env.OnActivity(research.ActivityRenderReport, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in research.RenderInput) (research.Rendered, error) {
			assert.Equal(t, "five facts about tardigrades", in.Title)
			assert.Equal(t, sampleMarkdown, in.Markdown)
			assert.Equal(t, research.Meta{Topic: "five facts about tardigrades", Model: "gpt-4o-mini-2024",
				WorkflowID: "wf-mocked", Date: start, Tokens: 100, CostUSD: 0.0001, CostKnown: true}, in.Meta)
			return research.Rendered{Path: "/reports/wf-mocked.pdf", Bytes: 1234, SHA256: "abc"}, nil
		}).Once()
	env.OnActivity(research.ActivityNotify, mock.Anything, mock.Anything).Return(
		func(_ context.Context, n research.Notification) (research.Notified, error) {
			assert.Equal(t, research.Notification{WorkflowID: "wf-mocked", Topic: "five facts about tardigrades",
				PDFPath: "/reports/wf-mocked.pdf", SHA256: "abc", Model: "gpt-4o-mini-2024", Tokens: 100}, n)
			return research.Notified{Channel: "log:/x"}, nil
		}).Once()

	env.ExecuteWorkflow(research.ReportWorkflow, research.Input{Topic: "  five facts about tardigrades\n", Model: "large"})
	res := workflowResult(t, env)
	env.AssertExpectations(t)
	assert.Equal(t, research.Result{WorkflowID: "wf-mocked", PDFPath: "/reports/wf-mocked.pdf", PDFBytes: 1234, SHA256: "abc",
		Model: "gpt-4o-mini-2024", Tokens: 100, CostUSD: 0.0001, CostKnown: true, Notified: "log:/x"}, res)
}

func TestWorkflowRejectsBadTopicBeforeAnyActivity(t *testing.T) {
	for name, topic := range map[string]string{
		"empty":    "",
		"blank":    " \n\t ",
		"too long": strings.Repeat("é", research.MaxTopicRunes+1),
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, &research.Activities{OutDir: t.TempDir()})
			acts := started(env)
			env.ExecuteWorkflow(research.ReportWorkflow, research.Input{Topic: topic})
			require.True(t, env.IsWorkflowCompleted())
			err := env.GetWorkflowError()
			require.Error(t, err)
			assert.True(t, research.IsInvalidTopic(err), "typed error: %v", err)
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.True(t, appErr.NonRetryable())
			assert.Empty(t, *acts, "no activity ran")
			assert.True(t, research.IsInvalidTopic(research.ValidateTopic(topic)), "the starter-side check agrees")
		})
	}
	assert.NoError(t, research.ValidateTopic(strings.Repeat("é", research.MaxTopicRunes)), "the limit itself is fine")
}

func TestWorkflowWithRealActivitiesOffline(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, &research.Activities{OutDir: dir})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "wf-offline"})
	acts := started(env)
	topic := "Cafés in " + nonASCII
	env.ExecuteWorkflow(research.ReportWorkflow, research.Input{Topic: topic})
	res := workflowResult(t, env)

	assert.Equal(t, []string{llm.ActivityComplete, research.ActivityRenderReport, research.ActivityNotify}, *acts)
	assert.True(t, res.Offline)
	assert.Equal(t, llm.OfflineModelID, res.Model)
	assert.Positive(t, res.Tokens)
	assert.Equal(t, research.ReportPath(dir, "wf-offline"), res.PDFPath)

	b, err := os.ReadFile(res.PDFPath)
	require.NoError(t, err)
	assert.Equal(t, int64(len(b)), res.PDFBytes)
	lines := readPDF(t, b)
	assert.Contains(t, pageText(lines, 1), topic+"\n", "the topic is the title")
	assert.Contains(t, pageText(lines, 1), "offline (offline)\n", "the title page names the offline model")
	assert.Contains(t, pageText(lines, 1), "Cost $0.00\n", "the offline model costs nothing")
	assert.Contains(t, allText(lines), llm.OfflineLabel, "the offline answer is the body")

	notes := readLog(t, filepath.Join(dir, research.NotificationsLog))
	require.Len(t, notes, 1)
	assert.Equal(t, "wf-offline", notes[0]["workflow_id"])
	assert.Equal(t, res.PDFPath, notes[0]["pdf"])
	assert.Equal(t, "log:"+filepath.Join(dir, research.NotificationsLog), res.Notified)
}

func TestWorkflowNotifyRetriesWithoutCallingTheLLMAgain(t *testing.T) {
	env := newEnv(t, &research.Activities{OutDir: t.TempDir()})
	acts := started(env)
	outage := temporal.NewApplicationError("down", research.ErrTypeNotifyUnavailable)
	env.OnActivity(research.ActivityNotify, mock.Anything, mock.Anything).Return(research.Notified{}, outage).Times(5)
	env.OnActivity(research.ActivityNotify, mock.Anything, mock.Anything).Return(research.Notified{Channel: "log:x"}, nil).Once()

	env.ExecuteWorkflow(research.ReportWorkflow, research.Input{Topic: "tardigrades"})
	res := workflowResult(t, env)
	env.AssertExpectations(t)
	assert.Equal(t, "log:x", res.Notified)
	count := map[string]int{}
	for _, n := range *acts {
		count[n]++
	}
	assert.Equal(t, map[string]int{llm.ActivityComplete: 1, research.ActivityRenderReport: 1, research.ActivityNotify: 6}, count,
		"only Notify is retried")
}

func TestWorkflowStopsOnRejectedWebhook(t *testing.T) {
	env := newEnv(t, &research.Activities{OutDir: t.TempDir()})
	env.OnActivity(research.ActivityNotify, mock.Anything, mock.Anything).Return(research.Notified{},
		temporal.NewNonRetryableApplicationError("404", research.ErrTypeWebhookRejected, nil)).Once()
	env.ExecuteWorkflow(research.ReportWorkflow, research.Input{Topic: "tardigrades"})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	assert.True(t, research.IsWebhookRejected(err), "got %v", err)
	var actErr *temporal.ActivityError
	assert.ErrorAs(t, err, &actErr, "the failure names the activity")
	env.AssertExpectations(t)
}

// readLog reads a JSON Lines notification log.
func readLog(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		out = append(out, m)
	}
	require.NoError(t, sc.Err())
	return out
}
