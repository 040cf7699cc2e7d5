package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/saga"
)

// testInput is the input of testAgent: a Config (its function fields are
// not encoded) and the state carried through continue-as-new.
type testInput struct {
	Config Config
	State  *State `json:",omitempty"`
}

// testAgent is the agent workflow of the tests.
func testAgent(ctx workflow.Context, in testInput) (Result, error) {
	cfg := in.Config
	cfg.ContinueAsNew = func(ctx workflow.Context, s *State) error {
		in.State = s
		return workflow.NewContinueAsNewError(ctx, testAgent, in)
	}
	return Run(ctx, cfg, in.State)
}

// script is a model whose answers the test writes: each step sees the
// request and answers.
type script struct {
	mu    sync.Mutex
	steps []func(req llm.Request) (llm.Response, error)
	reqs  []llm.Request
}

func (s *script) complete(_ context.Context, req llm.Request) (llm.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
	if len(s.steps) == 0 {
		return llm.Response{}, temporal.NewNonRetryableApplicationError("script: no more answers", "script.Exhausted", nil)
	}
	step := s.steps[0]
	s.steps = s.steps[1:]
	resp, err := step(req)
	if err == nil {
		if resp.FinishReason == "" {
			resp.FinishReason = "stop"
			if len(resp.ToolCalls) > 0 {
				resp.FinishReason = "tool_calls"
			}
		}
		if resp.PromptTokens == 0 {
			resp.PromptTokens = 100
		}
		if resp.CompletionTokens == 0 {
			resp.CompletionTokens = 10
		}
		resp.CostKnown = true
		resp.CostUSD = float64(resp.PromptTokens+resp.CompletionTokens) / 1e6
	}
	return resp, err
}

func (s *script) requests() []llm.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]llm.Request(nil), s.reqs...)
}

func calls(cs ...llm.ToolCall) func(llm.Request) (llm.Response, error) {
	return func(llm.Request) (llm.Response, error) { return llm.Response{ToolCalls: cs}, nil }
}

func text(t string) func(llm.Request) (llm.Response, error) {
	return func(llm.Request) (llm.Response, error) { return llm.Response{Text: t}, nil }
}

func call(id, name, args string) llm.ToolCall {
	return llm.ToolCall{ID: id, Name: name, Arguments: args}
}

// newEnv is a test environment with the shop's tools and model m (nil: the
// offline model).
func newEnv(t *testing.T, s *shop, m *script, cfg ToolsConfig) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(testAgent)
	RegisterWorkflows(env)
	newTestTools(t, s, cfg).RegisterActivities(env)
	if m != nil {
		env.RegisterActivityWithOptions(m.complete, activity.RegisterOptions{Name: llm.ActivityComplete})
	} else {
		acts, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{"offline": llm.Offline()}, Messages: cfg.Messages})
		require.NoError(t, err)
		acts.Register(env)
	}
	return env
}

func runAgent(t *testing.T, env *testsuite.TestWorkflowEnvironment, cfg Config) (Result, error) {
	t.Helper()
	env.ExecuteWorkflow(testAgent, testInput{Config: cfg})
	require.True(t, env.IsWorkflowCompleted())
	if err := env.GetWorkflowError(); err != nil {
		return Result{}, err
	}
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	return res, nil
}

// lastTool is the content of the last tool message of req.
func lastTool(req llm.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == llm.RoleTool {
			return req.Messages[i].Content
		}
	}
	return ""
}

// TestOfflineAgent runs the whole loop with the offline model: it looks the
// order up, emails the customer and answers with the results; the
// conversation goes by reference.
func TestOfflineAgent(t *testing.T) {
	s := newShop()
	msgs := &MemoryMessages{}
	env := newEnv(t, s, nil, ToolsConfig{Messages: msgs})
	res, err := runAgent(t, env, Config{
		System: "You are a support agent.",
		Prompt: "Order A-1001 arrived broken. Please lookup order A-1001 and send email to the customer.",
		Tools:  []string{"lookup_order", "send_email"},
	})
	require.NoError(t, err)
	assert.Equal(t, StopAnswered, res.Stop)
	assert.Equal(t, 3, res.Turns)
	assert.Equal(t, 2, res.ToolCalls)
	assert.Contains(t, res.Answer, llm.OfflineLabel)
	assert.Contains(t, res.Answer, `- lookup_order: {"order_id":"A-1001","amount_cents":4999`)
	assert.Contains(t, res.Answer, "- send_email: {\"sent\":true}")
	lookups, refunds, emails := s.counts()
	assert.Equal(t, [3]int{1, 0, 1}, [3]int{lookups, refunds, emails})
	assert.Equal(t, "ada@example.com", s.emails[0].Email, "the offline model took the address from the lookup")
	require.Len(t, res.Calls, 2)
	assert.Equal(t, OutcomeOK, res.Calls[0].Outcome)
	assert.Equal(t, ReadOnly, res.Calls[0].Policy)
	assert.Empty(t, res.Calls[0].Key, "read-only calls need no key")
	assert.Equal(t, SideEffect, res.Calls[1].Policy)
	assert.True(t, strings.HasPrefix(res.Calls[1].Key, "agent/default-test-workflow-id/"), res.Calls[1].Key)
	assert.Equal(t, 3, res.Usage.Calls)
	assert.Positive(t, msgs.Len(), "messages were stored by reference")
}

