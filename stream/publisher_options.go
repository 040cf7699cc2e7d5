package stream

import "time"

// Defaults of [PublisherOptions].
const (
	// DefaultTopic is the topic of a publisher whose options name none.
	DefaultTopic = "llm"
	// DefaultMaxDelay is how long a delta may wait for its batch.
	DefaultMaxDelay = 500 * time.Millisecond
	// DefaultMaxBatchBytes is the buffered size that sends a batch at once.
	DefaultMaxBatchBytes = 16 << 10
	// DefaultMaxRetryDuration is how long a failing batch is re-sent.
	DefaultMaxRetryDuration = time.Minute
)

// maxSignalBytes bounds one batch's items whatever MaxBatchBytes says
// (a signal is one payload of at most 2 MiB).
const maxSignalBytes = 128 << 10

// PublisherOptions configures [NewPublisher] and [NewClientPublisher]. The
// zero value is ready to use.
//
// A publisher sends one signal (one history event, plus the workflow task it
// wakes) per batch. A batch leaves when its oldest event has waited MaxDelay,
// when the buffer reaches MaxBatchBytes, on Flush and on Close, and only one
// batch is in flight at a time, so an answer of d seconds and b bytes costs
// at most about d/MaxDelay + b/MaxBatchBytes + 2 signals, however many
// tokens it has.
type PublisherOptions struct {
	// Topic is the topic of the events; empty means [DefaultTopic].
	Topic string
	// MaxDelay bounds how long an event waits before its batch is sent;
	// 0 means [DefaultMaxDelay].
	MaxDelay time.Duration
	// MaxBatchBytes sends a batch as soon as the buffered text reaches it;
	// 0 means [DefaultMaxBatchBytes]. A batch never carries more than 128 KiB of text.
	MaxBatchBytes int
	// MaxRetryDuration bounds how long a batch whose signal fails is sent
	// again before the publisher gives up; 0 means
	// [DefaultMaxRetryDuration]. Keep it below the stream's
	// [Options.PublisherTTL].
	MaxRetryDuration time.Duration
	// Reason is the reason of the [KindReset] an attempt after the first
	// publishes before anything else; empty means [ReasonRetry].
	Reason string
}

func (o PublisherOptions) withDefaults() PublisherOptions {
	if o.Topic == "" {
		o.Topic = DefaultTopic
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = DefaultMaxDelay
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	o.MaxBatchBytes = min(o.MaxBatchBytes, maxSignalBytes)
	if o.MaxRetryDuration <= 0 {
		o.MaxRetryDuration = DefaultMaxRetryDuration
	}
	if o.Reason == "" {
		o.Reason = ReasonRetry
	}
	return o
}
