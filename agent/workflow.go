package agent

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/saga"
)

// Run runs a tool-calling agent in the caller's workflow: a model turn (an
// llm activity), each tool call as its own activity under its policy, the
// results fed back, until the model answers, a limit stops it, or an error
// ends it. It runs in workflow code only; the worker must have registered
// llm.Activities and [Tools] (see [NewTools]).
//
// state is the agent carried through continue-as-new: nil starts a new
// agent from cfg.Prompt; a state from an earlier run resumes it. After
// cfg.MaxTurnsPerRun turns in one run, or when the server suggests it, Run
// returns the continue-as-new error built by cfg.ContinueAsNew; return it
// from the workflow as is.
//
// A stop is a [Result] with a nil error: answered, out of turns, out of
// budget (after a budget review, when configured, said no), or looping.
// An error ends the agent otherwise: the model's non-retryable failures
// (after a compaction for a context-length error), a tool failure with
// cfg.FailOnToolError, cancellation, a bad Config ([ErrTypeInvalidConfig]).
// Before an error is returned, the undos of the compensable calls that
// succeeded run (saga, on a disconnected context, newest first); the error
// is then saga.WorkflowError's, so clients see saga.IsCompensated, and a
// cancelled agent still ends cancelled.
//
// Run registers the [QueryStatus] query and saga's ledger query.
func Run(ctx workflow.Context, cfg Config, state *State) (res Result, err error) {
	first := state == nil || state.Runs == 0
	if cfg, err = cfg.withDefaults(first); err != nil {
		return Result{}, err
	}
	if state == nil {
		state = &State{}
	}
	r := &run{cfg: cfg, s: state, phase: PhaseThinking}
	if first {
		r.start(ctx)
	}
	state.Runs++
	state.Budget.SearchAttributes = cfg.SearchAttributes
	if err := workflow.SetQueryHandler(ctx, QueryStatus, r.status); err != nil {
		return Result{}, err
	}
	r.saga = saga.New(ctx, saga.Options{})
	for _, u := range state.Undo {
		r.saga.Add(undoStep(u.Input.Call), saga.Activity(UndoActivity(u.Tool), u.Input))
	}
	defer func() { err = r.finish(ctx, err) }()
	if state.Catalog == nil {
		cat, err := durable.Execute[Catalog](ctx, ActivityListTools, nil, durable.Quick("agent: list tools"))
		if err != nil {
			return Result{}, err
		}
		state.Catalog = &cat
	}
	if err := r.offer(); err != nil {
		return Result{}, err
	}
	return r.loop(ctx)
}

// run is one workflow run of an agent. Its fields are touched only from
// workflow coroutines, which never run concurrently.
type run struct {
	cfg   Config
	s     *State
	saga  *saga.Saga
	specs map[string]Spec
	tools []llm.Tool

	phase        Phase
	stopped      StopReason
	turnsThisRun int
	current      []CallRecord // calls of the turn being handled
	reviews      []string     // open reviews
}

// start fills a new agent's state from the config.
func (r *run) start(ctx workflow.Context) {
	info := workflow.GetInfo(ctx)
	s := r.s
	s.Session = r.cfg.Session
	if s.Session == "" {
		s.Session = info.WorkflowExecution.ID + "/" + info.FirstRunID
	}
	if r.cfg.System != "" {
		s.Messages = append(s.Messages, llm.System(r.cfg.System))
	}
	s.Messages = append(s.Messages, r.cfg.Messages...)
	if r.cfg.Prompt != "" {
		s.Messages = append(s.Messages, llm.User(r.cfg.Prompt))
	}
	s.Pinned = len(s.Messages)
	for i, m := range s.Messages {
		if m.Role == llm.RoleUser {
			s.Pinned = i + 1
			break
		}
	}
	for _, m := range s.Messages {
		s.PendingChars += len(m.Content)
	}
	s.Budget.MaxTokens, s.Budget.MaxCostUSD = r.cfg.Limits.MaxTokens, r.cfg.Limits.MaxCostUSD
	s.Budget.EstimatePrice = r.cfg.Limits.EstimatePrice
}

