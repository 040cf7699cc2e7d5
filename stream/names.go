package stream

// Wire names. The first three are the handler names of Temporal's Workflow
// Streams protocol (the Go, Python, TypeScript, Java and .NET SDKs use the
// same ones), so those SDKs' clients can publish to and subscribe from a
// [Stream]. The Go SDK reserves the "__temporal_" prefix but permits this
// sub-namespace.
const (
	// PublishSignal is the signal that appends a batch of items.
	PublishSignal = "__temporal_workflow_stream_publish"
	// PollUpdate is the update that long-polls for items from an offset.
	PollUpdate = "__temporal_workflow_stream_poll"
	// OffsetQuery is the query that returns the next offset (the number of
	// items ever appended).
	OffsetQuery = "__temporal_workflow_stream_offset"
	// ReadQuery is this package's extension: the same request and answer as
	// [PollUpdate], answered at once and without writing to the history.
	// Subscribers use it with [WithQueryPolling] and to read the tail of a
	// closed workflow.
	ReadQuery = "durable_llm_stream_read"
)

// Error types of the *temporal.ApplicationError values the handlers return.
// The first two are the protocol's.
const (
	// ErrTypeTruncatedOffset: the requested offset is older than the oldest
	// item the stream still holds (see [Options.CarryBytes] and
	// [Stream.Truncate]). The error's details hold that oldest offset.
	ErrTypeTruncatedOffset = "TruncatedOffset"
	// ErrTypeStreamDraining: the stream stopped serving polls because the
	// run is ending or continuing as new; poll again shortly (the next run
	// answers).
	ErrTypeStreamDraining = "StreamDraining"
	// ErrTypeFutureOffset: the requested offset is beyond the end of the
	// stream, or negative. Resume from an offset the stream gave you.
	ErrTypeFutureOffset = "FutureOffset"
)
