package agent

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/llm"
)

// SummaryPrefix starts the assistant message that replaces compacted turns.
const SummaryPrefix = "Summary of the earlier conversation (compacted):"

// cut returns where the kept tail starts: at most Compaction.Keep messages
// from the end, never inside a call and its results (the tail starts at a
// user or assistant message), and after the pinned prefix.
func (r *run) cut() int {
	msgs := r.s.Messages
	c := max(len(msgs)-r.cfg.Compaction.Keep, r.s.Pinned)
	for c > r.s.Pinned && c < len(msgs) && msgs[c].Role == llm.RoleTool {
		c--
	}
	return c
}

// compactable reports whether there is anything between the pinned prefix
// and the kept tail to summarise.
func (r *run) compactable() bool { return r.cut() > r.s.Pinned+1 }

// compact summarises the messages between the pinned prefix and the kept
// tail with one model call (recorded like any turn, charged to the budget)
// and replaces them with an assistant message: the summary and the list of
// calls made in that part ("called <tool> ..."), so that no model repeats
// them.
func (r *run) compact(ctx workflow.Context) error {
	r.phase = PhaseCompacting
	c := r.cut()
	middle := r.s.Messages[r.s.Pinned:c]
	msgs := append(append([]llm.Message(nil), middle...), llm.User(r.cfg.Compaction.Prompt))
	label := fmt.Sprintf("agent compaction %d", r.s.Compactions+1)
	resp, err := llm.Complete(ctx, r.request(label, msgs, nil, r.cfg.Compaction.MaxTokens), r.llmOptions()...)
	if err != nil {
		if llm.IsContextLengthExceeded(err) {
			return nonRetryable(ErrTypeContextTooLong, "agent: even the %d messages to summarise are too long for the model (%v): lower Compaction.Keep or use a model with a longer context", len(middle), err)
		}
		return err
	}
	if err := r.s.Budget.Add(ctx, resp); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(SummaryPrefix)
	b.WriteString("\n\n")
	b.WriteString(strings.TrimSpace(resp.Text))
	if calls := r.callsIn(middle); len(calls) > 0 {
		b.WriteString("\n\nTool calls in that part (do not repeat them):\n")
		for _, line := range calls {
			b.WriteString("- " + line + "\n")
		}
	}
	summary := llm.Assistant(b.String())
	out := make([]llm.Message, 0, r.s.Pinned+1+len(r.s.Messages)-c)
	out = append(out, r.s.Messages[:r.s.Pinned]...)
	out = append(out, summary)
	out = append(out, r.s.Messages[c:]...)
	workflow.GetLogger(ctx).Info("agent: compacted the conversation", "summarised", len(middle), "kept", len(r.s.Messages)-c, "messages", len(out))
	r.s.Messages = out
	r.s.Compactions++
	r.s.LastPromptTokens, r.s.LastCompletionTokens = 0, 0
	r.s.PendingChars = b.Len()
	return nil
}

// callsIn lists the calls answered in msgs, from the audit trail.
func (r *run) callsIn(msgs []llm.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Role != llm.RoleTool || m.ToolCallID == "" {
			continue
		}
		line := "called a tool (call " + m.ToolCallID + ")"
		for _, rec := range r.s.Calls {
			if rec.ID == m.ToolCallID {
				line = fmt.Sprintf("called %s %s: %s", rec.Tool, rec.Arguments, rec.Outcome)
				if rec.Detail != "" {
					line += " (" + strings.Join(strings.Fields(rec.Detail), " ") + ")"
				}
				break
			}
		}
		out = append(out, line)
	}
	return out
}
