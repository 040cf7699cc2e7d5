package llm_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// Verdict is the structured answer of the review examples.
type Verdict struct {
	Approved bool   `json:"approved"`
	Reason   string `json:"reason"`
}

// DraftWorkflow drafts a memo, charged to a budget the Web UI can query.
func DraftWorkflow(ctx workflow.Context, topic string) (string, error) {
	budget := llm.Budget{MaxTokens: 20_000}
	if err := budget.RegisterQuery(ctx); err != nil {
		return "", err
	}
	resp, err := llm.Complete(ctx, llm.Request{
		System:    "You write short internal memos.",
		Prompt:    "Write a memo about " + topic + ".",
		MaxTokens: 500,
		Summary:   "draft v1",
	}, llm.WithBudget(&budget))
	if err != nil {
		return "", err
	}
	return resp.Text, nil
}

// ReviewWorkflow asks for a structured verdict.
func ReviewWorkflow(ctx workflow.Context, doc string) (Verdict, error) {
	v, _, err := llm.CompleteJSON[Verdict](ctx, llm.Request{Prompt: "Review the expense: " + doc, Summary: "review"})
	return v, err
}

// run executes a workflow in the test environment with offline activities.
func run(wf any, arg string, out any) error {
	acts, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{"default": llm.Offline()}})
	if err != nil {
		return err
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	acts.Register(env)
	env.RegisterWorkflow(wf)
	env.ExecuteWorkflow(wf, arg)
	if err := env.GetWorkflowError(); err != nil {
		return err
	}
	return env.GetWorkflowResult(out)
}

func ExampleComplete() {
	var text string
	if err := run(DraftWorkflow, "the office move", &text); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Split(text, "\n")[0])
	// Output:
	// [offline model] No provider was called: this text is generated locally from the prompt.
}

func ExampleCompleteJSON() {
	var v Verdict
	if err := run(ReviewWorkflow, "taxi, 42 EUR", &v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("approved=%v reason=%q\n", v.Approved, v.Reason)
	// Output:
	// approved=false reason="[offline model] reason: Review the expense: taxi, 42 EUR"
}

// A worker with a local Ollama model, a hosted fallback whose key comes from
// the worker's environment, and a shared store so that a crash never buys an
// answer twice.
func ExampleNewActivities() {
	store, err := idem.NewFileStore("/var/lib/myapp/llm-idem")
	if err != nil {
		panic(err)
	}
	acts, err := llm.NewActivities(llm.Config{
		Models: map[string]llm.Model{
			"local":  {ID: "llama3.2", BaseURL: "http://localhost:11434/v1/"},
			"hosted": {ID: "gpt-4o-mini"}, // OPENAI_API_KEY from the environment; background Responses API
		},
		DefaultModel: "local",
		Store:        store,
	})
	if err != nil {
		panic(err) // a *llm.ConfigError says what to fix
	}
	var w worker.Worker // from worker.New(c, taskQueue, worker.Options{})
	acts.Register(w)
	// Workflows then ask: llm.Request{Model: "local", Fallback: []string{"hosted"}, ...}
}

func ExampleConfig_Validate() {
	err := llm.Config{}.Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, llm.ErrInvalidConfig))
	// Output:
	// llm: config: Models: no models; add one, e.g. Models: map[string]llm.Model{"default": {ID: "gpt-4o-mini"}}, or start from llm.FromEnv()
	// true
}

func ExampleRetryPolicy() {
	p := llm.RetryPolicy()
	fmt.Println(p.MaximumAttempts, p.InitialInterval, p.MaximumInterval)
	fmt.Println(strings.Join(p.NonRetryableErrorTypes[:3], " "))
	// Output:
	// 10 2s 1m0s
	// llm.InsufficientQuota llm.ContextLengthExceeded llm.ContentFilter
}

func ExampleFromEnv() {
	cfg := llm.FromEnv() // OPENAI_API_KEY or OPENAI_BASE_URL set: that endpoint; else the offline model
	fmt.Println(strings.HasPrefix(cfg.Describe(), `llm: model "default"`))
	// Output:
	// true
}

func ExampleIsInsufficientQuota() {
	// In a workflow, after llm.Complete failed:
	handle := func(err error) string {
		switch {
		case llm.IsInsufficientQuota(err):
			return "out of credit: page the account owner"
		case llm.IsContextLengthExceeded(err):
			d, _ := llm.Details(err)
			return fmt.Sprintf("prompt too long (limit %d tokens): summarise first", d.ContextLimit)
		case llm.IsBudgetExceeded(err):
			return "budget spent: stop here"
		}
		return "other"
	}
	fmt.Println(handle(errors.New("boom")))
	// Output:
	// other
}
