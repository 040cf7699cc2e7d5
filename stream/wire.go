package stream

import (
	"encoding/base64"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// The types below are the JSON envelopes of the Workflow Streams protocol:
// their field names are the protocol's, and an item's Data is the base64 of
// a marshalled temporal.api.common.v1.Payload. The client's codec chain
// (encryption, compression) runs once on the envelope, never per item.

// PublishEntry is one item of a [PublishInput].
type PublishEntry struct {
	// Topic labels the item; subscribers can filter on it.
	Topic string `json:"topic"`
	// Data is base64(proto(Payload)).
	Data string `json:"data"`
}

// PublishInput is the argument of the [PublishSignal] signal: one batch.
// A batch whose PublisherID is set and whose Sequence is not above the last
// one accepted from that publisher is a duplicate and is dropped whole.
type PublishInput struct {
	// Items are appended in order.
	Items []PublishEntry `json:"items"`
	// PublisherID identifies the sender for deduplication.
	PublisherID string `json:"publisher_id"`
	// Sequence numbers the sender's batches from 1.
	Sequence int64 `json:"sequence"`
}

// PollInput is the argument of the [PollUpdate] update and the [ReadQuery]
// query.
type PollInput struct {
	// Topics filters the items; empty means every topic.
	Topics []string `json:"topics"`
	// FromOffset is the first offset wanted. 0 means the oldest item held.
	FromOffset int64 `json:"from_offset"`
}

// WireItem is one item of a [PollResult] (and of a carried [State]).
type WireItem struct {
	// Topic is the item's topic.
	Topic string `json:"topic"`
	// Data is base64(proto(Payload)).
	Data string `json:"data"`
	// Offset is the item's global offset (0 in a [State], where it is
	// implied by the position).
	Offset int64 `json:"offset"`
}

// PollResult is the answer of [PollUpdate] and [ReadQuery].
type PollResult struct {
	// Items are the items from the requested offset on, in order.
	Items []WireItem `json:"items"`
	// NextOffset is the offset to ask for next.
	NextOffset int64 `json:"next_offset"`
	// MoreReady says the answer was cut at about 1 MB: ask again at once.
	MoreReady bool `json:"more_ready"`
}

// maxPollBytes bounds the items of one answer (the protocol's figure); an
// update result is one payload, limited to 2 MiB.
const maxPollBytes = 1_000_000

// encodePayload is the protocol's item encoding.
func encodePayload(p *commonpb.Payload) (string, error) {
	b, err := proto.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("stream: marshal payload: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// decodePayload reverses encodePayload.
func decodePayload(s string) (*commonpb.Payload, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("stream: item data is not base64: %w", err)
	}
	p := &commonpb.Payload{}
	if err := proto.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("stream: item data is not a Temporal payload: %w", err)
	}
	return p, nil
}
