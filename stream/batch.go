package stream

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"go.temporal.io/api/serviceerror"
)

// errStopped marks a loop stopped by Close after everything was sent.
var errStopped = errors.New("stream: publisher closed")

// run sends batches until Close has sent everything or the publisher
// fails.
func (p *Publisher) run(ctx context.Context) {
	defer close(p.done)
	defer p.cancel()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		p.mu.Lock()
		ready, wait := p.readyLocked(time.Now())
		idle := len(p.buf) == 0 && p.closing
		p.mu.Unlock()
		if idle {
			p.stop(errStopped)
			return
		}
		if !ready {
			if wait > 0 {
				timer.Reset(wait)
			}
			select {
			case <-p.wake:
			case <-timer.C:
			case <-ctx.Done():
				p.stop(fmt.Errorf("stream: publisher stopped: %w", context.Cause(ctx)))
				return
			}
			timer.Stop()
			continue
		}
		batch, upto := p.take()
		if err := p.deliver(ctx, batch, upto); err != nil {
			p.stop(err)
			return
		}
	}
}

// readyLocked says whether a batch should leave now, or how long until the
// oldest buffered event has waited MaxDelay (0: nothing buffered).
func (p *Publisher) readyLocked(now time.Time) (bool, time.Duration) {
	if len(p.buf) == 0 {
		return false, 0
	}
	if p.closing || p.flushTo > p.acked || p.bufBytes >= p.opts.MaxBatchBytes {
		return true, 0
	}
	wait := p.opts.MaxDelay - now.Sub(p.since)
	return wait <= 0, wait
}

// take removes the next batch from the buffer: whole events up to
// MaxBatchBytes (at least one), a too long delta split at a rune boundary.
func (p *Publisher) take() ([]Event, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var (
		batch []Event
		size  int
		upto  int64
	)
	for len(p.buf) > 0 {
		head := &p.buf[0]
		n := len(head.ev.Text) + len(head.ev.Reason)
		if len(batch) > 0 && size+n > p.opts.MaxBatchBytes {
			break
		}
		if n > maxSignalBytes && head.ev.Kind == KindDelta {
			cutAt := maxSignalBytes
			for cutAt > 0 && !utf8.RuneStart(head.ev.Text[cutAt]) {
				cutAt--
			}
			part := head.ev
			part.Text = head.ev.Text[:cutAt]
			head.ev.Text = head.ev.Text[cutAt:]
			p.bufBytes -= cutAt
			batch = append(batch, part)
			break
		}
		batch = append(batch, head.ev)
		size += n
		upto = head.upto
		p.bufBytes -= n
		p.buf = p.buf[1:]
	}
	if len(p.buf) > 0 {
		p.since = time.Now()
	}
	return batch, upto
}

// deliver signals one batch with the next sequence number, sending it
// again after errors for at most MaxRetryDuration.
func (p *Publisher) deliver(ctx context.Context, batch []Event, upto int64) error {
	in := PublishInput{PublisherID: p.id, Items: make([]PublishEntry, 0, len(batch))}
	size := 0
	for _, ev := range batch {
		data, err := encodeEvent(ev)
		if err != nil {
			return err
		}
		in.Items = append(in.Items, PublishEntry{Topic: p.opts.Topic, Data: data})
		size += len(data) + len(p.opts.Topic)
	}
	p.mu.Lock()
	in.Sequence = int64(p.stats.Batches) + 1
	p.mu.Unlock()
	start, backoff := time.Now(), 100*time.Millisecond
	for {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := p.send(sctx, in)
		cancel()
		if err == nil {
			break
		}
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			return fmt.Errorf("%w (%v)", ErrClosed, err)
		case ctx.Err() != nil:
			return fmt.Errorf("stream: publisher stopped: %w", context.Cause(ctx))
		case time.Since(start) > p.opts.MaxRetryDuration:
			return fmt.Errorf("stream: batch %d not delivered after %s: %w", in.Sequence, p.opts.MaxRetryDuration, err)
		}
		p.mu.Lock()
		p.stats.Retries++
		p.mu.Unlock()
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return fmt.Errorf("stream: publisher stopped: %w", context.Cause(ctx))
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	p.mu.Lock()
	p.stats.Batches++
	p.stats.Events += len(in.Items)
	p.stats.Bytes += size
	p.acked = max(p.acked, upto)
	p.notifyLocked()
	p.mu.Unlock()
	return nil
}

// stop ends the publisher with err, dropping what it holds.
func (p *Publisher) stop(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Dropped += len(p.buf)
	p.buf, p.bufBytes = nil, 0
	p.closing = true
	if p.err == nil {
		p.err = err
	}
	p.notifyLocked()
}

func (p *Publisher) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
