package research

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/stream"
)

// TaskQueue is the task queue the research worker polls.
const TaskQueue = "research"

// MaxTopicRunes bounds the length of a topic, in characters.
const MaxTopicRunes = 500

// SystemPrompt is the system message of the research call.
const SystemPrompt = "You are a careful research assistant. Answer in Markdown: a short introduction, " +
	"sections with ## headings, bullet or numbered lists where they help, **bold** for key terms, " +
	"and a short conclusion. Do not start with a top-level # title; the report adds its own."

// Input is the input of [ReportWorkflow].
type Input struct {
	// Topic is the research question, 1 to [MaxTopicRunes] characters.
	Topic string
	// Model is the configured llm model name (a key of the worker's
	// llm.Config.Models). Empty means the worker's default model.
	Model string `json:",omitempty"`
}

// Result is the output of [ReportWorkflow]. It carries the path of the PDF,
// never its bytes, so the history stays small.
type Result struct {
	// WorkflowID is the workflow that wrote the report.
	WorkflowID string
	// PDFPath is where the worker wrote the PDF.
	PDFPath string
	// PDFBytes is the size of the PDF.
	PDFBytes int64
	// SHA256 is the hex SHA-256 of the PDF.
	SHA256 string
	// Model is the provider's id of the model that answered.
	Model string
	// Tokens is the number of tokens the research call used.
	Tokens int64
	// CostUSD is the price of the research call, meaningful when CostKnown.
	CostUSD float64
	// CostKnown reports whether CostUSD is known (a model missing from the
	// worker's price table has an unknown cost).
	CostKnown bool
	// Offline reports that the offline model wrote the report.
	Offline bool
	// Notified says where the notification went, e.g. "log:/path".
	Notified string
}

// renderOptions are the options of RenderReport: short attempts, a few
// retries, none for a report the renderer cannot draw.
func renderOptions() workflow.ActivityOptions {
	o := durable.Quick("render PDF")
	o.RetryPolicy = durable.RetryPolicy(200*time.Millisecond, 10*time.Second, 5, ErrTypeRenderFailed)
	return o
}

// notifyOptions are the options of Notify: retries without an attempt limit
// for a day, from 1 s up to 30 s apart. A notification service that is down,
// or a worker deployed with a bug, leaves the workflow running and retrying
// until it is fixed, while the paid research result waits in the history.
func notifyOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            durable.RetryPolicy(time.Second, 30*time.Second, 0, ErrTypeWebhookRejected),
		Summary:                "notify",
	}
}

// ReportWorkflow researches a topic with an LLM, renders the answer as a PDF
// report and sends a notification. Each step is an activity whose result is
// recorded: after a crash or a failing later step the LLM is not called again.
//
// The workflow hosts a stream (package stream): the research call publishes
// the report's deltas to [ReportTopic] as the model writes them, and the
// workflow publishes a [KindStatus] event to [StatusTopic] before each step.
// Clients follow it with [Follow] (or stream.Subscribe) while the workflow
// runs and after it closed; the stream is drained before the workflow
// returns.
//
// A topic that is empty or longer than [MaxTopicRunes] fails the workflow at
// once with a non-retryable [ErrTypeInvalidTopic] error, before any activity.
func ReportWorkflow(ctx workflow.Context, in Input) (Result, error) {
	s, err := stream.New(ctx, stream.Options{})
	if err != nil {
		return Result{}, err
	}
	res, err := report(ctx, s, in)
	if derr := s.Drain(ctx); err == nil {
		err = derr
	}
	return res, err
}

// report runs the steps of [ReportWorkflow], publishing progress to s.
func report(ctx workflow.Context, s *stream.Stream, in Input) (Result, error) {
	topic, err := checkTopic(in.Topic)
	if err != nil {
		return Result{}, err
	}
	info := workflow.GetInfo(ctx)
	res := Result{WorkflowID: info.WorkflowExecution.ID}

	status(ctx, s, "researching: "+shorten(topic, 60))
	answer, err := llm.Complete(ctx, llm.Request{
		Model:       in.Model,
		System:      SystemPrompt,
		Prompt:      topic,
		Summary:     "research: " + shorten(topic, 60),
		Stream:      true,
		StreamTopic: ReportTopic,
	})
	if err != nil {
		return res, err
	}
	res.Model, res.Tokens, res.Offline = answer.Model, answer.TotalTokens(), answer.Offline
	res.CostUSD, res.CostKnown = answer.CostUSD, answer.CostKnown

	status(ctx, s, "rendering the PDF")
	var a *Activities
	pdf, err := durable.Execute[Rendered](ctx, a.RenderReport, RenderInput{
		Title:    shorten(topic, 120),
		Markdown: answer.Text,
		Meta: Meta{
			Topic:      topic,
			Model:      answer.Model,
			WorkflowID: res.WorkflowID,
			Date:       workflow.Now(ctx),
			Tokens:     int(answer.TotalTokens()),
			CostUSD:    answer.CostUSD,
			CostKnown:  answer.CostKnown,
			Offline:    answer.Offline,
		},
	}, renderOptions())
	if err != nil {
		return res, err
	}
	res.PDFPath, res.PDFBytes, res.SHA256 = pdf.Path, pdf.Bytes, pdf.SHA256

	status(ctx, s, "notifying")
	note, err := durable.Execute[Notified](ctx, a.Notify, Notification{
		WorkflowID: res.WorkflowID,
		Topic:      topic,
		PDFPath:    pdf.Path,
		SHA256:     pdf.SHA256,
		Model:      answer.Model,
		Tokens:     res.Tokens,
	}, notifyOptions())
	if err != nil {
		return res, err
	}
	res.Notified = note.Channel
	return res, nil
}

// Register registers [ReportWorkflow] and the RenderReport and Notify
// activities of acts on a worker. The research call is llm's completion
// activity: register it too, with llm.NewActivities(cfg) and its Register
// method, on the same worker.
func Register(r worker.Registry, acts *Activities) {
	r.RegisterWorkflow(ReportWorkflow)
	r.RegisterActivity(acts)
}

// ValidateTopic returns the non-retryable [ErrTypeInvalidTopic] error the
// workflow fails with for topic, or nil when the topic is acceptable. A
// starter can call it to refuse a bad topic without starting a workflow.
func ValidateTopic(topic string) error {
	_, err := checkTopic(topic)
	return err
}

func checkTopic(topic string) (string, error) {
	t := strings.TrimSpace(topic)
	switch n := utf8.RuneCountInString(t); {
	case n == 0:
		return "", temporal.NewNonRetryableApplicationError(
			"research: the topic is empty; pass a research question, e.g. -topic \"five facts about tardigrades\"",
			ErrTypeInvalidTopic, nil)
	case n > MaxTopicRunes:
		return "", temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("research: the topic has %d characters, more than %d; shorten it to the question itself", n, MaxTopicRunes),
			ErrTypeInvalidTopic, nil)
	}
	return t, nil
}

// shorten cuts s to at most n characters on one line, with an ellipsis.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
