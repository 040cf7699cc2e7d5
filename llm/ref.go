package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Messages by reference: a long conversation keeps each message's content
// once, in a [MessageStore] the workers share, and requests carry only
// content addresses ([Message.Ref]), so a workflow's history grows by a few
// dozen bytes per message and per turn instead of by the whole conversation.

// ErrTypeMessageStore is a [MessageStore] that failed or lacks a referenced
// message. Retryable: another worker (or the store, once back) may have it.
const ErrTypeMessageStore = "llm.MessageStore"

// ErrRefNotFound is returned (wrapped) by a [MessageStore]'s Get when no
// message is stored under the key.
var ErrRefNotFound = errors.New("llm: no message stored under this reference")

// RefPrefix starts every reference [RefOf] returns.
const RefPrefix = "sha256:"

// MessageStore keeps the content of messages sent by reference. Keys are
// content addresses from [RefOf]: a key always names the same bytes, so Put
// may skip a key it has. Implementations must be safe for concurrent use,
// and every worker that runs the completion activity (and the activities
// that store messages) must see the same store.
type MessageStore interface {
	// Put stores data under key.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns the data stored under key, or an error wrapping
	// [ErrRefNotFound].
	Get(ctx context.Context, key string) ([]byte, error)
}

// RefOf returns the content address of m: [RefPrefix] and the hex SHA-256 of
// m's JSON encoding with Ref cleared. It is a pure function, so workflow
// code can compute the reference of a message an activity stored
// (encoding/json encodes a struct's fields in a fixed order;
// workflowcheck cannot tell).
//
//workflowcheck:ignore
func RefOf(m Message) string {
	b := encodeMessage(m)
	sum := sha256.Sum256(b)
	return RefPrefix + hex.EncodeToString(sum[:])
}

// ByRef returns the message that refers to m: its role, its ToolCallID and
// [RefOf](m). The content must be stored under that reference (see
// [Request.StoreMessages] and [PutMessage]) before a request sends it.
func ByRef(m Message) Message {
	if m.Ref != "" {
		return m
	}
	return Message{Role: m.Role, ToolCallID: m.ToolCallID, Ref: RefOf(m)}
}

// PutMessage stores m in s under [RefOf](m) and returns the reference. It
// runs in activity code (an activity that produces a long tool result
// stores it and returns the reference).
func PutMessage(ctx context.Context, s MessageStore, m Message) (string, error) {
	m.Ref = ""
	ref := RefOf(m)
	if err := s.Put(ctx, ref, encodeMessage(m)); err != nil {
		return "", err
	}
	return ref, nil
}

// GetMessage loads the message stored under ref and checks its hash. It
// runs in activity code.
func GetMessage(ctx context.Context, s MessageStore, ref string) (Message, error) {
	if !strings.HasPrefix(ref, RefPrefix) {
		return Message{}, fmt.Errorf("llm: %q is not a message reference (want %s<hex>)", ref, RefPrefix)
	}
	b, err := s.Get(ctx, ref)
	if err != nil {
		return Message{}, err
	}
	sum := sha256.Sum256(b)
	if got := RefPrefix + hex.EncodeToString(sum[:]); got != ref {
		return Message{}, fmt.Errorf("llm: the store returned other content for %s (hash %s)", ref, got)
	}
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("llm: message %s does not decode: %w", ref, err)
	}
	return m, nil
}

// encodeMessage is the stored form of m: its JSON with Ref cleared.
func encodeMessage(m Message) []byte {
	m.Ref = ""
	b, err := json.Marshal(m)
	if err != nil { // a struct of strings and slices of them always encodes
		panic("llm: encode message: " + err.Error())
	}
	return b
}

// resolveRefs returns req with every message sent by reference loaded from
// the store, and, when req.StoreMessages is set, stores the messages sent
// inline.
func (a *Activities) resolveRefs(ctx context.Context, req Request) (Request, error) {
	byRef := false
	for _, m := range req.Messages {
		byRef = byRef || m.Ref != ""
	}
	if !byRef && !req.StoreMessages {
		return req, nil
	}
	s := a.cfg.Messages
	if s == nil {
		return req, invalidRequest("llm: the request sends messages by reference or asks to store them, but this worker has no llm.Config.Messages: give every worker the shared MessageStore")
	}
	msgs := make([]Message, len(req.Messages))
	for i, m := range req.Messages {
		if m.Ref == "" {
			if req.StoreMessages {
				if _, err := PutMessage(ctx, s, m); err != nil {
					return req, storeError(fmt.Sprintf("store message %d", i), err)
				}
			}
			msgs[i] = m
			continue
		}
		got, err := GetMessage(ctx, s, m.Ref)
		if err != nil {
			return req, storeError(fmt.Sprintf("load message %d (%s)", i, m.Ref), err)
		}
		msgs[i] = got
	}
	req.Messages = msgs
	return req, nil
}

// storeAnswer stores the assistant message of resp, whose reference is
// [RefOf]([AnswerMessage](resp)).
func (a *Activities) storeAnswer(ctx context.Context, resp Response) error {
	if _, err := PutMessage(ctx, a.cfg.Messages, AnswerMessage(resp)); err != nil {
		return storeError("store the answer", err)
	}
	return nil
}

// AnswerMessage is the assistant message of an answer, as it is sent back
// with the conversation: its text and tool calls. With
// [Request.StoreMessages] it is stored under [RefOf](AnswerMessage(resp)).
func AnswerMessage(resp Response) Message {
	return Message{Role: RoleAssistant, Content: resp.Text, ToolCalls: resp.ToolCalls}
}

func storeError(what string, err error) error {
	return temporal.NewApplicationError(
		fmt.Sprintf("llm: message store: %s: %v; check that every worker shares the same llm.Config.Messages", what, err),
		ErrTypeMessageStore)
}
