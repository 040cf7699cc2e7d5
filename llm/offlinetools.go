package llm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/jsonschema-go/jsonschema"
)

// offlineToolAnswer is the offline model's answer to a request with tools,
// and false when the plain (or structured) answer applies. The rule, which
// [Offline] documents:
//
//   - the prompt is the last user message; the turn is everything after it;
//   - a tool is wanted when the prompt mentions its name, case-insensitive,
//     with "_", "-" and " " interchangeable ("issue refund" mentions
//     issue_refund); a ToolChoice naming a tool wants that tool
//     only; ToolChoiceRequired with nothing mentioned wants the first tool;
//     ToolChoiceNone wants none;
//   - a tool is done when an assistant message of the turn called it, or
//     says "called <name>" (what a compaction summary says);
//   - while a wanted tool is not done, the answer calls the first one in
//     the order of the mentions (all of them when ParallelToolCalls is
//     true), with arguments from its schema (see offlineArgs);
//   - once all are done, the answer is a labelled Markdown list of the
//     turn's tool results (or, with a Schema, the structured answer).
func offlineToolAnswer(req Request, schema *compiledSchema) (Response, bool) {
	if len(req.Tools) == 0 || req.ToolChoice == ToolChoiceNone {
		return Response{}, false
	}
	msgs := req.allMessages()
	u := -1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == RoleUser {
			u = i
			break
		}
	}
	prompt := ""
	if u >= 0 {
		prompt = msgs[u].Content
	}
	turn := msgs[u+1:]

	done := map[string]bool{}
	names := map[string]string{} // call id -> tool name
	for _, m := range turn {
		if m.Role != RoleAssistant {
			continue
		}
		for _, c := range m.ToolCalls {
			done[c.Name] = true
			names[c.ID] = c.Name
		}
		for _, t := range req.Tools {
			if mentionAt(m.Content, t.Name, "called ") >= 0 {
				done[t.Name] = true
			}
		}
	}

	var pending []Tool
	for _, t := range wantedTools(req, prompt) {
		if !done[t.Name] {
			pending = append(pending, t)
		}
	}
	if len(pending) == 0 {
		if schema != nil || len(done) == 0 {
			return Response{}, false
		}
		text := offlineToolSummary(prompt, turn, names)
		return Response{
			Text:             text,
			FinishReason:     "stop",
			Model:            OfflineModelID,
			PromptTokens:     int64(estimateTokens(req.promptChars())),
			CompletionTokens: int64(estimateTokens(len(text))),
			Offline:          true,
		}, true
	}
	if req.ParallelToolCalls == nil || !*req.ParallelToolCalls {
		pending = pending[:1]
	}
	results := turnResults(turn)
	seed, _ := json.Marshal(msgs)
	calls := make([]ToolCall, len(pending))
	out := 0
	for i, t := range pending {
		args := offlineArgs(t, prompt, results)
		sum := sha256.Sum256(fmt.Appendf(slices.Clip(seed), "\x00%s\x00%d", t.Name, i))
		calls[i] = ToolCall{ID: "call_offline_" + hex.EncodeToString(sum[:10]), Name: t.Name, Arguments: args}
		out += len(t.Name) + len(args)
	}
	return Response{
		FinishReason:     "tool_calls",
		ToolCalls:        calls,
		Model:            OfflineModelID,
		PromptTokens:     int64(estimateTokens(req.promptChars())),
		CompletionTokens: int64(estimateTokens(out)),
		Offline:          true,
	}, true
}

// wantedTools lists the tools the prompt asks for, in the order of their
// first mention.
func wantedTools(req Request, prompt string) []Tool {
	switch req.ToolChoice {
	case "", ToolChoiceAuto, ToolChoiceRequired:
	default:
		for _, t := range req.Tools {
			if t.Name == req.ToolChoice {
				return []Tool{t}
			}
		}
		return nil
	}
	type hit struct {
		at   int
		tool Tool
	}
	var hits []hit
	for _, t := range req.Tools {
		if at := mentionAt(prompt, t.Name, ""); at >= 0 {
			hits = append(hits, hit{at, t})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.at - b.at })
	out := make([]Tool, len(hits))
	for i, h := range hits {
		out[i] = h.tool
	}
	if len(out) == 0 && req.ToolChoice == ToolChoiceRequired {
		out = req.Tools[:1]
	}
	return out
}

