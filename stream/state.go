package stream

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"
)

// State is what a stream carries across continue-as-new: the next run's
// offsets continue from it. Put a *State field in the workflow's input and
// pass it to [New] as [Options.State]. It is this package's own format
// (the Workflow Streams protocol leaves it to each SDK).
type State struct {
	// Log is the carried tail, oldest first; offsets are implied.
	Log []WireItem `json:"log"`
	// BaseOffset is the offset of Log[0] (of the next item when Log is
	// empty).
	BaseOffset int64 `json:"base_offset"`
	// Publishers are the publishers seen within [Options.PublisherTTL].
	Publishers map[string]PublisherMark `json:"publishers,omitempty"`
}

// PublisherMark is the last batch accepted from one publisher.
type PublisherMark struct {
	// Sequence is the last accepted sequence number.
	Sequence int64 `json:"sequence"`
	// LastSeen is the workflow time it was accepted.
	LastSeen time.Time `json:"last_seen"`
}

// State returns the stream's state for the next run: the offsets, the
// newest items within [Options.CarryBytes] and the publishers seen within
// [Options.PublisherTTL]. Call it after [Stream.Drain], as the last thing
// before continuing as new ([Stream.ContinueAsNew] does both).
func (s *Stream) State(ctx workflow.Context) *State {
	s.receivePending(ctx)
	st := &State{Publishers: map[string]PublisherMark{}}
	size := 0
	keep := len(s.log)
	for keep > 0 && s.opts.CarryBytes > 0 {
		n := len(s.log[keep-1].data) + len(s.log[keep-1].topic)
		if size+n > s.opts.CarryBytes {
			break
		}
		size += n
		keep--
	}
	st.BaseOffset = s.base + int64(keep)
	st.Log = make([]WireItem, 0, len(s.log)-keep)
	for _, e := range s.log[keep:] {
		st.Log = append(st.Log, WireItem{Topic: e.topic, Data: e.data})
	}
	now := workflow.Now(ctx)
	// Sorted keys: the map is read in a fixed order.
	ids := slices.Sorted(maps.Keys(s.pubs)) //workflowcheck:ignore
	for _, id := range ids {
		if m := s.pubs[id]; now.Sub(m.LastSeen) < s.opts.PublisherTTL {
			st.Publishers[id] = m
		}
	}
	return st
}

// restore loads a carried state into an empty stream.
func (s *Stream) restore(st *State) error {
	if st.BaseOffset < 0 {
		return fmt.Errorf("stream: carried state has a negative base offset %d; pass the *State that Stream.State returned", st.BaseOffset)
	}
	s.base = st.BaseOffset
	for i, it := range st.Log {
		if _, err := decodePayload(it.Data); err != nil {
			return fmt.Errorf("stream: carried item %d (offset %d): %w; pass the *State that Stream.State returned", i, st.BaseOffset+int64(i), err)
		}
		s.log = append(s.log, entry{topic: it.Topic, data: it.Data})
	}
	maps.Copy(s.pubs, st.Publishers) //workflowcheck:ignore a copy does not depend on the order
	return nil
}
