package stream

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
)

// recorder is the signal side of a publisher under test: it records every
// batch sent and answers with the errors queued in fail.
type recorder struct {
	mu   sync.Mutex
	sent []PublishInput
	fail []error
	ch   chan PublishInput
}

func newRecorder(fail ...error) *recorder {
	return &recorder{fail: fail, ch: make(chan PublishInput, 100)}
}

func (r *recorder) send(_ context.Context, in PublishInput) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, in)
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		return err
	}
	r.ch <- in
	return nil
}

func (r *recorder) next(t *testing.T) PublishInput {
	t.Helper()
	select {
	case in := <-r.ch:
		return in
	case <-time.After(10 * time.Second):
		t.Fatal("no batch was sent within 10s")
		return PublishInput{}
	}
}

func events(t *testing.T, in PublishInput) []Event {
	t.Helper()
	var out []Event
	for _, e := range in.Items {
		ev, err := decodeItem(WireItem{Topic: e.Topic, Data: e.Data})
		require.NoError(t, err)
		out = append(out, ev)
	}
	return out
}

func TestPublisherCoalescesAndSendsAtMaxBatchBytes(t *testing.T) {
	r := newRecorder()
	p := newPublisher(t.Context(), PublisherOptions{Topic: "draft", MaxBatchBytes: 10, MaxDelay: time.Hour}, r.send)
	for _, s := range []string{"one ", "two ", "three"} { // 13 bytes: over 10
		p.Delta(s)
	}
	b := r.next(t)
	assert.Equal(t, int64(1), b.Sequence)
	evs := events(t, b)
	require.Len(t, evs, 1, "consecutive deltas travel as one item")
	assert.Equal(t, Event{Topic: "draft", Kind: KindDelta, Text: "one two three"}, evs[0])
	require.NoError(t, p.Close(t.Context(), nil))
	end := events(t, r.next(t))
	require.Len(t, end, 1)
	assert.Equal(t, KindEnd, end[0].Kind)
	st := p.Stats()
	assert.Equal(t, 2, st.Batches)
	assert.Equal(t, 2, st.Events)
	assert.Zero(t, st.Retries)
}

func TestPublisherSendsAfterMaxDelay(t *testing.T) {
	r := newRecorder()
	p := newPublisher(t.Context(), PublisherOptions{MaxDelay: 20 * time.Millisecond}, r.send)
	for _, s := range []string{"hello", "again"} { // the second finds the loop idle
		p.Delta(s)
		evs := events(t, r.next(t)) // no Flush, no Close: the delay sends it
		assert.Equal(t, s, evs[0].Text)
		assert.Equal(t, DefaultTopic, evs[0].Topic)
	}
	require.NoError(t, p.Close(t.Context(), nil))
}

func TestPublisherResendsAFailedBatchWithTheSameSequence(t *testing.T) {
	r := newRecorder(serviceerror.NewUnavailable("down"), serviceerror.NewUnavailable("still down"))
	p := newPublisher(t.Context(), PublisherOptions{MaxDelay: time.Hour}, r.send)
	p.Delta("a")
	require.NoError(t, p.Flush(t.Context()))
	p.Delta("b")
	require.NoError(t, p.Flush(t.Context()))
	require.NoError(t, p.Close(t.Context(), nil))
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Len(t, r.sent, 5, "three sends of batch 1, then batch 2 and the end")
	for _, in := range r.sent[:3] {
		assert.Equal(t, int64(1), in.Sequence)
		assert.Equal(t, r.sent[0].PublisherID, in.PublisherID)
	}
	assert.Equal(t, int64(2), r.sent[3].Sequence)
	assert.Equal(t, int64(3), r.sent[4].Sequence)
	assert.Equal(t, 2, p.Stats().Retries)
}

func TestPublisherStopsWhenTheRunIsClosed(t *testing.T) {
	r := newRecorder(serviceerror.NewNotFound("workflow execution already completed"))
	p := newPublisher(t.Context(), PublisherOptions{MaxDelay: time.Hour}, r.send)
	p.Delta("a")
	err := p.Flush(t.Context())
	require.ErrorIs(t, err, ErrClosed)
	p.Delta("b")
	require.ErrorIs(t, p.Close(t.Context(), nil), ErrClosed)
	assert.Equal(t, 1, p.Stats().Dropped, "the delta after the stop")
	assert.Zero(t, p.Stats().Batches)
}

func TestPublisherGivesUpAfterMaxRetryDuration(t *testing.T) {
	fails := make([]error, 1000)
	for i := range fails {
		fails[i] = errors.New("connection refused")
	}
	r := newRecorder(fails...)
	p := newPublisher(t.Context(), PublisherOptions{MaxDelay: time.Hour, MaxRetryDuration: 300 * time.Millisecond}, r.send)
	p.Delta("a")
	err := p.Flush(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not delivered after 300ms")
	assert.NotErrorIs(t, err, ErrClosed)
}

func TestPublisherSplitsAnOversizedDeltaOnRuneBoundaries(t *testing.T) {
	r := newRecorder()
	p := newPublisher(t.Context(), PublisherOptions{MaxDelay: time.Hour}, r.send)
	text := strings.Repeat("é€", 30_000) // 150,000 bytes of 2- and 3-byte runes
	p.Delta(text)
	require.NoError(t, p.Close(t.Context(), errors.New(strings.Repeat("boom ", 100))))
	var got strings.Builder
	var last Event
	for len(r.ch) > 0 {
		for _, ev := range events(t, <-r.ch) {
			if ev.Kind == KindDelta {
				assert.LessOrEqual(t, len(ev.Text), maxSignalBytes)
				assert.True(t, utf8.ValidString(ev.Text))
				got.WriteString(ev.Text)
			}
			last = ev
		}
	}
	assert.Equal(t, text, got.String())
	assert.Equal(t, KindFailed, last.Kind)
	assert.LessOrEqual(t, len(last.Reason), 200)
	assert.True(t, strings.HasPrefix(last.Reason, "boom boom"))
}

func TestPublisherCloseHonoursItsContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	send := func(ctx context.Context, _ PublishInput) error {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return ctx.Err()
	}
	p := newPublisher(t.Context(), PublisherOptions{MaxDelay: time.Hour}, send)
	p.Delta("a")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := p.Close(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
}

func TestPublishRefusesAnEventWithoutKind(t *testing.T) {
	r := newRecorder()
	p := newPublisher(t.Context(), PublisherOptions{MaxDelay: time.Hour}, r.send)
	require.ErrorIs(t, p.Publish(Event{Text: "what is this?"}), ErrNoKind)
	require.NoError(t, p.Publish(Event{Kind: "status", Text: "thinking"}))
	require.NoError(t, p.Close(t.Context(), nil))
	evs := events(t, r.next(t))
	require.Len(t, evs, 2)
	assert.Equal(t, Kind("status"), evs[0].Kind)
	assert.Equal(t, KindEnd, evs[1].Kind)
}
