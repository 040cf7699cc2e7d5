package llmtest

// serveChat answers POST .../chat/completions.
func (c *conn) serveChat() {
	if !c.prelude(true) {
		return
	}
	g := c.h.startGeneration(c, EndpointChat, false)
	if c.req.Stream {
		c.stream(g, 0)
		return
	}
	if !g.waitEnd(c.r.Context()) {
		c.h.recordStatus(c.idx, StatusClientClosedRequest)
		c.h.markAbandoned(g.rec)
		return
	}
	g.mu.Lock()
	b := mustJSON(g.completionLocked())
	g.mu.Unlock()
	if c.writeJSON(b) {
		c.h.markDelivered(g.rec)
	}
}

// completionLocked is the chat.completion object of an ended generation.
func (g *generation) completionLocked() wireCompletion {
	p := g.plan
	msg := &wireMessage{Role: "assistant", Annotations: []struct{}{}}
	for i, it := range p.items {
		if it.tool < 0 {
			text := p.text(i, g.done)
			msg.Content = &text
			continue
		}
		tc := p.tools[it.tool]
		msg.ToolCalls = append(msg.ToolCalls, wireToolCall{ID: tc.ID, Type: "function",
			Function: wireFunction{Name: tc.Name, Arguments: p.text(i, g.done)}})
	}
	fr := p.finishReason
	u := g.usageLocked()
	return wireCompletion{
		ID: g.id, Object: "chat.completion", Created: g.created.Unix(), Model: p.model,
		Choices: []wireChoice{{Index: 0, Message: msg, FinishReason: &fr}},
		Usage:   &wireUsage{PromptTokens: u.input, CompletionTokens: u.output, TotalTokens: u.input + u.output},
	}
}

// usage is the billed token counts of a generation.
type usage struct{ input, output int }

func (g *generation) usageLocked() usage {
	return usage{input: g.plan.prompt, output: g.plan.outputTokens(g.done)}
}

// chatRenderer renders chat.completion.chunk events.
type chatRenderer struct{}

func (chatRenderer) chunk(g *generation, choices []wireChoice, u *wireUsage) []byte {
	return mustJSON(wireCompletion{
		ID: g.id, Object: "chat.completion.chunk", Created: g.created.Unix(), Model: g.plan.model,
		Choices: choices, Usage: u,
	})
}

func (r chatRenderer) delta(g *generation, d wireDelta, fr *string) []byte {
	return r.chunk(g, []wireChoice{{Index: 0, Delta: &d, FinishReason: fr}}, nil)
}

func (chatRenderer) created(*generation) {}

func (r chatRenderer) started(g *generation) {
	empty := ""
	g.push(event{data: r.delta(g, wireDelta{Role: "assistant", Content: &empty}, nil)})
}

func (r chatRenderer) piece(g *generation, i int) {
	pc := g.plan.pieces[i]
	it := g.plan.items[pc.item]
	if it.tool < 0 {
		if pc.text != "" {
			text := pc.text
			g.push(event{data: r.delta(g, wireDelta{Content: &text}, nil)})
		}
		return
	}
	d := wireToolCallDelta{Index: it.tool, Function: wireFunction{Arguments: pc.text}}
	if pc.first {
		tc := g.plan.tools[it.tool]
		d.ID, d.Type, d.Function.Name = tc.ID, "function", tc.Name
	}
	g.push(event{data: r.delta(g, wireDelta{ToolCalls: []wireToolCallDelta{d}}, nil)})
}

func (r chatRenderer) finished(g *generation) {
	switch g.status {
	case StatusFailed:
		e := g.plan.fail
		g.push(event{terminal: true, data: mustJSON(wireErrorBody{Error: wireError{
			Message: e.Message, Type: e.Type, Param: nullable(e.Param), Code: nullable(e.Code),
		}})})
	case StatusCompleted, StatusIncomplete:
		fr := g.plan.finishReason
		g.push(event{terminal: true, data: r.delta(g, wireDelta{}, &fr)})
		if g.req.IncludeUsage {
			u := g.usageLocked()
			g.push(event{data: r.chunk(g, []wireChoice{}, &wireUsage{PromptTokens: u.input, CompletionTokens: u.output, TotalTokens: u.input + u.output})})
		}
		g.push(event{data: []byte("[DONE]")})
	}
}
