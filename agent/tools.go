package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// DefaultInlineLimit is the size in bytes up to which a tool's result stays
// inline in history when [ToolsConfig.Messages] is set.
const DefaultInlineLimit = 1024

// ToolsConfig is the worker side's configuration: the stores the tools'
// activities use. The zero value runs read-only tools only, with results
// inline.
type ToolsConfig struct {
	// Store makes calls of side-effecting and approval tools, and undos,
	// at-most-once (idem.Wrap). Required when such a tool is registered;
	// every worker of the task queue must share it (idem.NewFileStore on a
	// shared disk, idem.NewPostgresStore).
	Store idem.Store
	// Messages keeps results longer than InlineLimit out of history, by
	// reference (the same store as llm.Config.Messages, shared by every
	// worker). With it the agent also sends its conversation to the model
	// by reference. Nil keeps everything inline.
	Messages llm.MessageStore
	// InlineLimit is the largest result kept inline; 0 means
	// [DefaultInlineLimit].
	InlineLimit int
	// Lease is the idem lease of at-most-once calls (idem.WithLease): how
	// long a call whose worker died blocks its retry. 0 means idem's
	// default, the activity's HeartbeatTimeout (see [ToolActivityOptions]).
	Lease time.Duration
	// TTL is how long calls are remembered in Store (idem.WithTTL); 0 means
	// idem.DefaultTTL. Make it longer than an agent can run.
	TTL time.Duration
	// Now is the clock that approval expiry is checked against; nil means
	// time.Now.
	Now func() time.Time
}

// Tools is the worker side of the package: the tools an agent may call,
// their activities and the review workflows. Build it with [NewTools] and
// register it on every worker of the agent's task queue with
// [Tools.Register]. It is safe for concurrent use.
type Tools struct {
	cfg    ToolsConfig
	byName map[string]*entry
	order  []string
}

type entry struct {
	tools  *Tools
	tool   Tool
	schema *jsonschema.Resolved
	once   func(context.Context, CallInput) (CallOutput, error)
	undo   func(context.Context, UndoInput) (struct{}, error)
}

// Catalog is the answer of [ActivityListTools]: the tools in registration
// order and whether results and messages go by reference.
type Catalog struct {
	Tools []Spec
	// ByRef is true when the worker has a message store: the agent then
	// keeps its conversation by reference (llm.Request.StoreMessages), so
	// the workers' llm.Config.Messages must be the same store.
	ByRef bool `json:",omitempty"`
}

