package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.temporal.io/sdk/temporal"
)

// stream makes one streamed chat completion, heartbeating its progress. A
// stream that ends without a finish reason is a truncated, retryable
// attempt; a server that answers with one JSON document instead of events
// has answered, and that document is the answer.
func (a *Activities) stream(ctx context.Context, ep *endpoint, req Request, at attemptInfo, hb *heartbeat) (Response, error) {
	params, err := buildParams(req, ep)
	if err != nil {
		return Response{}, err
	}
	ctx, idle := a.idleTimer(ctx)
	defer idle.stop()

	var (
		res   *http.Response
		plain plainBody
	)
	s := ep.client.Chat.Completions.NewStreaming(ctx, params, option.WithMaxRetries(0), option.WithResponseInto(&res), plain.option())
	defer func() { _ = s.Close() }()
	var (
		text  strings.Builder
		resp  Response
		calls toolCallBuilder
		usage bool
	)
	for s.Next() {
		idle.reset()
		ch := s.Current()
		if ch.Model != "" {
			resp.Model = ch.Model
		}
		if ch.JSON.Usage.Valid() && ch.Usage.TotalTokens+ch.Usage.PromptTokens > 0 {
			resp.PromptTokens, resp.CompletionTokens, usage = ch.Usage.PromptTokens, ch.Usage.CompletionTokens, true
		}
		content := false
		for _, c := range ch.Choices {
			if c.Index != 0 {
				continue
			}
			switch {
			case c.Delta.Content != "":
				text.WriteString(c.Delta.Content)
				deltasOf(ctx).delta(c.Delta.Content)
				content = true
			case c.Delta.Refusal != "":
				text.WriteString(c.Delta.Refusal)
				deltasOf(ctx).delta(c.Delta.Refusal)
			}
			for _, tc := range c.Delta.ToolCalls {
				calls.add(tc)
				content = true
			}
			if c.FinishReason != "" {
				resp.FinishReason = c.FinishReason
			}
		}
		n := text.Len() + calls.chars()
		hb.update(func(p *Progress) {
			p.Chunks++
			p.Chars = n
			if content {
				p.Tokens++
			}
		})
	}
	resp.RequestID = requestID(res)
	if err := idle.err(ep, res, hb.progress()); err != nil {
		return Response{}, err
	}
	if err := s.Err(); err != nil {
		return Response{}, classify(err, res, at)
	}
	if plain.body != nil {
		var cc openai.ChatCompletion
		if err := json.Unmarshal(plain.body, &cc); err != nil || !cc.JSON.Choices.Valid() {
			return Response{}, truncated(ep, res, "streamed request answered with a JSON document that is not a chat completion", true)
		}
		return chatAnswer(ep, &cc, res)
	}
	p := hb.progress()
	if resp.FinishReason == "" {
		return Response{}, truncated(ep, res, fmt.Sprintf("stream ended without a finish reason after %d chunks (%d chars)", p.Chunks, p.Chars), true)
	}
	resp.Text, resp.ToolCalls = text.String(), calls.calls()
	if len(resp.ToolCalls) > 0 && resp.FinishReason == "stop" {
		resp.FinishReason = "tool_calls"
	}
	resp.UsageEstimated = !usage // the server ignored stream_options.include_usage
	return resp, nil
}

// toolCallBuilder joins the tool call fragments of a chat stream.
type toolCallBuilder struct {
	order []int64
	byIdx map[int64]*ToolCall
	n     int
}

func (b *toolCallBuilder) add(d openai.ChatCompletionChunkChoiceDeltaToolCall) {
	if b.byIdx == nil {
		b.byIdx = map[int64]*ToolCall{}
	}
	c, ok := b.byIdx[d.Index]
	if !ok {
		c = &ToolCall{}
		b.byIdx[d.Index] = c
		b.order = append(b.order, d.Index)
	}
	if d.ID != "" {
		c.ID = d.ID
	}
	c.Name += d.Function.Name
	c.Arguments += d.Function.Arguments
	b.n += len(d.Function.Name) + len(d.Function.Arguments)
}

func (b *toolCallBuilder) chars() int { return b.n }

func (b *toolCallBuilder) calls() []ToolCall {
	var out []ToolCall
	for _, i := range b.order {
		out = append(out, *b.byIdx[i])
	}
	return out
}

// idleTimer ends a stream that receives nothing for Config.StreamIdleTimeout.
type idleTimer struct {
	d      time.Duration
	t      *time.Timer
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// idleTimer returns ctx cancelled when the stream is idle too long.
func (a *Activities) idleTimer(ctx context.Context) (context.Context, *idleTimer) {
	ctx, cancel := context.WithCancelCause(ctx)
	it := &idleTimer{d: a.cfg.StreamIdleTimeout, ctx: ctx, cancel: cancel}
	it.t = time.AfterFunc(it.d, func() { cancel(errStreamIdle) })
	return ctx, it
}

func (it *idleTimer) reset() { it.t.Reset(it.d) }

func (it *idleTimer) stop() {
	it.t.Stop()
	it.cancel(nil)
}

// idle reports whether the stream was ended for being idle.
func (it *idleTimer) idle() bool { return errors.Is(context.Cause(it.ctx), errStreamIdle) }

// err is the retryable error of a stream ended for being idle, or nil.
func (it *idleTimer) err(ep *endpoint, res *http.Response, p Progress) error {
	if !it.idle() {
		return nil
	}
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("llm: model %q: stream idle for %s after %d chunks (%d chars); retryable", ep.name, it.d, p.Chunks, p.Chars),
		ErrTypeTimeout, temporal.ApplicationErrorOptions{
			Details: []any{ErrorDetails{Status: statusOf(res), ModelName: ep.name, Model: ep.id, RequestID: requestID(res), Billed: true, ResponseID: p.ResponseID}},
		})
}

var errStreamIdle = errors.New("llm: stream idle")

// estimateTokens is the usual 4-characters-per-token estimate, rounded up.
func estimateTokens(chars int) int { return (chars + 3) / 4 }
