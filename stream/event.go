package stream

import (
	"encoding/json"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// Kind says what an [Event] means. The kinds below are the ones this package
// writes; workflow code may publish others with [Stream.Publish].
type Kind string

// Event kinds.
const (
	// KindDelta carries the next piece of an attempt's answer in Text.
	KindDelta Kind = "delta"
	// KindReset starts a new attempt of a call (Attempt) after a retry or a
	// fallback (Reason): discard the text received so far for the call.
	KindReset Kind = "reset"
	// KindFailed ends an attempt that failed (Reason says why). Another
	// attempt, announced by a [KindReset], may follow.
	KindFailed Kind = "failed"
	// KindEnd ends an attempt that succeeded. The authoritative answer is
	// still the activity's result: an attempt can end here and be retried
	// if its result never reached Temporal (a [KindReset] then follows).
	KindEnd Kind = "end"
)

// Reasons of a [KindReset].
const (
	// ReasonRetry: the attempt is a retry of the same model.
	ReasonRetry = "retry"
	// ReasonFallback: the attempt moved to another model.
	ReasonFallback = "fallback"
)

// Event is one item of a stream as this package reads and writes it. On the
// wire it is a JSON payload ({"kind":…,"call":…,"attempt":…,"text":…,
// "reason":…}) that other SDKs' subscribers decode as a plain object.
type Event struct {
	// Offset is the event's global offset, set by [Subscribe]. Offsets
	// start at 0, grow by one per event and continue across
	// continue-as-new.
	Offset int64 `json:"offset"`
	// Topic is the event's topic (one per streamed call site, for example
	// "draft").
	Topic string `json:"topic"`
	// Kind says what the event means.
	Kind Kind `json:"kind"`
	// Call identifies the activity that published the event (its run and
	// activity id); it is the same for every attempt of that activity.
	Call string `json:"call,omitempty"`
	// Attempt is the activity attempt that published the event (from 1).
	Attempt int32 `json:"attempt,omitempty"`
	// Text is the delta's text, or the text of a workflow-published event.
	Text string `json:"text,omitempty"`
	// Reason explains a [KindReset] or [KindFailed].
	Reason string `json:"reason,omitempty"`
	// Payload is set instead of the fields above for an item that is not a
	// JSON event (published by another protocol client).
	Payload *commonpb.Payload `json:"payload,omitempty"`
}

// body is the JSON written into the item payload: offset and topic are
// properties of the item, not of its payload.
type body struct {
	Kind    Kind   `json:"kind"`
	Call    string `json:"call,omitempty"`
	Attempt int32  `json:"attempt,omitempty"`
	Text    string `json:"text,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// encodeEvent returns the protocol encoding of ev's payload.
func encodeEvent(ev Event) (string, error) {
	p, err := converter.GetDefaultDataConverter().ToPayload(body{
		Kind: ev.Kind, Call: ev.Call, Attempt: ev.Attempt, Text: ev.Text, Reason: ev.Reason,
	})
	if err != nil {
		return "", err
	}
	return encodePayload(p)
}

// decodeItem turns a wire item into an Event. An item that is not a JSON
// event object keeps its payload in Event.Payload.
func decodeItem(it WireItem) (Event, error) {
	p, err := decodePayload(it.Data)
	if err != nil {
		return Event{}, err
	}
	ev := Event{Offset: it.Offset, Topic: it.Topic}
	var b body
	if string(p.GetMetadata()[converter.MetadataEncoding]) == converter.MetadataEncodingJSON &&
		json.Unmarshal(p.GetData(), &b) == nil && b.Kind != "" {
		ev.Kind, ev.Call, ev.Attempt, ev.Text, ev.Reason = b.Kind, b.Call, b.Attempt, b.Text, b.Reason
		return ev, nil
	}
	ev.Payload = p
	return ev, nil
}

// DecodeItem decodes one item of a [PollResult] (for callers that speak
// the protocol themselves; [Subscribe] does it for you).
func DecodeItem(it WireItem) (Event, error) { return decodeItem(it) }
