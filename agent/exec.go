package agent

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/saga"
)

// ToolActivityOptions is the preset of a tool's activity under policy p,
// with summary as the Web UI's text ("tool: lookup_order"):
//
//   - read-only: 1 min per attempt, 10 min in all, 5 attempts from 1 s
//     backoff up to 30 s;
//   - at-most-once (side effect, approval): 2 min per attempt, 1 h in all,
//     a 30 s heartbeat timeout, 10 attempts from 1 s up to 1 min. idem
//     heartbeats for the tool and takes the heartbeat timeout as its lease,
//     so a worker that dies mid-call is noticed in 30 s and the retry takes
//     the call over (reconciling first, see [WithReconcile]).
//
// Both list [NonRetryableErrorTypes] and idem's non-retryable types.
func ToolActivityOptions(p Policy, summary string) workflow.ActivityOptions {
	nonRetryable := append(NonRetryableErrorTypes(), idem.ErrTypeKeyReused, idem.ErrTypeInvalid, idem.ErrTypeUnreadable)
	if p.AtMostOnce() {
		return workflow.ActivityOptions{
			StartToCloseTimeout:    2 * time.Minute,
			ScheduleToCloseTimeout: time.Hour,
			HeartbeatTimeout:       30 * time.Second,
			RetryPolicy:            durable.RetryPolicy(time.Second, time.Minute, 10, nonRetryable...),
			Summary:                summary,
		}
	}
	return workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            durable.RetryPolicy(time.Second, 30*time.Second, 5, nonRetryable...),
		Summary:                summary,
	}
}

func (r *run) toolOptions(sp Spec) workflow.ActivityOptions {
	summary := "tool: " + sp.Name
	if r.cfg.ToolOptions != nil {
		return durable.WithSummary(*r.cfg.ToolOptions, summary)
	}
	return ToolActivityOptions(sp.Policy, summary)
}

// calls runs the calls of one answer and appends their results, in the
// calls' order, to the conversation. Read-only calls start at once and run
// in parallel; the others run one after the other, each approved first
// when its tool needs it.
func (r *run) calls(ctx workflow.Context, calls []llm.ToolCall) error {
	r.phase = PhaseCalling
	r.current = make([]CallRecord, len(calls))
	msgs := make([]llm.Message, len(calls))
	done := make([]bool, len(calls))
	futures := make(map[int]durable.Future[CallOutput], len(calls))
	inputs := make([]CallInput, len(calls))
	seen := make(map[string]bool, len(calls))
	for i, c := range calls {
		r.s.CallCount++
		r.current[i] = CallRecord{Seq: r.s.CallCount, Turn: r.s.Turns, ID: c.ID, Tool: c.Name, Arguments: excerpt(c.Arguments), Outcome: OutcomePending}
		sp, ok := r.specs[c.Name]
		switch {
		case c.ID == "" || seen[c.ID]:
			// The call id keys the call's effect and review: without a
			// unique one the call cannot run safely.
			msgs[i], done[i] = r.feedback(i, OutcomeInvalid, fmt.Sprintf("error: call %d of your answer has an empty or repeated id %q; it was not run", i+1, c.ID)), true
			continue
		case !ok:
			msgs[i], done[i] = r.feedback(i, OutcomeUnknownTool, fmt.Sprintf("error: there is no tool %q; call one of the tools you were given", c.Name)), true
			continue
		}
		seen[c.ID] = true
		r.current[i].Policy = sp.Policy
		if sp.Policy.ReadOnly {
			inputs[i] = CallInput{Call: c, Policy: sp.Policy}
			futures[i] = durable.Start[CallOutput](ctx, ToolActivity(c.Name), inputs[i], r.toolOptions(sp))
			done[i] = true
		}
	}
	for i, c := range calls {
		if done[i] {
			continue
		}
		m, err := r.runOne(ctx, i, r.specs[c.Name], c)
		if err != nil {
			return err
		}
		msgs[i] = m
	}
	for i := range calls {
		if f, ok := futures[i]; ok {
			out, err := f.Get(ctx)
			m, err := r.result(ctx, i, r.specs[calls[i].Name], inputs[i], out, err)
			if err != nil {
				return err
			}
			msgs[i] = m
		}
	}
	r.s.Messages = append(r.s.Messages, msgs...)
	for _, m := range msgs {
		r.s.PendingChars += len(m.Content)
	}
	r.s.Calls = append(r.s.Calls, r.current...)
	if over := len(r.s.Calls) - r.cfg.AuditLimit; over > 0 {
		r.s.Calls = append(r.s.Calls[:0:0], r.s.Calls[over:]...)
	}
	r.current = nil
	return nil
}

