package stream

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservicemock/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
)

// Publisher is the worker side: it buffers an activity's events, batches
// them and signals each batch to the workflow's [Stream] with its publisher
// id and sequence number, so a batch sent twice is applied once. Only one
// batch is in flight at a time, so batches arrive in order.
//
// Publishing never fails the caller's work: Delta and Publish only buffer;
// a publisher whose workflow closed or whose signals keep failing stops and
// drops what it holds (see [Publisher.Close] and [PublisherStats]). The
// final answer still comes from the activity's result.
//
// A Publisher is safe for concurrent use. Close it when the attempt ends.
type Publisher struct {
	opts    PublisherOptions
	send    func(context.Context, PublishInput) error
	id      string
	call    string
	attempt int32
	cancel  context.CancelFunc
	done    chan struct{}
	wake    chan struct{}

	mu       sync.Mutex
	buf      []pending
	bufBytes int
	since    time.Time // when the oldest buffered event arrived
	queued   int64     // events ever buffered
	acked    int64     // events delivered or dropped
	flushTo  int64     // send at once up to this event
	closing  bool
	err      error
	stats    PublisherStats
	changed  chan struct{} // closed when acked or err change
}

// pending is one buffered event; upto is the number of buffered events it
// accounts for (deltas coalesce).
type pending struct {
	ev   Event
	upto int64
}

// PublisherStats counts what a [Publisher] did.
type PublisherStats struct {
	// Batches is the number of signals the server accepted.
	Batches int
	// Events is the number of items those signals carried (consecutive
	// deltas coalesce into one item).
	Events int
	// Bytes is the encoded size of those items.
	Bytes int
	// Retries is the number of signals sent again after an error.
	Retries int
	// Dropped is the number of events not delivered (publisher stopped).
	Dropped int
}

// NewPublisher returns a publisher for the current activity attempt: it
// signals the run of the workflow that scheduled the activity through the
// activity's client (activity.GetClient), tags every event with the call
// (run and activity id) and the attempt, and, when the attempt is not the
// first, publishes a [KindReset] with opts.Reason at once. It returns
// [ErrNotActivity] outside an activity scheduled by a workflow, and
// [ErrTestEnvironment] in the SDK's test environment (testsuite), whose
// client cannot deliver signals.
func NewPublisher(ctx context.Context, opts PublisherOptions) (*Publisher, error) {
	if !activity.IsActivity(ctx) {
		return nil, ErrNotActivity
	}
	info := activity.GetInfo(ctx)
	if info.WorkflowExecution.ID == "" {
		return nil, ErrNotActivity
	}
	c := activity.GetClient(ctx)
	if _, mock := c.WorkflowService().(*workflowservicemock.MockWorkflowServiceClient); mock {
		return nil, ErrTestEnvironment
	}
	wf := info.WorkflowExecution
	p := newPublisher(ctx, opts, func(ctx context.Context, in PublishInput) error {
		return c.SignalWorkflow(ctx, wf.ID, wf.RunID, PublishSignal, in)
	})
	p.call = wf.RunID + "/" + info.ActivityID
	p.attempt = info.Attempt
	if p.attempt > 1 {
		p.add(Event{Kind: KindReset, Reason: p.opts.Reason}, true)
	}
	return p, nil
}

// NewClientPublisher returns a publisher for code outside activities (a
// starter, a service): it signals the latest run of workflowID through c.
// Its events carry no call or attempt. ctx bounds the publisher's life.
func NewClientPublisher(ctx context.Context, c client.Client, workflowID string, opts PublisherOptions) *Publisher {
	return newPublisher(ctx, opts, func(ctx context.Context, in PublishInput) error {
		return c.SignalWorkflow(ctx, workflowID, "", PublishSignal, in)
	})
}

