package llm

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/durable-llm/durable-llm/idem"
)

// Progress is the heartbeat detail of the completion activity: what the
// attempt received so far, and what the attempts before it learned. A
// streamed call updates it on every chunk; a non-streamed one reports zero
// chunks while it waits. The next attempt of the activity reads the last
// one recorded: that is how it resumes a background generation without a
// [Config.Store] and how it counts failures across attempts.
type Progress struct {
	// Model is the configured model name of the attempt.
	Model string
	// Chunks is the number of stream chunks (events) received.
	Chunks int
	// Chars is the number of answer characters (bytes) received.
	Chars int
	// Tokens is the completion tokens so far: one per content chunk, which
	// is what OpenAI streams.
	Tokens int
	// ResponseID is the id of the background generation the attempt
	// follows ([APIResponsesBackground]); empty otherwise.
	ResponseID string `json:",omitempty"`
	// Sequence is the sequence number of the last event received from that
	// generation's stream.
	Sequence int64 `json:",omitempty"`
	// ModelFailures counts the failures of earlier attempts that were the
	// model's (classified provider errors): attempt by attempt the model
	// moves along [Request.Fallback] with it. An attempt lost with its
	// worker is not counted, so its retry stays on the same model.
	ModelFailures int `json:",omitempty"`
	// PaidFailures counts the earlier attempts that failed after the
	// provider accepted, and may have billed, the request (see
	// [Config.MaxPaidAttempts]).
	PaidFailures int `json:",omitempty"`
}

// previousProgress returns the last heartbeat of the earlier attempts.
func previousProgress(ctx context.Context) Progress {
	var p Progress
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		if activity.GetHeartbeatDetails(ctx, &p) != nil {
			return Progress{}
		}
	}
	return p
}

// heartbeat sends Progress from a ticker while a call waits, and on demand.
// It heartbeats through idem.Heartbeat, so that idem.Wrap's own heartbeats
// repeat the progress instead of erasing it.
type heartbeat struct {
	// record sends one heartbeat.
	record func(Progress)
	mu     sync.Mutex
	p      Progress
	done   chan struct{}
	wg     sync.WaitGroup
	on     bool
}

// sendHeartbeat records one heartbeat of an attempt (a variable for
// tests, which see the order of records that the SDK's test environment
// hides).
var sendHeartbeat = func(ctx context.Context, p Progress) { idem.Heartbeat(ctx, p) }

// startHeartbeat heartbeats every interval until stop or end, when ctx
// belongs to an activity; otherwise it only keeps p. It heartbeats p at
// once only when announce is set: when p tells a later attempt something
// the server does not already hold from the attempts before. A call that
// ends within interval then sends no heartbeat at all (the server's
// heartbeat timeout counts from the attempt's start either way).
func startHeartbeat(ctx context.Context, interval time.Duration, p Progress, announce bool) *heartbeat {
	h := &heartbeat{done: make(chan struct{}), on: activity.IsActivity(ctx), p: p}
	if !h.on {
		return h
	}
	h.record = func(p Progress) { sendHeartbeat(ctx, p) }
	if announce {
		h.record(p)
	}
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
				h.record(h.progress())
			}
		}
	}()
	return h
}

// progress returns the current progress.
func (h *heartbeat) progress() Progress {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.p
}

// update changes the progress with f and heartbeats it.
func (h *heartbeat) update(f func(*Progress)) {
	h.mu.Lock()
	f(&h.p)
	p := h.p
	h.mu.Unlock()
	if h.on {
		h.record(p)
	}
}

// end ends the ticker of an attempt that succeeded: its result, not its
// progress, is what the server keeps, so nothing more is recorded.
func (h *heartbeat) end() {
	if !h.on {
		return
	}
	close(h.done)
	h.wg.Wait()
	h.on = false
}

// stop ends the ticker and records p as the attempt's last heartbeat: the
// SDK flushes it before it reports a failure, so the next attempt reads it.
func (h *heartbeat) stop(f func(*Progress)) {
	if !h.on {
		return
	}
	h.end()
	h.mu.Lock()
	if f != nil {
		f(&h.p)
	}
	p := h.p
	h.mu.Unlock()
	h.record(p)
}
