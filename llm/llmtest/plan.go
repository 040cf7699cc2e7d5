package llmtest

import (
	"fmt"
	"strings"
	"time"
)

// Response and generation statuses, as the Responses API names them;
// [Call.Status] uses them for chat completions too.
const (
	StatusQueued     = "queued"
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
)

// plan is what a generation will produce: its output items cut into
// pieces, their tokens, the pacing and the terminal status.
type plan struct {
	model   string
	content string
	tools   []ToolCall // IDs filled in
	items   []planItem // text item first (when present), then one per tool call
	pieces  []piece    // every item's pieces, in generation order
	prompt  int        // prompt tokens
	// interval is the wait before piece i.
	interval func(i int) time.Duration
	// status is the terminal status when the generation runs to its end;
	// reason is the incomplete_details reason or the chat finish_reason.
	status, finishReason, incompleteReason string
	fail                                   *APIError
}

// planItem is one output item: the message text (tool == -1) or a tool
// call.
type planItem struct {
	tool  int
	first int // index of its first piece in plan.pieces
	n     int // number of pieces
}

// piece is one generated fragment of an item.
type piece struct {
	item   int
	text   string
	tokens int
	first  bool // first piece of its item
	last   bool // last piece of its item
}

// newPlan builds the plan of a generation for request req (arrival number
// n) answered with rp on endpoint ep.
func newPlan(ep Endpoint, req Request, rp Reply, n int) *plan {
	p := &plan{model: rp.Model, content: rp.Content}
	if p.model == "" {
		p.model = req.Model
	}
	if p.content == "" && !rp.NoContent && len(rp.ToolCalls) == 0 {
		p.content = "echo: " + req.LastUser()
	}
	for i, tc := range rp.ToolCalls {
		if tc.ID == "" {
			tc.ID = fmt.Sprintf("call_llmtest_%d_%d", n, i+1)
		}
		p.tools = append(p.tools, tc)
	}
	if p.content != "" || len(p.tools) == 0 {
		p.addItem(-1, split(p.content, rp.Chunks))
	}
	for i, tc := range p.tools {
		p.addItem(i, split(tc.Arguments, rp.Chunks))
	}
	p.countTokens(rp.CompletionTokens)
	p.prompt = rp.PromptTokens
	if p.prompt == 0 {
		p.prompt = req.promptTokens()
	}
	p.interval = pacing(rp, len(p.pieces))

	p.status, p.finishReason = StatusCompleted, rp.FinishReason
	if p.finishReason == "" {
		p.finishReason = "stop"
		if len(p.tools) > 0 {
			p.finishReason = "tool_calls"
		}
	}
	switch p.finishReason {
	case "length":
		p.status, p.incompleteReason = StatusIncomplete, "max_output_tokens"
	case "content_filter":
		p.status, p.incompleteReason = StatusIncomplete, "content_filter"
	}
	if rp.StreamError != nil && (ep == EndpointResponses || req.Stream) {
		p.status, p.fail = StatusFailed, rp.StreamError
	}
	return p
}

// addItem appends an item with its pieces; an item always has at least one
// piece, possibly empty, so that its start and end are generated.
func (p *plan) addItem(tool int, parts []string) {
	if len(parts) == 0 {
		parts = []string{""}
	}
	idx := len(p.items)
	p.items = append(p.items, planItem{tool: tool, first: len(p.pieces), n: len(parts)})
	for i, s := range parts {
		p.pieces = append(p.pieces, piece{item: idx, text: s, first: i == 0, last: i == len(parts)-1})
	}
}

// countTokens spreads the completion tokens evenly over the pieces, so a
// partial generation is billed in proportion. total 0 means the words of
// the content and of the tool calls' arguments.
func (p *plan) countTokens(total int) {
	if total <= 0 {
		total = countWords(p.content)
		for _, tc := range p.tools {
			total += countWords(tc.Arguments)
		}
	}
	n := len(p.pieces)
	for i := range p.pieces {
		p.pieces[i].tokens = total*(i+1)/n - total*i/n
	}
}

// pacing returns the wait before each of n pieces.
func pacing(rp Reply, n int) func(int) time.Duration {
	switch {
	case rp.GenerationTime > 0 && n > 0:
		// Piece i is produced at (i+1)·T/n, the last one at T.
		return func(i int) time.Duration {
			return rp.GenerationTime*time.Duration(i+1)/time.Duration(n) - rp.GenerationTime*time.Duration(i)/time.Duration(n)
		}
	case rp.ChunkDelay > 0:
		return func(i int) time.Duration {
			if i == 0 {
				return 0
			}
			return rp.ChunkDelay
		}
	default:
		return func(int) time.Duration { return 0 }
	}
}

// text returns the text of item it produced by the first done pieces.
func (p *plan) text(it, done int) string {
	item := p.items[it]
	var b strings.Builder
	for i := item.first; i < item.first+item.n && i < done; i++ {
		b.WriteString(p.pieces[i].text)
	}
	return b.String()
}

// outputTokens counts the tokens of the first done pieces.
func (p *plan) outputTokens(done int) int {
	n := 0
	for _, pc := range p.pieces[:done] {
		n += pc.tokens
	}
	return n
}

// split cuts content into n pieces of about equal length, or into words
// with their trailing whitespace when n <= 0. Empty content gives no piece.
func split(content string, n int) []string {
	if content == "" {
		return nil
	}
	if n <= 0 {
		var out []string
		rest := content
		for rest != "" {
			i := strings.IndexAny(rest, " \n\t")
			if i < 0 {
				out = append(out, rest)
				break
			}
			j := i
			for j < len(rest) && strings.ContainsRune(" \n\t", rune(rest[j])) {
				j++
			}
			out = append(out, rest[:j])
			rest = rest[j:]
		}
		return out
	}
	runes := []rune(content)
	if n > len(runes) {
		n = len(runes)
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, string(runes[i*len(runes)/n:(i+1)*len(runes)/n]))
	}
	return out
}
