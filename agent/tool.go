package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/durable-llm/durable-llm/llm"
)

// Spec describes a tool to the model and to the loop: its name, description
// and argument schema (an [llm.Tool]) and its [Policy]. The worker's
// catalogue of specs reaches the workflow through [ActivityListTools].
type Spec struct {
	llm.Tool
	// Policy is how the loop treats the tool's calls.
	Policy Policy
}

// Tool is one tool on the worker: a typed Go function (or an MCP tool) with
// its spec, and optionally an undo and a reconcile hook. Build it with
// [NewTool] or [RawTool] and give it to [NewTools], which reports a Tool
// that was built wrong. The zero Tool is not usable.
type Tool struct {
	spec      Spec
	call      func(ctx context.Context, args json.RawMessage) (json.RawMessage, error)
	undo      func(ctx context.Context, args, result json.RawMessage) error
	reconcile func(ctx context.Context, key string, args json.RawMessage) (json.RawMessage, bool, error)
	err       error
}

// Spec returns the tool's spec.
func (t Tool) Spec() Spec { return t.spec }

// ToolOption adds an undo or a reconcile hook to a tool.
type ToolOption struct {
	undo, reconcile any
	in, out         reflect.Type
	what            string
}

// WithUndo makes a tool compensable: after a call succeeded, fn(in, out) is
// registered with saga and runs, as the activity [UndoActivity](name), if
// the agent later fails or is cancelled. Undos run at most once per call
// (idem, key "undo/" + [CallKey]), on a context cancellation cannot reach.
// In and Out must be the tool's.
func WithUndo[In, Out any](fn func(ctx context.Context, in In, out Out) error) ToolOption {
	return ToolOption{undo: fn, in: reflect.TypeFor[In](), out: reflect.TypeFor[Out](), what: "WithUndo"}
}

// WithReconcile sets the hook a side-effecting tool runs when a call's
// earlier attempt died after starting (its worker crashed): it asks the
// outside system whether the effect happened (a refund looked up by the
// key) and returns what it finds, found=false to run the call again. See
// idem.WithReconcile; [CallKey]'s key is the one the call ran under. In and
// Out must be the tool's.
func WithReconcile[In, Out any](fn func(ctx context.Context, key string, in In) (out Out, found bool, err error)) ToolOption {
	return ToolOption{reconcile: fn, in: reflect.TypeFor[In](), out: reflect.TypeFor[Out](), what: "WithReconcile"}
}

// NewTool returns the tool called name: the model sees description and the
// JSON schema of In (llm.ToolFor; In must be a struct), and a call decodes
// its arguments into In, runs fn and sends Out's JSON back. policy must be
// [ReadOnly], [Idempotent], [SideEffect] or [NeedsApproval] (or a Policy
// with those flags); [WithUndo] makes the tool compensable.
//
// fn runs in activity code. Return [ToolError] for a refusal the model
// should read; any other error is retried under the tool's retry policy.
func NewTool[In, Out any](name, description string, fn func(ctx context.Context, in In) (Out, error), policy Policy, opts ...ToolOption) Tool {
	spec, err := llm.ToolFor[In](name, description)
	if err != nil {
		return Tool{spec: Spec{Tool: llm.Tool{Name: name}}, err: err}
	}
	return build(Spec{Tool: spec, Policy: policy}, fn, opts)
}

// RawTool returns a tool whose arguments and result stay JSON: for tools
// whose schema is not a Go type (an MCP server's). spec.Parameters must be
// an object schema; fn's result must be JSON. Options take
// json.RawMessage for In and Out.
func RawTool(spec llm.Tool, policy Policy, fn func(ctx context.Context, args json.RawMessage) (json.RawMessage, error), opts ...ToolOption) Tool {
	return build(Spec{Tool: spec, Policy: policy}, fn, opts)
}

func build[In, Out any](spec Spec, fn func(context.Context, In) (Out, error), opts []ToolOption) Tool {
	t := Tool{spec: spec}
	if fn == nil {
		t.err = fmt.Errorf("agent: tool %q: nil function", spec.Name)
		return t
	}
	t.call = func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		in, err := decodeArgs[In](spec.Name, args)
		if err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return encodeResult(spec.Name, out)
	}
	for _, o := range opts {
		if o.in != reflect.TypeFor[In]() || o.out != reflect.TypeFor[Out]() {
			t.err = fmt.Errorf("agent: tool %q: %s[%s, %s] given to a tool from %s to %s",
				spec.Name, o.what, o.in, o.out, reflect.TypeFor[In](), reflect.TypeFor[Out]())
			return t
		}
		if u, ok := o.undo.(func(context.Context, In, Out) error); ok && u != nil {
			t.spec.Policy.Compensable = true
			t.undo = func(ctx context.Context, args, result json.RawMessage) error {
				in, err := decodeArgs[In](spec.Name, args)
				if err != nil {
					return err
				}
				var out Out
				if err := json.Unmarshal(result, &out); err != nil {
					return nonRetryable(ErrTypeInvalidArguments, "agent: tool %q: the recorded result does not decode for the undo: %v", spec.Name, err)
				}
				return u(ctx, in, out)
			}
		}
		if r, ok := o.reconcile.(func(context.Context, string, In) (Out, bool, error)); ok && r != nil {
			t.reconcile = func(ctx context.Context, key string, args json.RawMessage) (json.RawMessage, bool, error) {
				in, err := decodeArgs[In](spec.Name, args)
				if err != nil {
					return nil, false, err
				}
				out, found, err := r(ctx, key, in)
				if err != nil || !found {
					return nil, found, err
				}
				b, err := encodeResult(spec.Name, out)
				return b, err == nil, err
			}
		}
	}
	return t
}

func decodeArgs[In any](tool string, args json.RawMessage) (In, error) {
	var in In
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if err := json.Unmarshal(args, &in); err != nil {
		return in, nonRetryable(ErrTypeInvalidArguments, "agent: tool %q: the arguments do not decode: %v; call it again with arguments that match its schema", tool, err)
	}
	return in, nil
}

func encodeResult(tool string, out any) (json.RawMessage, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return nil, nonRetryable(ErrTypeToolError, "agent: tool %q: its result does not encode as JSON: %v", tool, err)
	}
	return b, nil
}
