package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/llm"
)

// excerptRunes bounds the excerpts of results and arguments kept in the
// status.
const excerptRunes = 200

// CallInput is the input of a tool's activity ([ToolActivity]).
type CallInput struct {
	// Call is the model's call: id, tool name and arguments (for an
	// approved call, the approved arguments).
	Call llm.ToolCall
	// Policy is the workflow's view of the tool's policy; the worker
	// applies its own declaration tightened by it ([Policy.Tighten]).
	Policy Policy
	// Key is the idempotency key of at-most-once calls ([CallKey]).
	Key string `json:",omitempty"`
	// Approval is the approval the call runs under, for tools that need one.
	Approval *Approval `json:",omitempty"`
}

// CallOutput is the result of a tool's activity: the tool's JSON result
// inline, or, when longer than [ToolsConfig.InlineLimit] and the worker has
// a message store, the reference of the tool message holding it.
type CallOutput struct {
	// Content is the result as sent to the model; empty when Ref is set.
	Content string `json:",omitempty"`
	// Ref is the llm reference of the tool message ([llm.ToolResult]).
	Ref string `json:",omitempty"`
	// Size is the result's length in bytes.
	Size int
	// Excerpt is the head of the result, for the status.
	Excerpt string `json:",omitempty"`
}

// Approval is a reviewer's approval of one exact call. It binds Hash
// ([CallHash] of the tool and canonical arguments) and holds until
// ExpiresAt: the worker refuses a call with other arguments
// ([ErrTypeApprovalMismatch]) or that starts later
// ([ErrTypeApprovalExpired]).
type Approval struct {
	// Hash is the approved call's [CallHash].
	Hash string `json:"hash"`
	// By is the reviewer who gave the (last) approval.
	By string `json:"by"`
	// At is when the review closed approved (workflow time).
	At time.Time `json:"at"`
	// ExpiresAt is when the approval stops allowing the call to start.
	ExpiresAt time.Time `json:"expires_at"`
	// Review is the workflow ID of the review ([ApprovalID]).
	Review string `json:"review"`
	// Version is the approved version of the call (above 1 after edits).
	Version int `json:"version"`
	// Edited reports whether a reviewer changed the arguments.
	Edited bool `json:"edited,omitempty"`
}

// UndoInput is the input of a tool's undo activity ([UndoActivity]).
type UndoInput struct {
	// Call is the call to undo, with the arguments it ran with.
	Call llm.ToolCall
	// Output is what the call returned.
	Output CallOutput
	// Key is the call's idempotency key; the undo runs under "undo/"+Key.
	Key string
}

// activity is the tool's activity: the body, at most once when the policy
// says so, then a long result moved to the message store.
func (e *entry) activity(ctx context.Context, in CallInput) (CallOutput, error) {
	name := e.tool.spec.Name
	if in.Call.Name != name {
		return CallOutput{}, nonRetryable(ErrTypeUnknownTool, "agent: the activity of tool %q got a call of %q: schedule agent.ToolActivity(call.Name)", name, in.Call.Name)
	}
	pol := e.tool.spec.Policy.Tighten(in.Policy)
	var (
		out CallOutput
		err error
	)
	if pol.AtMostOnce() {
		switch {
		case e.once == nil:
			return CallOutput{}, configError("tool %q: the workflow made it %s, which needs ToolsConfig.Store on the worker", name, pol)
		case in.Key == "":
			return CallOutput{}, configError("tool %q: an at-most-once call needs CallInput.Key (agent.CallKey)", name)
		}
		out, err = e.once(ctx, in)
	} else {
		out, err = e.body(ctx, in)
	}
	if err != nil {
		return CallOutput{}, err
	}
	return e.tools.byRef(ctx, in.Call.ID, out)
}

// body checks the call (arguments, approval) and runs the tool once.
func (e *entry) body(ctx context.Context, in CallInput) (CallOutput, error) {
	args, err := e.verified(in)
	if err != nil {
		return CallOutput{}, err
	}
	res, err := e.tool.call(ctx, args)
	if err != nil {
		return CallOutput{}, toolFailure(e.tool.spec.Name, err)
	}
	return CallOutput{Content: string(res), Size: len(res), Excerpt: excerpt(string(res))}, nil
}

