package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// answer carries the state of one reply being written.
type answer struct {
	h     *Handler
	w     http.ResponseWriter
	r     *http.Request
	req   Request
	idx   int
	reply Reply
	done  <-chan struct{}
}

// sleep waits d, or until the client leaves or the handler closes. It
// reports whether the full wait elapsed; when the handler closed it aborts
// the connection.
func (a *answer) sleep(d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-a.r.Context().Done():
		return false
	case <-a.done:
		panic(http.ErrAbortHandler)
	}
}

func (a *answer) serve() {
	rp := a.reply
	if rp.Hang {
		a.sleep(0)
		a.h.record(a.idx, StatusClientClosedRequest, 0, 0)
		return
	}
	if rp.Delay > 0 && !a.sleep(rp.Delay) {
		a.h.record(a.idx, StatusClientClosedRequest, 0, 0)
		return
	}
	status := rp.Status
	if status == 0 {
		status = http.StatusOK
	}
	a.setHeaders()
	switch {
	case rp.Body != "":
		if a.w.Header().Get("Content-Type") == "" {
			a.w.Header().Set("Content-Type", sniff(rp.Body))
		}
		a.h.record(a.idx, status, 0, 0)
		a.w.WriteHeader(status)
		_, _ = io.WriteString(a.w, rp.Body)
	case status >= 400:
		a.writeError(status)
	case a.req.Stream:
		a.writeStream(status)
	default:
		a.writeCompletion(status)
	}
}

func (a *answer) setHeaders() {
	hd := a.w.Header()
	hd.Set("X-Request-Id", fmt.Sprintf("req_llmtest_%d", a.idx+1))
	for k, v := range a.reply.Headers {
		hd.Set(k, v)
	}
}

// sniff picks the content type of a raw body.
func sniff(body string) string {
	if json.Valid([]byte(body)) {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// content returns the assistant content and the model of the answer.
func (a *answer) content() (content, model string) {
	content = a.reply.Content
	if content == "" && !a.reply.NoContent {
		content = "echo: " + a.req.LastUser()
	}
	model = a.reply.Model
	if model == "" {
		model = a.req.Model
	}
	return content, model
}

// tokens returns the prompt and completion token counts of the answer.
func (a *answer) tokens(content string) (prompt, completion int) {
	prompt, completion = a.reply.PromptTokens, a.reply.CompletionTokens
	if prompt == 0 {
		for _, m := range a.req.Messages {
			prompt += countWords(m.Content)
		}
	}
	if completion == 0 {
		completion = countWords(content)
	}
	return prompt, completion
}

func (a *answer) finishReason() string {
	if a.reply.FinishReason != "" {
		return a.reply.FinishReason
	}
	return "stop"
}

func (a *answer) writeError(status int) {
	e := a.reply.Error
	if e == nil {
		e = &APIError{Message: http.StatusText(status), Type: "server_error"}
		if status < 500 {
			e.Type = "invalid_request_error"
		}
	}
	model := a.reply.Model
	if model == "" {
		model = a.req.Model
	}
	msg := strings.ReplaceAll(e.Message, "{model}", model)
	b := mustJSON(wireErrorBody{Error: wireError{
		Message: msg, Type: e.Type, Param: nullable(e.Param), Code: nullable(e.Code),
	}})
	a.w.Header().Set("Content-Type", "application/json")
	a.h.record(a.idx, status, 0, 0)
	a.w.WriteHeader(status)
	_, _ = a.w.Write(b)
}

func (a *answer) writeCompletion(status int) {
	content, model := a.content()
	prompt, completion := a.tokens(content)
	fr := a.finishReason()
	b := mustJSON(wireCompletion{
		ID: a.id(), Object: "chat.completion", Created: a.req.Time.Unix(), Model: model,
		Choices: []wireChoice{{
			Index:        0,
			Message:      &wireMessage{Role: "assistant", Content: content, Annotations: []struct{}{}},
			FinishReason: &fr,
		}},
		Usage: &wireUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion},
	})
	a.w.Header().Set("Content-Type", "application/json")
	a.h.record(a.idx, status, prompt, completion)
	a.w.WriteHeader(status)
	if a.reply.Truncate || a.reply.Drop {
		b = b[:len(b)/2]
	}
	_, _ = a.w.Write(b)
	if a.reply.Drop {
		_ = http.NewResponseController(a.w).Flush()
		panic(http.ErrAbortHandler)
	}
}

func (a *answer) id() string {
	return fmt.Sprintf("chatcmpl-llmtest-%d", a.idx+1)
}

// event writes one SSE data event and flushes it. It reports whether the
// write succeeded.
func (a *answer) event(data []byte) bool {
	var buf bytes.Buffer
	buf.WriteString("data: ")
	buf.Write(data)
	buf.WriteString("\n\n")
	if _, err := a.w.Write(buf.Bytes()); err != nil {
		return false
	}
	return http.NewResponseController(a.w).Flush() == nil
}

func (a *answer) writeStream(status int) {
	rp := a.reply
	content, model := a.content()
	prompt, completion := a.tokens(content)
	chunk := func(choices []wireChoice, usage *wireUsage) []byte {
		return mustJSON(wireCompletion{
			ID: a.id(), Object: "chat.completion.chunk", Created: a.req.Time.Unix(), Model: model,
			Choices: choices, Usage: usage,
		})
	}
	delta := func(d wireDelta, fr *string) []byte {
		return chunk([]wireChoice{{Index: 0, Delta: &d, FinishReason: fr}}, nil)
	}

	hd := a.w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	a.h.record(a.idx, status, prompt, completion)
	a.w.WriteHeader(status)

	empty := ""
	if !a.event(delta(wireDelta{Role: "assistant", Content: &empty}, nil)) {
		return
	}
	for i, piece := range split(content, rp.Chunks) {
		if i > 0 && rp.ChunkDelay > 0 && !a.sleep(rp.ChunkDelay) {
			return
		}
		if !a.event(delta(wireDelta{Content: &piece}, nil)) {
			return
		}
	}
	switch {
	case rp.Truncate:
		return
	case rp.Stall:
		a.sleep(0)
		return
	case rp.Drop:
		panic(http.ErrAbortHandler)
	case rp.StreamError != nil:
		e := rp.StreamError
		a.event(mustJSON(wireErrorBody{Error: wireError{
			Message: e.Message, Type: e.Type, Param: nullable(e.Param), Code: nullable(e.Code),
		}}))
		return
	}
	fr := a.finishReason()
	if !a.event(delta(wireDelta{}, &fr)) {
		return
	}
	if a.req.IncludeUsage {
		usage := &wireUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
		if !a.event(chunk([]wireChoice{}, usage)) {
			return
		}
	}
	a.event([]byte("[DONE]"))
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
