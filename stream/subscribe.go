package stream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"go.temporal.io/sdk/client"
)

// SubscribeOption adjusts [Subscribe] and [SSEHandler].
type SubscribeOption func(*subscribeConfig)

type subscribeConfig struct {
	topics   []string
	cooldown time.Duration
	query    bool
	interval time.Duration
}

// Defaults of the subscribe options.
const (
	// DefaultPollCooldown is the least time between two polls that were
	// answered with all that was ready (the protocol's figure): batches
	// arriving meanwhile come in one answer.
	DefaultPollCooldown = 100 * time.Millisecond
	// DefaultQueryInterval is the time between two reads that found
	// nothing new, with [WithQueryPolling].
	DefaultQueryInterval = 250 * time.Millisecond
)

// WithTopics reads only the events of these topics (offsets stay global).
func WithTopics(topics ...string) SubscribeOption {
	return func(c *subscribeConfig) { c.topics = append([]string{}, topics...) }
}

// WithPollCooldown sets the least time between two polls; 0 means
// [DefaultPollCooldown].
func WithPollCooldown(d time.Duration) SubscribeOption {
	return func(c *subscribeConfig) { c.cooldown = d }
}

// WithQueryPolling reads with the [ReadQuery] query every interval (0 means
// [DefaultQueryInterval]) instead of long-polling with the [PollUpdate]
// update. Reads then write nothing to the workflow's history and use none
// of its update slots, at the price of a query task on the worker per read
// and up to interval of latency. It needs a workflow built with this
// package.
func WithQueryPolling(interval time.Duration) SubscribeOption {
	return func(c *subscribeConfig) {
		c.query = true
		c.interval = interval
	}
}

// Subscribe returns the events of workflowID's stream from offset from on
// (0: the oldest held), in order, each once, following continue-as-new. For
// a subscriber that resumes, from is the offset after the last event it
// handled.
//
//	for ev, err := range stream.Subscribe(ctx, c, workflowID, from) {
//		if err != nil {
//			return err
//		}
//		fmt.Print(ev.Text)
//	}
//
// It long-polls with the [PollUpdate] update (each answered poll writes
// two events to the history; see [WithQueryPolling] for reads that write
// none; while the run refuses polls for its update limits, the
// subscription reads with the query). The iteration ends without error when the workflow has closed and
// every event it held was read; it yields ctx's error when ctx ends, a
// [*TruncatedError] (and then continues unless the loop breaks) when
// events were dropped before this subscriber read them, and any other
// error last. Transient server errors are retried, and a read the server
// does not answer within 10 s (a query handed to a worker that died) is
// asked again; a closed workflow's tail is asked for for up to 2 minutes,
// while a worker that can replay it comes back.
func Subscribe(ctx context.Context, c client.Client, workflowID string, from int64, opts ...SubscribeOption) iter.Seq2[Event, error] {
	cfg := subscribeConfig{topics: []string{}}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.cooldown <= 0 {
		cfg.cooldown = DefaultPollCooldown
	}
	if cfg.interval <= 0 {
		cfg.interval = DefaultQueryInterval
	}
	return func(yield func(Event, error) bool) {
		s := &subscription{c: c, workflowID: workflowID, cfg: cfg, offset: from}
		for {
			res, err := s.next(ctx)
			var trunc *TruncatedError
			switch {
			case errors.Is(err, errEnd):
				return
			case errors.As(err, &trunc):
				if !yield(Event{}, err) {
					return
				}
				s.offset = trunc.Base
				continue
			case err != nil:
				yield(Event{}, err)
				return
			}
			// Asked for "the oldest held" without a filter: a first item
			// past the start means the beginning was dropped.
			if s.offset == 0 && len(cfg.topics) == 0 && len(res.Items) > 0 && res.Items[0].Offset > 0 {
				if !yield(Event{}, &TruncatedError{Requested: 0, Base: res.Items[0].Offset}) {
					return
				}
			}
			for _, it := range res.Items {
				ev, err := decodeItem(it)
				if err != nil {
					yield(Event{}, fmt.Errorf("stream: item at offset %d: %w", it.Offset, err))
					return
				}
				if !yield(ev, nil) {
					return
				}
			}
			s.offset = max(s.offset, res.NextOffset)
		}
	}
}

// Offset returns the offset the next event of workflowID's stream will get
// (subscribe from it to read only what comes next).
func Offset(ctx context.Context, c client.Client, workflowID string) (int64, error) {
	v, err := c.QueryWorkflow(ctx, workflowID, "", OffsetQuery)
	if err != nil {
		return 0, err
	}
	var off int64
	return off, v.Get(&off)
}