// mentionAt returns where text first mentions prefix+name as whole words,
// case-insensitive, with "_", "-" and " " interchangeable; or -1.
func mentionAt(text, name, prefix string) int {
	seps := strings.NewReplacer("_", " ", "-", " ")
	lower := seps.Replace(strings.ToLower(text)) // same length: positions hold
	needle := prefix + seps.Replace(strings.ToLower(name))
	for from := 0; from < len(lower); {
		i := strings.Index(lower[from:], needle)
		if i < 0 {
			break
		}
		i += from
		if !wordByte(lower, i-1) && !wordByte(lower, i+len(needle)) {
			return i
		}
		from = i + 1
	}
	return -1
}

func wordByte(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 0x80
}

// turnResults decodes the turn's tool results that are JSON objects, the
// newest first.
func turnResults(turn []Message) []map[string]any {
	var out []map[string]any
	for i := len(turn) - 1; i >= 0; i-- {
		if turn[i].Role != RoleTool {
			continue
		}
		var obj map[string]any
		if json.Unmarshal([]byte(turn[i].Content), &obj) == nil && obj != nil {
			out = append(out, obj)
		}
	}
	return out
}

// offlineArgs fills the tool's object schema: each property takes the value
// of the same-named field of the turn's newest tool result that has one;
// else a string property named like an id ("id", "order_id", "orderId")
// takes the first word of the prompt that contains a digit, one named like
// an email (or of format email) the first word containing "@", a number the
// first number in the prompt; else the schema's generated value.
func offlineArgs(t Tool, prompt string, results []map[string]any) string {
	if len(t.Parameters) == 0 {
		return "{}"
	}
	cs, err := compileSchema(t.Parameters)
	if err != nil || cs.schema == nil {
		return "{}"
	}
	g := offlineGen{root: cs.schema, topic: topicOf(prompt), markdown: offlineMarkdown(prompt)}
	s := cs.schema
	if s.Ref != "" {
		if r := g.ref(s.Ref); r != nil {
			s = r
		}
	}
	args := map[string]any{}
	for name, p := range s.Properties {
		args[name] = g.argument(p, name, prompt, results)
	}
	b, err := json.Marshal(args)
	if err != nil {
		return "{}"
	}
	return string(b)
}

func (g offlineGen) argument(p *jsonschema.Schema, name, prompt string, results []map[string]any) any {
	for _, r := range results {
		if v, ok := r[name]; ok {
			return v
		}
	}
	if p != nil && p.Ref != "" {
		if r := g.ref(p.Ref); r != nil {
			p = r
		}
	}
	typ := ""
	if p != nil {
		typ = p.Type
		for _, t := range p.Types {
			if t != "null" {
				typ = t
				break
			}
		}
	}
	lower := strings.ToLower(name)
	switch {
	case typ == "string" && (p.Format == "email" || strings.Contains(lower, "email")):
		if w := firstWord(prompt, func(w string) bool { return strings.Contains(w, "@") }); w != "" {
			return w
		}
	case typ == "string" && len(p.Enum) == 0 && (lower == "id" || strings.HasSuffix(lower, "_id") || strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID")):
		if w := firstWord(prompt, func(w string) bool { return strings.ContainsFunc(w, unicode.IsDigit) }); w != "" {
			return w
		}
	case typ == "integer" || typ == "number":
		if w := firstWord(prompt, func(w string) bool { _, err := strconv.ParseFloat(w, 64); return err == nil }); w != "" {
			f, _ := strconv.ParseFloat(w, 64)
			if typ == "integer" {
				return int64(f)
			}
			return f
		}
	}
	return g.value(p, name, 1)
}

// firstWord returns the first word of s (surrounding punctuation and a
// leading "$" removed) for which ok holds.
func firstWord(s string, ok func(string) bool) string {
	for _, w := range strings.Fields(s) {
		w = strings.TrimLeft(strings.Trim(w, ".,;:!?()[]{}\"'"), "$")
		w = strings.TrimRight(w, ".,;:!?")
		if w != "" && ok(w) {
			return w
		}
	}
	return ""
}

// offlineToolSummary is the final answer after the tools ran: the results
// of the turn, one line each.
func offlineToolSummary(prompt string, turn []Message, names map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s No provider was called: this answer is generated locally from the tool results.\n\n", OfflineLabel)
	fmt.Fprintf(&b, "## %s\n\n", titleCase(topicOf(prompt)))
	for _, m := range turn {
		if m.Role != RoleTool {
			continue
		}
		name := names[m.ToolCallID]
		if name == "" {
			name = "tool"
		}
		fmt.Fprintf(&b, "- %s: %s\n", name, clipRunes(strings.Join(strings.Fields(m.Content), " "), 300))
	}
	return b.String()
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