// TestScriptedAgent covers what the model can get wrong, one case each.
func TestScriptedAgent(t *testing.T) {
	lookup := `{"order_id":"A-1"}`
	cases := []struct {
		name  string
		cfg   Config
		steps []func(llm.Request) (llm.Response, error)
		check func(t *testing.T, res Result, err error, s *shop, reqs []llm.Request)
	}{{
		name:  "unknown tool is told to the model",
		steps: []func(llm.Request) (llm.Response, error){calls(call("c1", "delete_everything", `{}`)), text("sorry")},
		check: func(t *testing.T, res Result, err error, _ *shop, reqs []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, StopAnswered, res.Stop)
			assert.Equal(t, OutcomeUnknownTool, res.Calls[0].Outcome)
			assert.Contains(t, lastTool(reqs[1]), `there is no tool "delete_everything"`)
		},
	}, {
		name:  "calls without a unique id do not run",
		steps: []func(llm.Request) (llm.Response, error){calls(call("c1", "send_email", `{"email":"a@b.c","subject":"s"}`), call("c1", "send_email", `{"email":"x@y.z","subject":"s"}`), call("", "send_email", `{"email":"x@y.z","subject":"s"}`)), text("ok")},
		check: func(t *testing.T, res Result, err error, s *shop, reqs []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, []Outcome{OutcomeOK, OutcomeInvalid, OutcomeInvalid}, []Outcome{res.Calls[0].Outcome, res.Calls[1].Outcome, res.Calls[2].Outcome})
			_, _, emails := s.counts()
			assert.Equal(t, 1, emails)
			assert.Contains(t, reqs[1].Messages[3].Content, `repeated id "c1"`)
		},
	}, {
		name:  "arguments that do not match the schema are told to the model",
		steps: []func(llm.Request) (llm.Response, error){calls(call("c1", "lookup_order", `{"order":"A-1"}`)), calls(call("c2", "lookup_order", lookup)), text("done")},
		check: func(t *testing.T, res Result, err error, s *shop, reqs []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, OutcomeInvalid, res.Calls[0].Outcome)
			assert.Contains(t, lastTool(reqs[1]), "do not match its schema")
			assert.Equal(t, OutcomeOK, res.Calls[1].Outcome)
			lookups, _, _ := s.counts()
			assert.Equal(t, 1, lookups, "the invalid call never reached the tool")
		},
	}, {
		name:  "a tool's refusal is told to the model",
		steps: []func(llm.Request) (llm.Response, error){calls(call("c1", "lookup_order", `{"order_id":"missing"}`)), text("which order?")},
		check: func(t *testing.T, res Result, err error, _ *shop, reqs []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, OutcomeError, res.Calls[0].Outcome)
			assert.Equal(t, `error: order "missing" not found; ask the customer for the order id`, lastTool(reqs[1]))
			assert.Equal(t, "which order?", res.Answer)
		},
	}, {
		name: "a model that loops is stopped",
		cfg:  Config{Limits: Limits{MaxRepeats: 2}},
		steps: []func(llm.Request) (llm.Response, error){
			calls(call("c1", "lookup_order", lookup)), calls(call("c2", "lookup_order", lookup)), calls(call("c3", "lookup_order", lookup)), text("unreachable"),
		},
		check: func(t *testing.T, res Result, err error, s *shop, _ []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, StopLoop, res.Stop)
			assert.Contains(t, res.Detail, "lookup_order with the same arguments 3 times")
			lookups, _, _ := s.counts()
			assert.Equal(t, 2, lookups, "the third call did not run")
		},
	}, {
		name:  "max turns",
		cfg:   Config{Limits: Limits{MaxTurns: 2}},
		steps: []func(llm.Request) (llm.Response, error){calls(call("c1", "lookup_order", lookup)), calls(call("c2", "lookup_order", `{"order_id":"A-2"}`)), text("unreachable")},
		check: func(t *testing.T, res Result, err error, _ *shop, reqs []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, StopMaxTurns, res.Stop)
			assert.Equal(t, 2, res.Turns)
			assert.Len(t, reqs, 2)
		},
	}, {
		name:  "budget without a review stops before the turn",
		cfg:   Config{Limits: Limits{MaxTokens: 250}},
		steps: []func(llm.Request) (llm.Response, error){calls(call("c1", "lookup_order", lookup)), calls(call("c2", "lookup_order", `{"order_id":"A-2"}`)), text("unreachable")},
		check: func(t *testing.T, res Result, err error, _ *shop, reqs []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, StopBudget, res.Stop)
			assert.Len(t, reqs, 2, "the third turn would pass 250 tokens")
			assert.Contains(t, res.Detail, "of 250 are used")
			assert.Equal(t, int64(220), res.Usage.TotalTokens())
		},
	}, {
		name: "parallel read-only calls keep the calls' order",
		steps: []func(llm.Request) (llm.Response, error){
			calls(call("c1", "lookup_order", `{"order_id":"A-1"}`), call("c2", "lookup_order", `{"order_id":"A-2"}`), call("c3", "lookup_order", `{"order_id":"missing"}`)),
			text("three"),
		},
		check: func(t *testing.T, res Result, err error, _ *shop, reqs []llm.Request) {
			require.NoError(t, err)
			msgs := reqs[1].Messages
			require.Len(t, msgs, 5)
			assert.Equal(t, []string{"c1", "c2", "c3"}, []string{msgs[2].ToolCallID, msgs[3].ToolCallID, msgs[4].ToolCallID})
			assert.Contains(t, msgs[3].Content, `"A-2"`)
			assert.Contains(t, msgs[4].Content, "not found")
		},
	}, {
		name: "a context-length error compacts and goes on",
		cfg:  Config{Compaction: Compaction{Keep: 2}},
		steps: []func(llm.Request) (llm.Response, error){
			calls(call("c1", "lookup_order", lookup)),
			calls(call("c2", "lookup_order", `{"order_id":"A-2"}`)),
			func(llm.Request) (llm.Response, error) {
				return llm.Response{}, temporal.NewNonRetryableApplicationError("too long", llm.ErrTypeContextLengthExceeded, nil)
			},
			text("the customer ordered A-1 and A-2"),
			text("final"),
		},
		check: func(t *testing.T, res Result, err error, _ *shop, reqs []llm.Request) {
			require.NoError(t, err)
			assert.Equal(t, "final", res.Answer)
			assert.Equal(t, 1, res.Compactions)
			require.Len(t, reqs, 5)
			summarise := reqs[3]
			assert.Empty(t, summarise.Tools, "the summary call offers no tools")
			assert.Equal(t, DefaultCompactionPrompt, summarise.Messages[len(summarise.Messages)-1].Content)
			assert.Equal(t, "c1", summarise.Messages[1].ToolCallID, "the first call and its result are summarised")
			after := reqs[4].Messages
			require.Len(t, after, 4, "the prompt, the summary, the kept call and its result")
			assert.Equal(t, llm.RoleUser, after[0].Role)
			assert.True(t, strings.HasPrefix(after[1].Content, SummaryPrefix))
			assert.Contains(t, after[1].Content, "the customer ordered A-1 and A-2")
			assert.Contains(t, after[1].Content, `called lookup_order {"order_id":"A-1"}: ok`)
			assert.Equal(t, "c2", after[2].ToolCalls[0].ID)
			assert.Equal(t, "c2", after[3].ToolCallID)
			assert.Equal(t, int64(4), int64(res.Usage.Calls))
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newShop()
			m := &script{steps: c.steps}
			env := newEnv(t, s, m, ToolsConfig{})
			cfg := c.cfg
			cfg.Prompt = "help with my order"
			cfg.Tools = []string{"lookup_order", "send_email"}
			res, err := runAgent(t, env, cfg)
			c.check(t, res, err, s, m.requests())
		})
	}
}

