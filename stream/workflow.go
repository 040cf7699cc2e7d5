package stream

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Stream is the workflow side: an ordered, append-only log of events held
// by the workflow, filled by publishers through the [PublishSignal] signal
// (deduplicated per publisher and sequence) and by [Stream.Publish], and
// read by subscribers through the [PollUpdate] update and the [OffsetQuery]
// and [ReadQuery] queries.
//
// Build it with [New] at the start of the workflow function, before the
// workflow blocks. Its methods run in workflow code only; it is not safe
// for use outside the workflow's coroutines.
type Stream struct {
	opts     Options
	log      []entry
	base     int64
	pubs     map[string]PublisherMark
	draining bool
	waiting  int   // polls waiting for items
	window   int64 // poll timer windows that have ended
}

// entry is one held item, kept in its wire encoding.
type entry struct {
	topic, data string
}

// New registers the stream's signal, update and query handlers on the
// current workflow and returns it, restored from opts.State when set. Call
// it once per run, first thing in the workflow function; a second call
// fails because the handlers are taken.
func New(ctx workflow.Context, opts Options) (*Stream, error) {
	s := &Stream{opts: opts.withDefaults(), pubs: map[string]PublisherMark{}}
	if st := opts.State; st != nil {
		if err := s.restore(st); err != nil {
			return nil, err
		}
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PollUpdate, s.poll,
		workflow.UpdateHandlerOptions{Validator: s.validatePoll}); err != nil {
		return nil, fmt.Errorf("stream: register %s: %w", PollUpdate, err)
	}
	if err := workflow.SetQueryHandler(ctx, OffsetQuery, func() (int64, error) { return s.Offset(), nil }); err != nil {
		return nil, fmt.Errorf("stream: register %s: %w", OffsetQuery, err)
	}
	if err := workflow.SetQueryHandler(ctx, ReadQuery, s.read); err != nil {
		return nil, fmt.Errorf("stream: register %s: %w", ReadQuery, err)
	}
	workflow.Go(ctx, s.receive)
	if s.opts.PollTimeout > 0 {
		workflow.Go(ctx, s.timePolls)
	}
	return s, nil
}

// Publish appends ev to topic from workflow code, for example a status
// line or a marker after an activity's result. It first applies the
// publish signals already delivered to the run, so ev comes after every
// batch an activity sent before it (a batch and an activity's result can
// arrive in one workflow task). It writes nothing to the history: on
// replay the same code appends the same event again. Offset, Topic and
// Payload of ev are ignored; an event without a Kind is refused with
// [ErrNoKind].
func (s *Stream) Publish(ctx workflow.Context, topic string, ev Event) error {
	if ev.Kind == "" {
		return ErrNoKind
	}
	data, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	s.receivePending(ctx)
	s.log = append(s.log, entry{topic: topic, data: data})
	return nil
}

// Offset returns the offset the next item will get: the number of items
// ever appended, across continue-as-new.
func (s *Stream) Offset() int64 { return s.base + int64(len(s.log)) }

// Truncate drops the items before offset (clamped to the held range), to
// bound the workflow's memory; offsets stay as they are. A subscriber
// asking for a dropped offset gets a [*TruncatedError].
func (s *Stream) Truncate(offset int64) {
	n := min(max(offset-s.base, 0), int64(len(s.log)))
	s.log = slices.Clone(s.log[n:])
	s.base += n
}

// Drain stops serving polls (waiting ones return what they have, new ones
// get [ErrTypeStreamDraining] so subscribers retry on the next run) and
// waits until every update handler of the workflow has finished. Publishes
// are still accepted. Call it before the workflow returns or continues as
// new; [Stream.ContinueAsNew] does.
func (s *Stream) Drain(ctx workflow.Context) error {
	s.draining = true
	s.receivePending(ctx)
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// ContinueAsNew drains the stream, captures its [State] and returns the
// continue-as-new error for wfn with the arguments args builds from that
// state; return it from the workflow function:
//
//	return s.ContinueAsNew(ctx, MyWorkflow, func(st *stream.State) []any {
//		return []any{Input{Stream: st, Done: done}}
//	})
func (s *Stream) ContinueAsNew(ctx workflow.Context, wfn any, args func(*State) []any) error {
	if err := s.Drain(ctx); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, wfn, args(s.State(ctx))...)
}

