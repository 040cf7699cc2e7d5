package llmtest

import "fmt"

// snapshotLocked is the response object as it stands: output so far,
// usage once billed.
func (g *generation) snapshotLocked() wireResponse {
	e := g.echo
	r := wireResponse{
		ID: g.id, Object: "response", CreatedAt: g.created.Unix(), Status: g.status,
		Background: g.background, Instructions: e.instructions, MaxOutputTokens: e.maxOutput,
		Metadata: e.metadata, Model: g.plan.model, Output: []any{}, ParallelToolCalls: e.parallel,
		PreviousResponseID: e.previous, Store: e.store, Temperature: 1, Text: e.text,
		ToolChoice: e.toolChoice, Tools: e.tools, TopP: 1, Truncation: "disabled",
	}
	for i, it := range g.plan.items {
		if g.done > it.first {
			r.Output = append(r.Output, g.itemLocked(i, g.done >= it.first+it.n))
		}
	}
	if !g.ended || g.aborted {
		return r
	}
	switch g.status {
	case StatusCompleted:
		at := g.finishedAt.Unix()
		r.CompletedAt = &at
	case StatusIncomplete:
		r.IncompleteDetails = &wireIncomplete{Reason: g.plan.incompleteReason}
	case StatusFailed:
		code := g.plan.fail.Code
		if code == "" {
			code = "server_error"
		}
		r.Error = &wireResponseError{Code: code, Message: g.plan.fail.Message}
	}
	if g.billed {
		u := g.usageLocked()
		r.Usage = &wireResponseUsage{InputTokens: u.input, OutputTokens: u.output, TotalTokens: u.input + u.output}
	}
	return r
}

// itemStatus is the status of an output item: in progress while its
// pieces are produced, then completed (incomplete when the response is).
func (g *generation) itemStatus(complete bool) string {
	switch {
	case complete && g.plan.status == StatusIncomplete:
		return StatusIncomplete
	case complete:
		return StatusCompleted
	case g.ended:
		return StatusIncomplete
	default:
		return StatusInProgress
	}
}

// itemLocked is output item i: complete, or as produced so far (nothing
// yet when it was just added).
func (g *generation) itemLocked(i int, complete bool) any {
	it := g.plan.items[i]
	text := g.plan.text(i, g.done)
	if it.tool < 0 {
		m := wireOutputMessage{Type: "message", ID: g.itemID(i), Status: g.itemStatus(complete), Role: "assistant", Content: []wireOutputText{}}
		if g.done > it.first {
			m.Content = append(m.Content, outputText(text))
		}
		return m
	}
	tc := g.plan.tools[it.tool]
	return wireFunctionCall{Type: "function_call", ID: g.itemID(i), CallID: tc.ID, Name: tc.Name, Arguments: text, Status: g.itemStatus(complete)}
}

func outputText(text string) wireOutputText {
	return wireOutputText{Type: "output_text", Text: text, Annotations: []struct{}{}, Logprobs: []struct{}{}}
}

// itemID is the id of output item i: "msg_llmtest_<n>" for the message,
// "fc_llmtest_<n>_<k>" for the k-th tool call.
func (g *generation) itemID(i int) string {
	it := g.plan.items[i]
	if it.tool < 0 {
		return fmt.Sprintf("msg_llmtest_%d", g.n)
	}
	return fmt.Sprintf("fc_llmtest_%d_%d", g.n, it.tool+1)
}

// responsesRenderer renders Responses stream events with sequence
// numbers.
type responsesRenderer struct{}

func (responsesRenderer) created(g *generation) {
	g.pushSeq("response.created", map[string]any{"response": g.snapshotLocked()}, false)
	if g.background {
		g.pushSeq("response.queued", map[string]any{"response": g.snapshotLocked()}, false)
	}
}

func (responsesRenderer) started(g *generation) {
	g.pushSeq("response.in_progress", map[string]any{"response": g.snapshotLocked()}, false)
}

func (responsesRenderer) piece(g *generation, i int) {
	pc := g.plan.pieces[i]
	oi := pc.item
	it := g.plan.items[oi]
	id := g.itemID(oi)
	at := func(m map[string]any) map[string]any {
		m["item_id"], m["output_index"] = id, oi
		if it.tool < 0 {
			m["content_index"] = 0
		}
		return m
	}
	if pc.first {
		done := g.done
		g.done = it.first // the item as it was added: empty
		g.pushSeq("response.output_item.added", map[string]any{"output_index": oi, "item": g.itemLocked(oi, false)}, false)
		g.done = done
		if it.tool < 0 {
			g.pushSeq("response.content_part.added", at(map[string]any{"part": outputText("")}), false)
		}
	}
	if it.tool < 0 && pc.text != "" {
		g.pushSeq("response.output_text.delta", at(map[string]any{"delta": pc.text, "logprobs": []struct{}{}}), false)
	}
	if it.tool >= 0 && pc.text != "" {
		g.pushSeq("response.function_call_arguments.delta", at(map[string]any{"delta": pc.text}), false)
	}
	if !pc.last {
		return
	}
	text := g.plan.text(oi, g.done)
	if it.tool < 0 {
		g.pushSeq("response.output_text.done", at(map[string]any{"text": text, "logprobs": []struct{}{}}), false)
		g.pushSeq("response.content_part.done", at(map[string]any{"part": outputText(text)}), false)
	} else {
		g.pushSeq("response.function_call_arguments.done", at(map[string]any{"name": g.plan.tools[it.tool].Name, "arguments": text}), false)
	}
	g.pushSeq("response.output_item.done", map[string]any{"output_index": oi, "item": g.itemLocked(oi, true)}, false)
}

func (responsesRenderer) finished(g *generation) {
	switch g.status {
	case StatusCompleted:
		g.pushSeq("response.completed", map[string]any{"response": g.snapshotLocked()}, true)
	case StatusIncomplete:
		g.pushSeq("response.incomplete", map[string]any{"response": g.snapshotLocked()}, true)
	case StatusFailed:
		e := g.plan.fail
		g.pushSeq("error", map[string]any{"code": nullable(e.Code), "message": e.Message, "param": nullable(e.Param)}, true)
		g.pushSeq("response.failed", map[string]any{"response": g.snapshotLocked()}, false)
	}
	// A cancelled response's stream ends without a terminal event.
}
