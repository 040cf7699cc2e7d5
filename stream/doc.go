// Package stream gives a workflow a durable, ordered, resumable stream of
// events — typically the deltas of a streamed LLM answer — that clients
// follow while it is produced: from Go with an iterator, from browsers with
// Server-Sent Events.
//
// # Workflow side
//
// [New] registers the stream's handlers; call it first thing in the
// workflow function and carry its [State] across continue-as-new:
//
//	s, err := stream.New(ctx, stream.Options{State: in.Stream})
//	...
//	err = s.Publish(ctx, "status", stream.Event{Kind: "status", Text: "drafting"}) // from workflow code, free
//	...
//	return s.ContinueAsNew(ctx, MyWorkflow, func(st *stream.State) []any { in.Stream = st; return []any{in} })
//	...
//	return answer, s.Drain(ctx) // before returning: waiting polls end, new ones go to the next run
//
// The stream is an in-memory log: every item has a global offset (0, 1, 2,
// … across continue-as-new). Publishers' batches arrive by the
// [PublishSignal] signal; a batch carries its publisher's id and sequence
// number and a batch already applied is dropped, so a re-sent signal never
// doubles text. [Stream.Publish] appends from workflow code without writing
// anything to the history. The stream runs in workflow code and is
// deterministic (workflowcheck passes).
//
// # Worker side
//
// In the activity, [NewPublisher] targets the workflow that scheduled it,
// through the activity's own client:
//
//	pub, err := stream.NewPublisher(ctx, stream.PublisherOptions{Topic: "answer"})
//	for chunk := range chunks {
//		pub.Delta(chunk) // buffered, never blocks on the network
//	}
//	_ = pub.Close(ctx, err) // last batch, with an end (or failed) marker
//
// Deltas are batched: a batch leaves when its oldest delta has waited
// [PublisherOptions.MaxDelay] (500 ms) or the buffer holds MaxBatchBytes
// (16 KiB), one batch in flight at a time, so a long answer costs a bounded
// number of signals: about duration/MaxDelay + bytes/MaxBatchBytes + 2,
// whatever its token count. Each event carries its call (run and activity
// id) and attempt. An attempt after the first starts with a [KindReset]
// marker (reason [ReasonRetry] or [ReasonFallback]) and a failed attempt
// ends with [KindFailed], so readers discard the partial text of the failed
// attempt; [Transcript] applies these rules. Publishing never fails the
// activity: a publisher whose run closed or whose signals keep failing
// stops and drops the rest. The answer itself still comes from the
// activity's result; the stream shows progress.
//
// # Subscribers
//
// [Subscribe] returns an iterator over the events from an offset; to resume
// after a disconnect, pass the offset after the last event handled:
//
//	for ev, err := range stream.Subscribe(ctx, c, workflowID, from) {
//		if err != nil {
//			return err
//		}
//		show(ev)
//	}
//
// Every event arrives once and in order, across disconnects and
// continue-as-new. The iteration ends when the workflow has closed and its
// last events were read (they are read with the [ReadQuery] query, which
// needs a worker). By default it long-polls with the [PollUpdate] update;
// [WithQueryPolling] reads with the query instead (see Costs), and a
// subscription whose polls the run refuses for its update limits reads
// with the query for a while.
//
// [SSEHandler] serves the same iterator as Server-Sent Events: the event id
// is the offset, and a reconnecting EventSource resumes after Last-Event-ID.
// It does no access control; mount it behind your authentication.
//
// # Retention and continue-as-new
//
// The log lives in the workflow's memory and is rebuilt on replay from the
// signals in the history. [Stream.State] carries the newest items within
// [Options.CarryBytes] (256 KiB) and the offsets to the next run; a
// subscriber asking for an older offset gets a [*TruncatedError] saying
// which events it missed, and the iteration goes on from the oldest held.
// [Stream.Truncate] drops old items earlier. Publishers' sequence numbers
// are carried for [Options.PublisherTTL] (15 minutes).
//
// # Costs
//
// Measured on the dev server (TestHistoryCostPer1000Tokens, 1,000 tokens at
// 150 to 180 tokens/s, default options, three runs): publishing adds 41 to
// 52 history events and 13.5 to 15 KB per 1,000 tokens (11 to 13 signals,
// each with the workflow task it wakes). A long-polling subscriber adds
// about 5 events per answered poll (update accepted and completed, and a
// workflow task), 59 to 63 more per 1,000 tokens here; a query-polling
// subscriber adds none. Polls use
// update slots (10 in flight, 2,000 per run): a workflow that streams for a
// long time should continue as new when the server suggests it. Waiting
// polls share one timer per [Options.PollTimeout] window (5 minutes).
//
// # Compatibility with Temporal's Workflow Streams
//
// The handler names ([PublishSignal], [PollUpdate], [OffsetQuery]), the
// JSON envelopes ([PublishInput], [PollInput], [PollResult]), the item
// encoding (base64 of a marshalled Payload), deduplication by publisher id
// and sequence, global offsets, ~1 MB answer paging and the error types
// [ErrTypeTruncatedOffset] and [ErrTypeStreamDraining] are those of the
// protocol shared by Temporal's Go, Python, TypeScript, Java and .NET SDKs:
// their clients can subscribe to and publish to a [Stream], and
// [Subscribe] can follow a stream hosted by their WorkflowStream. Not
// shared: an [Event] is this package's JSON object (other clients see a
// JSON object with kind, call, attempt, text and reason); [ReadQuery] and
// [ErrTypeFutureOffset] are extensions (other SDKs' workflows answer
// neither, so reading the tail of such a closed workflow ends with an
// error); [State] is this package's own format (continue-as-new stays
// within one workflow type); polls end empty after [Options.PollTimeout];
// and the publisher's batching knobs differ (the SDKs' BatchInterval
// defaults to 2 s).
//
// # Errors
//
// The handlers answer with *temporal.ApplicationError values of the
// ErrType constants ([IsTruncated], [IsDraining], [IsFutureOffset]).
// [Subscribe] retries transient server errors and yields [*TruncatedError]
// and lasting errors; [NewPublisher] returns [ErrNotActivity] outside an
// activity; a stopped publisher reports [ErrClosed] or the signal's error
// from Flush and Close.
//
// # Testing
//
// The workflow side runs in go.temporal.io/sdk/testsuite (see the
// examples); a [Publisher] needs a real server, so the package's
// integration tests run on the dev server (durable/durabletest):
// disconnect and resume, retries after an error and after a worker crash,
// continue-as-new, and the history cost above.
package stream