// receive applies publish signals until the run ends. It waits for the
// channel to fill instead of blocking in Receive: a blocked Receive takes
// the batch off the channel at delivery, before this coroutine runs, and
// the main coroutine could then capture the state without it.
func (s *Stream) receive(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, PublishSignal)
	for {
		if err := workflow.Await(ctx, func() bool { return ch.Len() > 0 }); err != nil {
			return
		}
		s.receivePending(ctx)
	}
}

// receivePending applies the publish signals delivered but not yet received.
func (s *Stream) receivePending(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, PublishSignal)
	for {
		var in PublishInput
		if ok := ch.ReceiveAsync(&in); !ok {
			return
		}
		s.apply(ctx, in)
	}
}

// apply appends a batch unless it is a duplicate. Items that are not valid
// protocol items are dropped with a warning.
func (s *Stream) apply(ctx workflow.Context, in PublishInput) {
	if in.PublisherID != "" {
		if m, ok := s.pubs[in.PublisherID]; ok && in.Sequence <= m.Sequence {
			return
		}
		s.pubs[in.PublisherID] = PublisherMark{Sequence: in.Sequence, LastSeen: workflow.Now(ctx)}
	}
	for _, it := range in.Items {
		if _, err := decodePayload(it.Data); err != nil {
			workflow.GetLogger(ctx).Warn("stream: dropped an invalid item", "Publisher", in.PublisherID, "Error", err)
			continue
		}
		s.log = append(s.log, entry{topic: it.Topic, data: it.Data})
	}
}

// timePolls ends the waiting polls once per PollTimeout window, while some
// are waiting.
func (s *Stream) timePolls(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return s.waiting > 0 && !s.draining }); err != nil {
			return
		}
		if err := workflow.Sleep(ctx, s.opts.PollTimeout); err != nil {
			return
		}
		s.window++
	}
}

// validatePoll rejects, without writing history, polls the stream cannot
// serve.
func (s *Stream) validatePoll(in PollInput) error {
	if s.draining {
		return temporal.NewApplicationError("stream: draining for the end of the run; poll again", ErrTypeStreamDraining)
	}
	return s.checkOffset(in.FromOffset)
}

func (s *Stream) checkOffset(from int64) error {
	if from < 0 || from > s.Offset() {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("stream: offset %d is outside the stream (next offset %d); resume from an offset the stream returned, or 0", from, s.Offset()),
			ErrTypeFutureOffset, nil, s.Offset())
	}
	if from != 0 && from < s.base {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("stream: offset %d was truncated; the oldest offset held is %d", from, s.base),
			ErrTypeTruncatedOffset, nil, s.base)
	}
	return nil
}

// poll is the update handler: it waits until an item matching in is held,
// the poll window ends or the stream drains, then answers like read.
func (s *Stream) poll(ctx workflow.Context, in PollInput) (PollResult, error) {
	window := s.window
	match := topicFilter(in.Topics)
	scanned := max(in.FromOffset, s.base)
	s.waiting++
	err := workflow.Await(ctx, func() bool {
		if s.draining || s.window != window || (in.FromOffset != 0 && in.FromOffset < s.base) {
			return true
		}
		for scanned = max(scanned, s.base); scanned < s.Offset(); scanned++ {
			if match(s.log[scanned-s.base].topic) {
				return true
			}
		}
		return false
	})
	s.waiting--
	if err != nil {
		return PollResult{}, err
	}
	return s.read(in)
}

// read is the query handler and the answer of poll: the held items from
// in.FromOffset on that match in.Topics, up to about 1 MB.
func (s *Stream) read(in PollInput) (PollResult, error) {
	if err := s.checkOffset(in.FromOffset); err != nil {
		return PollResult{}, err
	}
	match := topicFilter(in.Topics)
	res := PollResult{Items: []WireItem{}, NextOffset: s.Offset()}
	size := 0
	for i := max(in.FromOffset, s.base) - s.base; i < int64(len(s.log)); i++ {
		e := s.log[i]
		if !match(e.topic) {
			continue
		}
		n := len(e.data) + len(e.topic)
		if size+n > maxPollBytes && len(res.Items) > 0 {
			res.NextOffset, res.MoreReady = s.base+i, true
			break
		}
		size += n
		res.Items = append(res.Items, WireItem{Topic: e.topic, Data: e.data, Offset: s.base + i})
	}
	return res, nil
}

// topicFilter matches every topic when topics is empty.
func topicFilter(topics []string) func(string) bool {
	if len(topics) == 0 {
		return func(string) bool { return true }
	}
	return func(t string) bool { return slices.Contains(topics, t) }
}
