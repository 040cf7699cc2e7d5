package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3/option"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Progress is the heartbeat detail of the completion activity: what the
// attempt received so far. A streamed call updates it on every chunk; a
// non-streamed one reports zeros while it waits.
type Progress struct {
	// Model is the configured model name of the attempt.
	Model string
	// Chunks is the number of stream chunks received.
	Chunks int
	// Chars is the number of answer characters (bytes) received.
	Chars int
	// Tokens is the completion tokens so far: one per content chunk, which
	// is what OpenAI streams.
	Tokens int
}

// heartbeat sends Progress from a ticker while a call waits, and on demand.
type heartbeat struct {
	// record sends one heartbeat (activity.RecordHeartbeat).
	record func(Progress)
	mu     sync.Mutex
	p      Progress
	done   chan struct{}
	wg     sync.WaitGroup
	on     bool
}

// startHeartbeat heartbeats every interval until stop, when ctx belongs to
// an activity; otherwise it does nothing.
func startHeartbeat(ctx context.Context, interval time.Duration) *heartbeat {
	h := &heartbeat{done: make(chan struct{}), on: activity.IsActivity(ctx)}
	if !h.on {
		return h
	}
	h.record = func(p Progress) { activity.RecordHeartbeat(ctx, p) }
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				h.mu.Lock()
				p := h.p
				h.mu.Unlock()
				h.record(p)
			}
		}
	}()
	return h
}

// update records progress and heartbeats it.
func (h *heartbeat) update(p Progress) {
	if !h.on {
		return
	}
	h.mu.Lock()
	h.p = p
	h.mu.Unlock()
	h.record(p)
}

func (h *heartbeat) stop() {
	if h.on {
		close(h.done)
		h.wg.Wait()
		h.on = false
	}
}

// stream makes one streamed chat completion, heartbeating its progress. A
// stream that ends without a finish reason is a truncated, retryable attempt.
func (a *Activities) stream(ctx context.Context, ep *endpoint, req Request, at attemptInfo, hb *heartbeat) (Response, error) {
	params, err := buildParams(req, ep)
	if err != nil {
		return Response{}, err
	}
	idle := a.cfg.StreamIdleTimeout
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(idle, func() { cancel(errStreamIdle) })
	defer timer.Stop()

	var res *http.Response
	s := ep.client.Chat.Completions.NewStreaming(ctx, params, option.WithMaxRetries(0), option.WithResponseInto(&res))
	defer func() { _ = s.Close() }()
	var (
		text  strings.Builder
		resp  Response
		p     = Progress{Model: ep.name}
		usage bool
	)
	for s.Next() {
		timer.Reset(idle)
		ch := s.Current()
		p.Chunks++
		if ch.Model != "" {
			resp.Model = ch.Model
		}
		if ch.JSON.Usage.Valid() && ch.Usage.TotalTokens+ch.Usage.PromptTokens > 0 {
			resp.PromptTokens, resp.CompletionTokens, usage = ch.Usage.PromptTokens, ch.Usage.CompletionTokens, true
		}
		for _, c := range ch.Choices {
			if c.Index != 0 {
				continue
			}
			if c.Delta.Content != "" {
				text.WriteString(c.Delta.Content)
				p.Tokens++
			} else if c.Delta.Refusal != "" {
				text.WriteString(c.Delta.Refusal)
			}
			if c.FinishReason != "" {
				resp.FinishReason = c.FinishReason
			}
		}
		p.Chars = text.Len()
		hb.update(p)
	}
	if res != nil {
		resp.RequestID = res.Header.Get("x-request-id")
	}
	if errors.Is(context.Cause(ctx), errStreamIdle) {
		return Response{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("llm: model %q: stream idle for %s after %d chunks (%d chars); retryable", ep.name, idle, p.Chunks, p.Chars),
			ErrTypeTimeout, temporal.ApplicationErrorOptions{
				Details: []any{ErrorDetails{Status: statusOf(res), ModelName: ep.name, Model: ep.id, RequestID: resp.RequestID}},
			})
	}
	if err := s.Err(); err != nil {
		return Response{}, classify(err, res, at)
	}
	if resp.FinishReason == "" {
		return Response{}, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("llm: model %q: stream ended without a finish reason after %d chunks (%d chars); retryable", ep.name, p.Chunks, p.Chars),
			ErrTypeTruncated, temporal.ApplicationErrorOptions{
				Details: []any{ErrorDetails{Status: statusOf(res), ModelName: ep.name, Model: ep.id, RequestID: resp.RequestID}},
			})
	}
	resp.Text = text.String()
	if !usage { // the server ignored stream_options.include_usage: estimate
		resp.PromptTokens, resp.CompletionTokens = int64(estimateTokens(req.promptChars())), int64(p.Tokens)
	}
	return resp, nil
}

var errStreamIdle = errors.New("llm: stream idle")

// estimateTokens is the usual 4-characters-per-token estimate, rounded up.
func estimateTokens(chars int) int { return (chars + 3) / 4 }
