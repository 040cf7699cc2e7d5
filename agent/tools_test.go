package agent

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// appError asserts err is a top-level ApplicationError (so Temporal keeps
// its retry semantics) and returns it.
func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	ae, ok := err.(*temporal.ApplicationError)
	require.True(t, ok, "want an unwrapped *temporal.ApplicationError, got %T: %v", err, err)
	return ae
}

func TestNewToolsRefusesBadTools(t *testing.T) {
	s := newShop()
	type notStruct = string
	cases := []struct {
		name  string
		cfg   ToolsConfig
		tools []Tool
		want  string
	}{
		{"no policy", ToolsConfig{}, []Tool{NewTool("a", "", s.lookup, Policy{})}, "no policy"},
		{"read-only with undo", ToolsConfig{}, []Tool{NewTool("a", "", s.refund, ReadOnly, WithUndo(s.cancelRefund))}, "read-only tool has no effect"},
		{"side effect without store", ToolsConfig{}, []Tool{NewTool("a", "", s.email, SideEffect)}, "needs ToolsConfig.Store"},
		{"duplicate", ToolsConfig{}, []Tool{NewTool("a", "", s.lookup, ReadOnly), NewTool("a", "", s.lookup, ReadOnly)}, "two tools are named"},
		{"bad name", ToolsConfig{}, []Tool{NewTool("a b", "", s.lookup, ReadOnly)}, "tool name"},
		{"arguments not a struct", ToolsConfig{}, []Tool{NewTool("a", "", func(context.Context, notStruct) (string, error) { return "", nil }, ReadOnly)}, "not a struct"},
		{"undo of other types", ToolsConfig{Store: idem.NewMemoryStore()}, []Tool{NewTool("a", "", s.email, SideEffect, WithUndo(s.cancelRefund))}, "WithUndo"},
		{"nil function", ToolsConfig{}, []Tool{RawTool(llm.Tool{Name: "a"}, ReadOnly, nil)}, "nil function"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewTools(c.cfg, c.tools...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := NewTools(ToolsConfig{}, NewTool("a", "", s.lookup, Policy{}), NewTool("b", "", s.email, SideEffect))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"a"`, "every problem is reported")
	assert.Contains(t, err.Error(), `"b"`)
}

func TestCheckCanonicalizesAndHashes(t *testing.T) {
	tools := newTestTools(t, newShop(), ToolsConfig{})
	ctx := context.Background()
	a, err := tools.Check(ctx, CheckInput{Tool: "issue_refund", Arguments: `{"reason":"broken", "order_id":"A-1", "amount_cents": 4999}`})
	require.NoError(t, err)
	assert.JSONEq(t, `{"amount_cents":4999,"order_id":"A-1","reason":"broken"}`, string(a.Arguments))
	canon := string(a.Arguments)
	assert.NotContains(t, canon, " ", "no insignificant space")
	assert.Less(t, strings.Index(canon, "amount_cents"), strings.Index(canon, "order_id"), "sorted keys")
	assert.Less(t, strings.Index(canon, "order_id"), strings.Index(canon, "reason"), "sorted keys")
	b, err := tools.Check(ctx, CheckInput{Tool: "issue_refund", Arguments: `{"amount_cents":4999,"order_id":"A-1","reason":"broken"}`})
	require.NoError(t, err)
	assert.Equal(t, a.Hash, b.Hash, "the same call hashes the same whatever its formatting")

	edited, err := tools.Check(ctx, CheckInput{Tool: "issue_refund", Arguments: string(a.Arguments), Patch: `{"amount_cents": 2500}`})
	require.NoError(t, err)
	assert.JSONEq(t, `{"amount_cents":2500,"order_id":"A-1","reason":"broken"}`, string(edited.Arguments))
	assert.NotEqual(t, a.Hash, edited.Hash)
	assert.Equal(t, CallHash("issue_refund", edited.Arguments), edited.Hash)

	for name, in := range map[string]CheckInput{
		"not JSON":           {Tool: "issue_refund", Arguments: `{"order_id":`},
		"an array":           {Tool: "issue_refund", Arguments: `[1]`},
		"wrong type":         {Tool: "issue_refund", Arguments: `{"order_id":"A","amount_cents":"lots","reason":"x"}`},
		"missing required":   {Tool: "issue_refund", Arguments: `{"order_id":"A"}`},
		"unknown field":      {Tool: "issue_refund", Arguments: `{"order_id":"A","amount_cents":1,"reason":"x","bonus":true}`},
		"patch not a object": {Tool: "issue_refund", Arguments: string(a.Arguments), Patch: `2500`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tools.Check(ctx, in)
			ae := appError(t, err)
			assert.Equal(t, ErrTypeInvalidArguments, ae.Type())
			assert.True(t, ae.NonRetryable())
		})
	}
	_, err = tools.Check(ctx, CheckInput{Tool: "nope", Arguments: `{}`})
	assert.Equal(t, ErrTypeUnknownTool, appError(t, err).Type())
	assert.Contains(t, err.Error(), "lookup_order, issue_refund, send_email")
}

func refundCall(args string) llm.ToolCall {
	return llm.ToolCall{ID: "call_1", Name: "issue_refund", Arguments: args}
}

// TestApprovalBindsTheCall: the worker runs an approval tool only with an
// approval whose hash is the call's and that has not expired.
func TestApprovalBindsTheCall(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newShop()
	tools := newTestTools(t, s, ToolsConfig{Now: func() time.Time { return now }})
	e := tools.byName["issue_refund"]
	ctx := context.Background()
	args := `{"amount_cents":4999,"order_id":"A-1","reason":"broken"}`
	checked, err := tools.Check(ctx, CheckInput{Tool: "issue_refund", Arguments: args})
	require.NoError(t, err)
	valid := &Approval{Hash: checked.Hash, By: "bob", ExpiresAt: now.Add(time.Minute)}

	cases := []struct {
		name     string
		in       CallInput
		wantType string
	}{
		{"no approval", CallInput{Call: refundCall(args), Key: "k1"}, ErrTypeNotApproved},
		{"other arguments", CallInput{Call: refundCall(`{"amount_cents":999999,"order_id":"A-1","reason":"broken"}`), Key: "k2", Approval: valid}, ErrTypeApprovalMismatch},
		{"other tool name in the hash", CallInput{Call: refundCall(args), Key: "k3", Approval: &Approval{Hash: CallHash("send_email", checked.Arguments), ExpiresAt: now.Add(time.Minute)}}, ErrTypeApprovalMismatch},
		{"expired", CallInput{Call: refundCall(args), Key: "k4", Approval: &Approval{Hash: checked.Hash, By: "bob", ExpiresAt: now}}, ErrTypeApprovalExpired},
		{"no key", CallInput{Call: refundCall(args), Approval: valid}, ErrTypeInvalidConfig},
		{"wrong activity", CallInput{Call: llm.ToolCall{ID: "c", Name: "send_email", Arguments: "{}"}, Key: "k5", Approval: valid}, ErrTypeUnknownTool},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.activity(ctx, c.in)
			ae := appError(t, err)
			assert.Equal(t, c.wantType, ae.Type(), ae.Error())
			assert.True(t, ae.NonRetryable())
		})
	}
	_, refunds, _ := s.counts()
	require.Zero(t, refunds, "no refused call ran")

	// A workflow cannot loosen the worker's policy: claiming read-only
	// changes nothing.
	_, err = e.activity(ctx, CallInput{Call: refundCall(args), Policy: ReadOnly, Key: "k6"})
	assert.Equal(t, ErrTypeNotApproved, appError(t, err).Type())

	// The approved call runs once per key, however often it is delivered.
	in := CallInput{Call: refundCall(` { "order_id":"A-1", "amount_cents":4999, "reason":"broken" } `), Key: "agent/s/call_1", Approval: valid}
	first, err := e.activity(ctx, in)
	require.NoError(t, err)
	again, err := e.activity(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, first, again, "the recorded result")
	_, refunds, _ = s.counts()
	assert.Equal(t, 1, refunds)
	assert.Equal(t, int64(4999), s.refundTotal())

	// The same key with other arguments is refused by idem before anything runs.
	other := in
	other.Call.Arguments = `{"amount_cents":1,"order_id":"A-1","reason":"broken"}`
	other.Approval = &Approval{Hash: CallHash("issue_refund", json.RawMessage(`{"amount_cents":1,"order_id":"A-1","reason":"broken"}`)), ExpiresAt: now.Add(time.Minute)}
	_, err = e.activity(ctx, other)
	assert.True(t, idem.IsKeyReused(err), "%v", err)
	_, refunds, _ = s.counts()
	assert.Equal(t, 1, refunds)
}

func TestToolErrors(t *testing.T) {
	s := newShop()
	tools := newTestTools(t, s, ToolsConfig{})
	ctx := context.Background()

	_, err := tools.byName["lookup_order"].activity(ctx, CallInput{Call: llm.ToolCall{ID: "c1", Name: "lookup_order", Arguments: `{"order_id":"missing"}`}})
	ae := appError(t, err)
	assert.Equal(t, ErrTypeToolError, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Message(), `order "missing" not found`)

	s.fail["lookup_order"] = errors.New("database is down")
	_, err = tools.byName["lookup_order"].activity(ctx, CallInput{Call: llm.ToolCall{ID: "c2", Name: "lookup_order", Arguments: `{"order_id":"A-1"}`}})
	ae = appError(t, err)
	assert.Equal(t, ErrTypeToolFailed, ae.Type())
	assert.False(t, ae.NonRetryable(), "a plain error is retried")
	assert.Contains(t, ae.Message(), "database is down")

	// A retryable failure of a side-effecting tool releases its claim: the
	// next attempt runs it.
	s.fail["send_email"] = errors.New("smtp timeout")
	in := CallInput{Call: llm.ToolCall{ID: "c3", Name: "send_email", Arguments: `{"email":"a@b.c","subject":"hi"}`}, Key: "agent/s/c3"}
	_, err = tools.byName["send_email"].activity(ctx, in)
	assert.True(t, IsToolFailed(err))
	delete(s.fail, "send_email")
	out, err := tools.byName["send_email"].activity(ctx, in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sent":true}`, out.Content)
	_, _, emails := s.counts()
	assert.Equal(t, 1, emails)

	_, err = tools.byName["send_email"].activity(ctx, CallInput{Call: llm.ToolCall{ID: "c4", Name: "send_email", Arguments: `{"email":5}`}, Key: "agent/s/c4"})
	assert.True(t, IsInvalidArguments(err))
}

func TestLongResultsGoByReference(t *testing.T) {
	msgs := &MemoryMessages{}
	long := strings.Repeat("x", 3000)
	tools, err := NewTools(ToolsConfig{Messages: msgs, InlineLimit: 100},
		NewTool("read", "", func(_ context.Context, in orderArgs) (string, error) { return long + in.OrderID, nil }, ReadOnly),
		NewTool("short", "", func(_ context.Context, in orderArgs) (string, error) { return "ok", nil }, ReadOnly))
	require.NoError(t, err)
	ctx := context.Background()
	out, err := tools.byName["read"].activity(ctx, CallInput{Call: llm.ToolCall{ID: "c1", Name: "read", Arguments: `{"order_id":"7"}`}})
	require.NoError(t, err)
	assert.Empty(t, out.Content, "not in history")
	assert.Equal(t, len(long)+3, out.Size, "the JSON string of 3001 characters")
	require.NotEmpty(t, out.Ref)
	m, err := llm.GetMessage(ctx, msgs, out.Ref)
	require.NoError(t, err)
	assert.Equal(t, llm.ToolResult("c1", `"`+long+`7"`), m)
	assert.Less(t, len(out.Excerpt), 300)

	out, err = tools.byName["short"].activity(ctx, CallInput{Call: llm.ToolCall{ID: "c2", Name: "short", Arguments: `{"order_id":"1"}`}})
	require.NoError(t, err)
	assert.Equal(t, `"ok"`, out.Content)
	assert.Empty(t, out.Ref)

	cat, err := tools.ListTools(ctx)
	require.NoError(t, err)
	assert.True(t, cat.ByRef)
	require.Len(t, cat.Tools, 2)
	assert.Equal(t, "read", cat.Tools[0].Name)
}

func TestUndoRunsOncePerCall(t *testing.T) {
	s := newShop()
	msgs := &MemoryMessages{}
	tools := newTestTools(t, s, ToolsConfig{Messages: msgs, InlineLimit: 5})
	ctx := context.Background()
	in := UndoInput{Call: refundCall(`{"amount_cents":4999,"order_id":"A-1","reason":"x"}`), Key: "agent/s/call_1"}
	ref, err := llm.PutMessage(ctx, msgs, llm.ToolResult("call_1", `{"refund_id":"R-9","amount_cents":4999}`))
	require.NoError(t, err)
	in.Output = CallOutput{Ref: ref}
	e := tools.byName["issue_refund"]
	require.NoError(t, e.undoActivity(ctx, in))
	require.NoError(t, e.undoActivity(ctx, in))
	assert.Equal(t, map[string]bool{"R-9": true}, s.undone, "the result was loaded by reference")
}

func TestPolicy(t *testing.T) {
	assert.Equal(t, "read-only", ReadOnly.String())
	assert.Equal(t, "side-effect+approval", NeedsApproval.String())
	assert.Equal(t, "none", Policy{}.String())
	p := ReadOnly.Tighten(Policy{Approval: true})
	assert.Equal(t, Policy{SideEffect: true, Approval: true}, p, "approval makes a read-only tool side-effecting")
	assert.Equal(t, SideEffect, SideEffect.Tighten(ReadOnly), "read-only cannot be granted")
	assert.Equal(t, SideEffect, Idempotent.Tighten(SideEffect))
	assert.True(t, NeedsApproval.AtMostOnce())
	assert.False(t, Idempotent.AtMostOnce())
}