// runOne approves (when needed) and runs one call that is not read-only.
func (r *run) runOne(ctx workflow.Context, i int, sp Spec, call llm.ToolCall) (llm.Message, error) {
	rec := &r.current[i]
	var approval *Approval
	if sp.Policy.Approval {
		approved, a, msg, err := r.approve(ctx, i, sp, call)
		if err != nil || a == nil {
			return msg, err
		}
		call, approval = approved, a
		rec.Arguments, rec.Approval = excerpt(call.Arguments), a
		if !workflow.Now(ctx).Before(a.ExpiresAt) {
			return r.feedback(i, OutcomeExpired, fmt.Sprintf("error: the approval by %s expired at %s before the call could run; it was not run", a.By, a.ExpiresAt.UTC().Format(time.RFC3339))), nil
		}
		r.phase = PhaseCalling
	}
	in := CallInput{Call: call, Policy: sp.Policy, Approval: approval}
	if sp.Policy.AtMostOnce() {
		in.Key = CallKey(r.s.Session, call.ID)
		rec.Key = in.Key
	}
	out, err := durable.Execute[CallOutput](ctx, ToolActivity(call.Name), in, r.toolOptions(sp))
	return r.result(ctx, i, sp, in, out, err)
}

// result turns a tool activity's outcome into the message for the model,
// records it, and registers the undo of a compensable call.
func (r *run) result(ctx workflow.Context, i int, sp Spec, in CallInput, out CallOutput, err error) (llm.Message, error) {
	if err != nil {
		if temporal.IsCanceledError(err) || ctx.Err() != nil || r.cfg.FailOnToolError {
			r.current[i].Outcome, r.current[i].Detail = OutcomeError, excerpt(err.Error())
			return llm.Message{}, err
		}
		typ, msg := errorText(err)
		outcome := OutcomeError
		switch typ {
		case ErrTypeInvalidArguments:
			outcome = OutcomeInvalid
		case ErrTypeUnknownTool:
			outcome = OutcomeUnknownTool
		case ErrTypeApprovalExpired:
			outcome = OutcomeExpired
		}
		return r.feedback(i, outcome, "error: "+msg), nil
	}
	rec := &r.current[i]
	rec.Outcome, rec.Detail, rec.Ref = OutcomeOK, out.Excerpt, out.Ref
	if out.Ref != "" { // inline results are counted with the messages
		r.s.PendingChars += out.Size
	}
	if sp.Policy.Compensable {
		u := UndoRecord{Tool: sp.Name, Input: UndoInput{Call: in.Call, Output: out, Key: CallKey(r.s.Session, in.Call.ID)}}
		r.s.Undo = append(r.s.Undo, u)
		r.saga.Add(undoStep(in.Call), saga.Activity(UndoActivity(u.Tool), u.Input))
	}
	if out.Ref != "" {
		return llm.Message{Role: llm.RoleTool, ToolCallID: in.Call.ID, Ref: out.Ref}, nil
	}
	return llm.ToolResult(in.Call.ID, out.Content), nil
}

// feedback records outcome for call i and returns the tool message that
// tells the model.
func (r *run) feedback(i int, outcome Outcome, text string) llm.Message {
	r.current[i].Outcome, r.current[i].Detail = outcome, excerpt(text)
	return llm.ToolResult(r.current[i].ID, text)
}

// approve opens the review of call i and waits for its decision. It
// returns the approved call and its approval, or (nil approval) the
// message that tells the model why the call did not run.
func (r *run) approve(ctx workflow.Context, i int, sp Spec, call llm.ToolCall) (llm.ToolCall, *Approval, llm.Message, error) {
	checked, err := durable.Execute[CheckOutput](ctx, ActivityCheck, CheckInput{Tool: call.Name, Arguments: call.Arguments}, durable.Quick("agent: check "+call.Name))
	if err != nil {
		if IsInvalidArguments(err) || IsUnknownTool(err) {
			_, msg := errorText(err)
			outcome := OutcomeInvalid
			if IsUnknownTool(err) {
				outcome = OutcomeUnknownTool
			}
			return call, nil, r.feedback(i, outcome, "error: "+msg), nil
		}
		return call, nil, llm.Message{}, err
	}
	agentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	id := ApprovalID(agentID, call.ID)
	r.current[i].Review = id
	r.phase = PhaseAwaitingReview
	r.reviews = append(r.reviews, id)
	defer func() { r.reviews = removeString(r.reviews, id) }()

	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:    id,
		StaticSummary: fmt.Sprintf("approve %s for agent %s", call.Name, agentID),
	})
	req := ApprovalRequest{
		Proposal: Proposal{Agent: agentID, CallID: call.ID, Tool: call.Name, Description: sp.Description, Arguments: checked.Arguments, Hash: checked.Hash},
		Review:   r.cfg.Approval,
	}
	var res ApprovalResult
	if err := workflow.ExecuteChildWorkflow(cctx, WorkflowApproval, req).Get(ctx, &res); err != nil {
		return call, nil, llm.Message{}, err
	}
	if res.Approval != nil {
		call.Arguments = string(res.Proposal.Arguments)
		return call, res.Approval, llm.Message{}, nil
	}
	switch res.Phase {
	case hitl.PhaseTimedOut:
		return call, nil, r.feedback(i, OutcomeTimedOut, fmt.Sprintf("error: no reviewer decided within %s; the call was not run", r.cfg.Approval.Deadline)), nil
	case hitl.PhaseRejected:
		return call, nil, r.feedback(i, OutcomeDenied, fmt.Sprintf("denied by %s: %s. The call was not run.", res.By, res.Reason)), nil
	}
	return call, nil, r.feedback(i, OutcomeDenied, fmt.Sprintf("error: the review ended %s (%s); the call was not run", res.Phase, res.Reason)), nil
}

func removeString(s []string, v string) []string {
	out := s[:0:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