// offer picks the tools offered to the model and applies Config.Policies.
func (r *run) offer() error {
	all := make(map[string]Spec, len(r.s.Catalog.Tools))
	var names []string
	for _, sp := range r.s.Catalog.Tools {
		all[sp.Name] = sp
		names = append(names, sp.Name)
	}
	want := r.cfg.Tools
	if len(want) == 0 {
		want = names
	}
	r.specs = make(map[string]Spec, len(want))
	for _, n := range want {
		sp, ok := all[n]
		if !ok {
			return configError("Config.Tools names %q but the worker's tools are %s: register it with agent.NewTools or remove it", n, strings.Join(names, ", "))
		}
		if extra, ok := r.cfg.Policies[n]; ok {
			sp.Policy = sp.Policy.Tighten(extra)
		}
		r.specs[n] = sp
		r.tools = append(r.tools, sp.Tool)
	}
	return r.checkPolicies(all, names)
}

// checkPolicies refuses a policy for a tool the worker does not have. It
// reports the first such name in sorted order, so the error is the same on
// every replay.
//
//workflowcheck:ignore
func (r *run) checkPolicies(all map[string]Spec, names []string) error {
	var unknown []string
	for n := range r.cfg.Policies {
		if _, ok := all[n]; !ok {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return configError("Config.Policies names %q, which is not a tool of the worker (%s)", unknown[0], strings.Join(names, ", "))
	}
	return nil
}

func (r *run) loop(ctx workflow.Context) (Result, error) {
	for {
		r.phase = PhaseThinking
		if r.s.Turns >= r.cfg.Limits.MaxTurns {
			return r.stop(StopMaxTurns, "", fmt.Sprintf("%d model turns used (Limits.MaxTurns)", r.s.Turns)), nil
		}
		if r.turnsThisRun >= r.cfg.MaxTurnsPerRun || (r.turnsThisRun > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			return Result{}, r.continueAsNew(ctx)
		}
		if at := r.cfg.Compaction.AtTokens; at > 0 && r.s.LastPromptTokens >= at && r.compactable() {
			if err := r.compact(ctx); err != nil {
				return Result{}, err
			}
		}
		ok, detail, err := r.checkBudget(ctx)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return r.stop(StopBudget, "", detail), nil
		}
		resp, err := r.turn(ctx)
		if err != nil {
			return Result{}, err
		}
		if len(resp.ToolCalls) == 0 {
			return r.stop(StopAnswered, resp.Text, ""), nil
		}
		if call, n := r.repeated(resp.ToolCalls); n > 0 {
			return r.stop(StopLoop, "", fmt.Sprintf("the model called %s with the same arguments %d times (Limits.MaxRepeats %d)", call, n, r.cfg.Limits.MaxRepeats)), nil
		}
		if err := r.calls(ctx, resp.ToolCalls); err != nil {
			return Result{}, err
		}
	}
}

// request is the next model turn's request.
func (r *run) request(summary string, msgs []llm.Message, tools []llm.Tool, maxTokens int64) llm.Request {
	return llm.Request{
		Model:             r.cfg.Model,
		Fallback:          r.cfg.Fallback,
		Messages:          slices.Clone(msgs),
		MaxTokens:         maxTokens,
		Temperature:       r.cfg.Temperature,
		Tools:             tools,
		ToolChoice:        r.cfg.ToolChoice,
		ParallelToolCalls: r.cfg.ParallelToolCalls,
		Summary:           summary,
		StoreMessages:     r.byRef(),
	}
}

func (r *run) byRef() bool { return r.s.Catalog != nil && r.s.Catalog.ByRef }

func (r *run) llmOptions() []llm.CallOption {
	if r.cfg.LLMOptions == nil {
		return nil
	}
	return []llm.CallOption{llm.WithActivityOptions(*r.cfg.LLMOptions)}
}

// turn runs one model turn; a context-length error compacts the
// conversation and runs the turn again, once.
func (r *run) turn(ctx workflow.Context) (llm.Response, error) {
	r.phase = PhaseThinking
	label := fmt.Sprintf("agent turn %d", r.s.Turns+1)
	resp, err := llm.Complete(ctx, r.request(label, r.s.Messages, r.tools, r.cfg.MaxTokens), r.llmOptions()...)
	if llm.IsContextLengthExceeded(err) {
		if !r.compactable() {
			return resp, nonRetryable(ErrTypeContextTooLong, "agent: the conversation is too long for the model and nothing older is left to summarise (%v): lower Compaction.Keep, shorten the prompt or use a model with a longer context", err)
		}
		if cerr := r.compact(ctx); cerr != nil {
			return resp, cerr
		}
		r.phase = PhaseThinking
		resp, err = llm.Complete(ctx, r.request(label+" (after compaction)", r.s.Messages, r.tools, r.cfg.MaxTokens), r.llmOptions()...)
	}
	if err != nil {
		return resp, err
	}
	r.s.Turns++
	r.turnsThisRun++
	if err := r.s.Budget.Add(ctx, resp); err != nil {
		return resp, err
	}
	r.s.LastPromptTokens, r.s.LastCompletionTokens, r.s.PendingChars = resp.PromptTokens, resp.CompletionTokens, 0
	r.stored()
	answer := llm.AnswerMessage(resp)
	if r.byRef() {
		answer = llm.ByRef(answer)
	}
	r.s.Messages = append(r.s.Messages, answer)
	return resp, nil
}

