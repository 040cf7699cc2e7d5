package stream

import "time"

// Defaults of [Options].
const (
	// DefaultPollTimeout bounds how long a poll waits in the workflow.
	DefaultPollTimeout = 5 * time.Minute
	// DefaultPublisherTTL is how long a publisher's last sequence number is
	// kept across continue-as-new for deduplication.
	DefaultPublisherTTL = 15 * time.Minute
	// DefaultCarryBytes bounds the log tail a [State] carries.
	DefaultCarryBytes = 256 << 10
)

// Options configures [New]. The zero value is ready to use.
type Options struct {
	// State restores the stream carried from the previous run ([Stream.State]
	// or [Stream.ContinueAsNew]); nil starts an empty stream at offset 0.
	State *State
	// PollTimeout bounds how long a poll waits for items: polls still
	// waiting when it passes return empty and the subscriber polls again.
	// It frees the update slots of subscribers that went away (a run
	// allows 10 updates in flight). The polls of one window share one
	// timer (two history events per window, only while someone polls).
	// 0 means [DefaultPollTimeout]; negative means polls wait without a
	// timer until an item arrives or the stream drains. Changing it
	// between deployments changes the workflow's commands: treat it like
	// workflow code.
	PollTimeout time.Duration
	// PublisherTTL is how long a publisher's sequence number survives
	// continue-as-new (deduplication of a re-sent batch). It must exceed
	// the time a [Publisher] keeps re-sending a batch
	// ([PublisherOptions.MaxRetryDuration]). 0 means [DefaultPublisherTTL].
	PublisherTTL time.Duration
	// CarryBytes bounds the log a [State] carries to the next run: the
	// newest items whose encoded size fits (at least the offsets always
	// survive). Subscribers further behind get a [*TruncatedError].
	// 0 means [DefaultCarryBytes]; negative carries no items.
	CarryBytes int
}

func (o Options) withDefaults() Options {
	if o.PollTimeout == 0 {
		o.PollTimeout = DefaultPollTimeout
	}
	if o.PublisherTTL <= 0 {
		o.PublisherTTL = DefaultPublisherTTL
	}
	if o.CarryBytes == 0 {
		o.CarryBytes = DefaultCarryBytes
	}
	return o
}
