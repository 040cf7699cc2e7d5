package llm

import (
	"context"
	"strings"
	"time"
)

// Pacing of the offline model's published answer.
const (
	// offlinePieceDelay is the wait between two pieces of an offline
	// answer published to a stream.
	offlinePieceDelay = 20 * time.Millisecond
	// offlineStreamTime bounds the time the pieces of one answer take.
	offlineStreamTime = time.Second
)

// publishOffline publishes an offline answer to the stream the attempt
// publishes to (a request with Stream and a StreamTopic), one word (with its
// trailing space) at a time, paced like a slow model: offlinePieceDelay
// apart, and within offlineStreamTime for the whole text, so a subscriber
// sees it arrive in several batches. Without a publication it does nothing
// and costs no time. When ctx ends, the rest is published at once: the
// pieces always add up to the answer's text.
func publishOffline(ctx context.Context, text string, hb *heartbeat) {
	d := deltasOf(ctx)
	if d == nil || d.pub == nil || text == "" {
		return
	}
	pieces := strings.SplitAfter(text, " ")
	delay := min(offlinePieceDelay, offlineStreamTime/time.Duration(len(pieces)))
	sent := 0
	for i, p := range pieces {
		if i > 0 && ctx.Err() == nil {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
			}
		}
		d.delta(p)
		sent += len(p)
		hb.update(func(pr *Progress) { pr.Chunks, pr.Chars, pr.Tokens = i+1, sent, i+1 })
	}
}