// verified returns the call's canonical arguments once they match the
// schema and, for calls that need it, the approval.
func (e *entry) verified(in CallInput) (json.RawMessage, error) {
	name := e.tool.spec.Name
	args, err := e.check(in.Call.Arguments)
	if err != nil {
		return nil, err
	}
	pol := e.tool.spec.Policy.Tighten(in.Policy)
	a := in.Approval
	switch {
	case a == nil && pol.Approval:
		return nil, nonRetryable(ErrTypeNotApproved, "agent: tool %q needs an approval for each call and call %s has none: the worker does not run it", name, in.Call.ID)
	case a == nil:
		return args, nil
	case a.Hash != CallHash(name, args):
		return nil, nonRetryable(ErrTypeApprovalMismatch, "agent: tool %q: call %s does not match its approval (approved %.12s, this call %.12s): an approval runs only the exact call it was given for",
			name, in.Call.ID, a.Hash, CallHash(name, args))
	case !e.tools.cfg.Now().Before(a.ExpiresAt):
		return nil, nonRetryable(ErrTypeApprovalExpired, "agent: tool %q: the approval of call %s by %s expired at %s before the call started: ask for a new approval",
			name, in.Call.ID, a.By, a.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return args, nil
}

// reconcile is the idem reconcile hook of a tool that has one.
func (e *entry) reconcile(ctx context.Context, key string, in CallInput) (CallOutput, bool, error) {
	args, err := e.verified(in)
	if err != nil {
		return CallOutput{}, false, err
	}
	res, found, err := e.tool.reconcile(ctx, key, args)
	if err != nil || !found {
		return CallOutput{}, false, toolFailureOrNil(e.tool.spec.Name, err)
	}
	return CallOutput{Content: string(res), Size: len(res), Excerpt: excerpt(string(res))}, true, nil
}

// byRef moves a long result to the message store.
func (t *Tools) byRef(ctx context.Context, callID string, out CallOutput) (CallOutput, error) {
	if t.cfg.Messages == nil || out.Ref != "" || len(out.Content) <= t.cfg.InlineLimit {
		return out, nil
	}
	ref, err := llm.PutMessage(ctx, t.cfg.Messages, llm.ToolResult(callID, out.Content))
	if err != nil {
		// Retryable: an at-most-once call's result is recorded in idem, so
		// the retry stores it without running the tool again.
		return CallOutput{}, temporal.NewApplicationError(fmt.Sprintf("agent: store the result of call %s: %v", callID, err), ErrTypeToolFailed)
	}
	out.Ref, out.Content = ref, ""
	return out, nil
}

// content returns the result of out, loading it when it is by reference.
func (t *Tools) content(ctx context.Context, out CallOutput) (string, error) {
	if out.Ref == "" {
		return out.Content, nil
	}
	if t.cfg.Messages == nil {
		return "", configError("a result is stored by reference but this worker has no ToolsConfig.Messages")
	}
	m, err := llm.GetMessage(ctx, t.cfg.Messages, out.Ref)
	if err != nil {
		return "", temporal.NewApplicationError(fmt.Sprintf("agent: load result %s: %v", out.Ref, err), ErrTypeToolFailed)
	}
	return m.Content, nil
}

func (e *entry) undoActivity(ctx context.Context, in UndoInput) error {
	_, err := e.undo(ctx, in)
	return err
}

func (e *entry) runUndo(ctx context.Context, in UndoInput) (struct{}, error) {
	name := e.tool.spec.Name
	args, err := Canonical(in.Call.Arguments)
	if err != nil {
		return struct{}{}, nonRetryable(ErrTypeInvalidArguments, "agent: undo of tool %q: %v", name, err)
	}
	res, err := e.tools.content(ctx, in.Output)
	if err != nil {
		return struct{}{}, err
	}
	if err := e.tool.undo(ctx, args, json.RawMessage(res)); err != nil {
		return struct{}{}, toolFailure(name, err)
	}
	return struct{}{}, nil
}

// toolFailure keeps an ApplicationError (its retry semantics) and a
// cancellation as they are, and makes any other error a retryable
// [ErrTypeToolFailed].
func toolFailure(tool string, err error) error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return temporal.NewApplicationError(fmt.Sprintf("agent: tool %q: %v", tool, err), ErrTypeToolFailed)
}

func toolFailureOrNil(tool string, err error) error {
	if err == nil {
		return nil
	}
	return toolFailure(tool, err)
}

func excerpt(s string) string {
	if utf8.RuneCountInString(s) <= excerptRunes {
		return s
	}
	r := []rune(s)
	return string(r[:excerptRunes]) + "…"
}