// NewTools validates cfg and tools and returns the registry. Every problem
// is reported, joined: a Tool built wrong, two tools with one name, a
// policy that is neither read-only nor side-effecting, a side-effecting,
// approval or compensable tool without cfg.Store, a schema that does not
// compile.
func NewTools(cfg ToolsConfig, tools ...Tool) (*Tools, error) {
	if cfg.InlineLimit <= 0 {
		cfg.InlineLimit = DefaultInlineLimit
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &Tools{cfg: cfg, byName: make(map[string]*entry, len(tools))}
	var errs []error
	for _, tl := range tools {
		name := tl.spec.Name
		if tl.err != nil {
			errs = append(errs, tl.err)
			continue
		}
		if _, dup := t.byName[name]; dup {
			errs = append(errs, fmt.Errorf("agent: two tools are named %q: rename one", name))
			continue
		}
		p := tl.spec.Policy
		switch {
		case p.ReadOnly && (p.Idempotent || p.SideEffect || p.Approval || p.Compensable):
			errs = append(errs, fmt.Errorf("agent: tool %q: policy %s: a read-only tool has no effect to repeat, approve or undo", name, p))
			continue
		case !p.ReadOnly && !p.Idempotent && !p.SideEffect && !p.Approval:
			errs = append(errs, fmt.Errorf("agent: tool %q: no policy: use agent.ReadOnly, agent.Idempotent, agent.SideEffect or agent.NeedsApproval", name))
			continue
		case (p.AtMostOnce() || p.Compensable) && cfg.Store == nil:
			errs = append(errs, fmt.Errorf("agent: tool %q: policy %s needs ToolsConfig.Store (an idem store every worker shares) so each call runs at most once", name, p))
			continue
		}
		tl.spec.Policy = p.normalized()
		schema, err := compileSchema(tl.spec.Parameters)
		if err != nil {
			errs = append(errs, fmt.Errorf("agent: tool %q: its parameter schema does not compile: %w", name, err))
			continue
		}
		e := &entry{tools: t, tool: tl, schema: schema}
		if cfg.Store != nil {
			opts := []idem.Option{idem.WithKey(func(_ context.Context, in CallInput) (string, error) { return in.Key, nil })}
			opts = append(opts, cfg.idemOptions()...)
			if tl.reconcile != nil {
				opts = append(opts, idem.WithReconcile(e.reconcile))
			}
			e.once = idem.Wrap(cfg.Store, e.body, opts...)
			if tl.undo != nil {
				e.undo = idem.Wrap(cfg.Store, e.runUndo, append([]idem.Option{idem.WithKey(func(_ context.Context, in UndoInput) (string, error) {
					return "undo/" + in.Key, nil
				})}, cfg.idemOptions()...)...)
			}
		}
		t.byName[name] = e
		t.order = append(t.order, name)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

func (c ToolsConfig) idemOptions() []idem.Option {
	var o []idem.Option
	if c.Lease > 0 {
		o = append(o, idem.WithLease(c.Lease))
	}
	if c.TTL > 0 {
		o = append(o, idem.WithTTL(c.TTL))
	}
	return o
}

// Specs returns the tools' specs in registration order.
func (t *Tools) Specs() []Spec {
	out := make([]Spec, len(t.order))
	for i, n := range t.order {
		out[i] = t.byName[n].tool.spec
	}
	return out
}

// Register registers the tools' activities ([Tools.RegisterActivities]) and
// the review workflows ([RegisterWorkflows]). Register the agent's own
// workflow (the one calling [Run]) yourself.
func (t *Tools) Register(r worker.Registry) {
	t.RegisterActivities(r)
	RegisterWorkflows(r)
}

// RegisterActivities registers [ActivityListTools], [ActivityCheck], one
// activity per tool ([ToolActivity]) and one per undo ([UndoActivity]).
func (t *Tools) RegisterActivities(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(t.ListTools, activity.RegisterOptions{Name: ActivityListTools})
	r.RegisterActivityWithOptions(t.Check, activity.RegisterOptions{Name: ActivityCheck})
	for _, n := range t.order {
		e := t.byName[n]
		r.RegisterActivityWithOptions(e.activity, activity.RegisterOptions{Name: ToolActivity(n)})
		if e.undo != nil {
			r.RegisterActivityWithOptions(e.undoActivity, activity.RegisterOptions{Name: UndoActivity(n)})
		}
	}
}

// RegisterWorkflows registers the review workflows [WorkflowApproval] and
// [WorkflowBudgetReview] (also on a replayer).
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(ApprovalWorkflow, workflowOptions(WorkflowApproval))
	r.RegisterWorkflowWithOptions(BudgetReviewWorkflow, workflowOptions(WorkflowBudgetReview))
}

// ListTools is the [ActivityListTools] activity.
func (t *Tools) ListTools(context.Context) (Catalog, error) {
	return Catalog{Tools: t.Specs(), ByRef: t.cfg.Messages != nil}, nil
}

// CheckInput is the input of [ActivityCheck].
type CheckInput struct {
	// Tool names the tool.
	Tool string
	// Arguments is the call's JSON object.
	Arguments string
	// Patch, when set, is a JSON object whose top-level fields replace or
	// add to Arguments' (a reviewer's edit).
	Patch string `json:",omitempty"`
}

// CheckOutput is the result of [ActivityCheck].
type CheckOutput struct {
	// Arguments are the canonical arguments ([Canonical]).
	Arguments json.RawMessage
	// Hash is [CallHash] of the tool and Arguments.
	Hash string
}

// Check is the [ActivityCheck] activity: it validates the arguments (with
// Patch applied) against the tool's schema and returns them canonical with
// their hash, or a non-retryable [ErrTypeUnknownTool] or
// [ErrTypeInvalidArguments] error.
func (t *Tools) Check(_ context.Context, in CheckInput) (CheckOutput, error) {
	e, err := t.lookup(in.Tool)
	if err != nil {
		return CheckOutput{}, err
	}
	args := in.Arguments
	if strings.TrimSpace(in.Patch) != "" {
		patched, err := Patch(in.Arguments, in.Patch)
		if err != nil {
			return CheckOutput{}, nonRetryable(ErrTypeInvalidArguments, "agent: tool %q: %v; send the changed fields as a JSON object, for example {\"amount_cents\": 2500}", in.Tool, err)
		}
		args = string(patched)
	}
	canon, err := e.check(args)
	if err != nil {
		return CheckOutput{}, err
	}
	return CheckOutput{Arguments: canon, Hash: CallHash(in.Tool, canon)}, nil
}

func (t *Tools) lookup(name string) (*entry, error) {
	e, ok := t.byName[name]
	if !ok {
		return nil, nonRetryable(ErrTypeUnknownTool, "agent: no tool %q on this worker (tools: %s): register it with agent.NewTools, or call one of those", name, strings.Join(t.order, ", "))
	}
	return e, nil
}

// compileSchema resolves a tool's parameter schema; nil means any object.
func compileSchema(raw json.RawMessage) (*jsonschema.Resolved, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return s.Resolve(nil)
}

// check validates args against the tool's schema and returns them canonical.
func (e *entry) check(args string) (json.RawMessage, error) {
	name := e.tool.spec.Name
	canon, err := Canonical(args)
	if err != nil {
		return nil, nonRetryable(ErrTypeInvalidArguments, "agent: tool %q: %v; call it again with a JSON object that matches its schema", name, err)
	}
	if e.schema != nil {
		var v any
		if err := json.Unmarshal(canon, &v); err != nil {
			return nil, nonRetryable(ErrTypeInvalidArguments, "agent: tool %q: %v", name, err)
		}
		if err := e.schema.Validate(v); err != nil {
			return nil, nonRetryable(ErrTypeInvalidArguments, "agent: tool %q: the arguments do not match its schema: %v; call it again with arguments that match", name, err)
		}
	}
	return canon, nil
}