// stored replaces the messages a successful request stored by their
// references.
func (r *run) stored() {
	if !r.byRef() {
		return
	}
	for i, m := range r.s.Messages {
		r.s.Messages[i] = llm.ByRef(m)
	}
}

// repeated counts the calls and returns one made more than MaxRepeats times.
func (r *run) repeated(calls []llm.ToolCall) (string, int) {
	if r.s.Repeats == nil {
		r.s.Repeats = map[string]int{}
	}
	for _, c := range calls {
		k := CallHash(c.Name, []byte(c.Arguments))[:16]
		r.s.Repeats[k]++
		if n := r.s.Repeats[k]; n > r.cfg.Limits.MaxRepeats {
			return c.Name, n
		}
	}
	return "", 0
}

func (r *run) stop(reason StopReason, answer, detail string) Result {
	r.phase, r.stopped = PhaseDone, reason
	return Result{
		Answer:      answer,
		Stop:        reason,
		Detail:      detail,
		Turns:       r.s.Turns,
		ToolCalls:   r.s.CallCount,
		Compactions: r.s.Compactions,
		Runs:        r.s.Runs,
		Usage:       r.s.Budget.Used,
		Calls:       slices.Clone(r.s.Calls),
	}
}

func (r *run) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	workflow.GetLogger(ctx).Info("agent: continuing as new", "turns", r.s.Turns, "messages", len(r.s.Messages), "runs", r.s.Runs)
	if r.cfg.ContinueAsNew != nil {
		return r.cfg.ContinueAsNew(ctx, r.s)
	}
	return workflow.NewContinueAsNewError(ctx, workflow.GetInfo(ctx).WorkflowType.Name, r.s)
}

// finish runs the undos when the agent ends with an error.
func (r *run) finish(ctx workflow.Context, err error) error {
	if err == nil || workflow.IsContinueAsNewError(err) {
		return err
	}
	if len(r.s.Undo) == 0 {
		r.phase = PhaseDone
		return err
	}
	r.phase = PhaseCompensating
	cerr := r.saga.Compensate(ctx, err)
	for _, e := range r.saga.Ledger().Entries {
		if e.CompensationStatus == saga.StatusSucceeded {
			r.markUndone(e.Name)
		}
	}
	r.phase = PhaseDone
	return saga.WorkflowError(cerr)
}

func (r *run) markUndone(step string) {
	for i := range r.s.Calls {
		if undoStep(llmCall(r.s.Calls[i])) == step && r.s.Calls[i].Outcome == OutcomeOK {
			r.s.Calls[i].Outcome = OutcomeUndone
		}
	}
}

func undoStep(c llm.ToolCall) string { return c.Name + " " + c.ID }

func llmCall(rec CallRecord) llm.ToolCall { return llm.ToolCall{ID: rec.ID, Name: rec.Tool} }

// CallKey is the idempotency key of an at-most-once call:
// "agent/<session>/<call id>". The session is [Config.Session] or
// "<workflow ID>/<first run ID>", carried in [State]; call ids are the
// model's, unique per answer. So the key is
//
//	the same     for every attempt of the call, after a worker crash, after
//	             continue-as-new (the call and the session are carried), and
//	             after a reset to a point after the answer that asked for the
//	             call (the recorded answer, with its ids, is replayed)
//	new          for a call of a new answer: after a reset to a point before
//	             the answer a provider answers again with new ids, so the
//	             effect runs again, as a reset means; the offline model's ids
//	             are a hash of the conversation, so it repeats them and the
//	             effect does not run again
//	different    for every other agent, unless Config.Session names a
//	             business key they share
func CallKey(session, callID string) string { return "agent/" + session + "/" + callID }

// errorText is the type and message of err for the model and the audit.
func errorText(err error) (string, string) {
	var ae *temporal.ApplicationError
	var te *temporal.TimeoutError
	switch {
	case errors.As(err, &ae):
		return ae.Type(), ae.Message()
	case errors.As(err, &te):
		return "timeout", "the tool timed out (" + te.TimeoutType().String() + ")"
	}
	return "", err.Error()
}