// reserveTools adds a compensable tool without approval, for the tests of
// undo on failure and cancellation.
func reserveTool(s *shop) Tool {
	return NewTool("reserve", "Reserve stock", s.refund, SideEffect, WithUndo(s.cancelRefund))
}

// TestFailureUndoes: a tool failure with FailOnToolError ends the agent
// after undoing the compensable call that succeeded.
func TestFailureUndoes(t *testing.T) {
	s := newShop()
	s.fail["send_email"] = ToolError("mailbox full")
	m := &script{steps: []func(llm.Request) (llm.Response, error){
		calls(call("c1", "reserve", `{"order_id":"A-1","amount_cents":100,"reason":"r"}`)),
		calls(call("c2", "send_email", `{"email":"a@b.c","subject":"s"}`)),
	}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(testAgent)
	tools, err := NewTools(ToolsConfig{Store: idem.NewMemoryStore()}, append(s.tools(), reserveTool(s))...)
	require.NoError(t, err)
	tools.Register(env)
	env.RegisterActivityWithOptions(m.complete, activity.RegisterOptions{Name: llm.ActivityComplete})
	_, err = runAgent(t, env, Config{Prompt: "p", FailOnToolError: true})
	require.Error(t, err)
	assert.True(t, saga.IsCompensated(err), "%v", err)
	assert.ErrorContains(t, err, "mailbox full")
	assert.Equal(t, map[string]bool{"R-1": true}, s.undone)
	v, qerr := env.QueryWorkflow(QueryStatus)
	require.NoError(t, qerr)
	var st Status
	require.NoError(t, v.Get(&st))
	assert.Equal(t, OutcomeUndone, st.Calls[0].Outcome)
	assert.Equal(t, OutcomeError, st.Calls[1].Outcome)
}

// TestCancelUndoes: cancelling the agent while a tool runs undoes what
// succeeded before, and the agent ends cancelled.
func TestCancelUndoes(t *testing.T) {
	s := newShop()
	m := &script{steps: []func(llm.Request) (llm.Response, error){
		calls(call("c1", "reserve", `{"order_id":"A-1","amount_cents":100,"reason":"r"}`)),
		calls(call("c2", "slow", `{"order_id":"A-1"}`)),
	}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(testAgent)
	started := make(chan struct{})
	slow := NewTool("slow", "", func(ctx context.Context, _ orderArgs) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}, ReadOnly)
	tools, err := NewTools(ToolsConfig{Store: idem.NewMemoryStore()}, reserveTool(s), slow)
	require.NoError(t, err)
	tools.Register(env)
	env.RegisterActivityWithOptions(m.complete, activity.RegisterOptions{Name: llm.ActivityComplete})
	go func() {
		<-started
		env.CancelWorkflow()
	}()
	opts := ToolActivityOptions(ReadOnly, "")
	opts.HeartbeatTimeout = 0
	opts.WaitForCancellation = false
	_, err = runAgent(t, env, Config{Prompt: "p", ToolOptions: &opts})
	require.Error(t, err)
	assert.True(t, temporal.IsCanceledError(err), "%v", err)
	assert.Equal(t, map[string]bool{"R-1": true}, s.undone)
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no prompt":        {},
		"unknown tool":     {Prompt: "p", Tools: []string{"nope"}},
		"unknown policy":   {Prompt: "p", Policies: map[string]Policy{"nope": NeedsApproval}},
		"negative budget":  {Prompt: "p", Limits: Limits{MaxCostUSD: -1}},
		"negative timeout": {Prompt: "p", Approval: Review{Deadline: -time.Second}},
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, newShop(), &script{}, ToolsConfig{})
			_, err := runAgent(t, env, cfg)
			require.Error(t, err)
			assert.True(t, IsInvalidConfig(err), "%v", err)
		})
	}
}

// TestConfigTravelsInInput: a Config is plain data (its function is not
// encoded), so workflows can take it as input.
func TestConfigTravelsInInput(t *testing.T) {
	b, err := json.Marshal(Config{Prompt: "p", ContinueAsNew: func(workflow.Context, *State) error { return nil }})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "ContinueAsNew")
	assert.Equal(t, "agent/s/c", CallKey("s", "c"))
	assert.Equal(t, "a/approval/c", ApprovalID("a", "c"))
	assert.Equal(t, "a/budget/2", BudgetReviewID("a", 2))
	assert.Equal(t, "agent.tool.x", ToolActivity("x"))
	_ = fmt.Sprint()
}