func newPublisher(ctx context.Context, opts PublisherOptions, send func(context.Context, PublishInput) error) *Publisher {
	ctx, cancel := context.WithCancel(ctx)
	p := &Publisher{
		opts:    opts.withDefaults(),
		send:    send,
		id:      strings.ReplaceAll(uuid.NewString(), "-", "")[:16],
		cancel:  cancel,
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		changed: make(chan struct{}),
	}
	go p.run(ctx)
	return p
}

// Delta buffers the next piece of the answer. Consecutive deltas travel as
// one item. It never blocks on the network.
func (p *Publisher) Delta(text string) {
	if text != "" {
		p.add(Event{Kind: KindDelta, Text: text}, false)
	}
}

// Publish buffers ev (its Offset, Topic and Payload are ignored; Call and
// Attempt default to the publisher's). It never blocks on the network. An
// event without a Kind is refused with [ErrNoKind].
func (p *Publisher) Publish(ev Event) error {
	if ev.Kind == "" {
		return ErrNoKind
	}
	p.add(ev, false)
	return nil
}

// add buffers ev; now sends it without waiting for MaxDelay.
func (p *Publisher) add(ev Event, now bool) {
	p.mu.Lock()
	kick := p.addLocked(ev, now)
	p.mu.Unlock()
	if kick {
		p.kick()
	}
}

// addLocked buffers ev and says whether the loop should look at once.
func (p *Publisher) addLocked(ev Event, now bool) bool {
	ev.Offset, ev.Topic, ev.Payload = 0, "", nil
	if ev.Call == "" {
		ev.Call = p.call
	}
	if ev.Attempt == 0 {
		ev.Attempt = p.attempt
	}
	if p.closing || p.err != nil {
		p.stats.Dropped++
		return false
	}
	p.queued++
	wasEmpty := len(p.buf) == 0
	if n := len(p.buf); n > 0 && ev.Kind == KindDelta && p.buf[n-1].ev.Kind == KindDelta &&
		p.buf[n-1].ev.Call == ev.Call && p.buf[n-1].ev.Attempt == ev.Attempt {
		p.buf[n-1].ev.Text += ev.Text
		p.buf[n-1].upto = p.queued
	} else {
		if len(p.buf) == 0 {
			p.since = time.Now()
		}
		p.buf = append(p.buf, pending{ev: ev, upto: p.queued})
	}
	p.bufBytes += len(ev.Text) + len(ev.Reason)
	if now {
		p.flushTo = p.queued
	}
	// The loop sleeps while the buffer is empty: wake it to time the batch.
	return now || wasEmpty || p.bufBytes >= p.opts.MaxBatchBytes
}

func (p *Publisher) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Flush sends what is buffered and waits until the workflow accepted it.
// It returns [ErrClosed] or the signal's error when the publisher stopped.
func (p *Publisher) Flush(ctx context.Context) error {
	p.mu.Lock()
	target := p.queued
	p.flushTo = target
	p.mu.Unlock()
	p.kick()
	for {
		p.mu.Lock()
		acked, err, changed := p.acked, p.err, p.changed
		p.mu.Unlock()
		if err != nil {
			return err
		}
		if acked >= target {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close ends the attempt's events: a [KindEnd] when result is nil, else a
// [KindFailed] whose reason is result's message (cut to 200 bytes). It
// sends what is buffered, waits for it within ctx and stops the publisher.
// It returns nil when everything was delivered, [ErrClosed] when the run
// had closed, ctx's error when it expired first, or the signal's error.
// Calling it again returns the same outcome.
func (p *Publisher) Close(ctx context.Context, result error) error {
	p.mu.Lock()
	if !p.closing && p.err == nil {
		end := Event{Kind: KindEnd}
		if result != nil {
			end = Event{Kind: KindFailed, Reason: cut(result.Error(), 200)}
		}
		p.addLocked(end, true)
		p.closing = true
	}
	p.mu.Unlock()
	p.kick()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.cancel()
		<-p.done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil || errors.Is(p.err, errStopped) {
		return nil
	}
	return p.err
}

// Stats returns what the publisher did so far.
func (p *Publisher) Stats() PublisherStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
