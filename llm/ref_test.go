package llm

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapStore is a MessageStore in a map, for these tests.
type mapStore struct {
	mu   sync.Mutex
	data map[string][]byte
	puts int
}

func (s *mapStore) Put(_ context.Context, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = map[string][]byte{}
	}
	s.data[key] = append([]byte(nil), data...)
	s.puts++
	return nil
}

func (s *mapStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.data[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, ErrRefNotFound)
	}
	return b, nil
}

func TestMessagesByRef(t *testing.T) {
	store := &mapStore{}
	a := newActivities(t, Config{Models: map[string]Model{"m": Offline()}, Messages: store})
	long := strings.Repeat("The customer wrote a long complaint about order A-1001. ", 50)
	first := []Message{System("You are terse."), User(long)}

	r1, err := runOnce(t, a, Request{Messages: first, StoreMessages: true})
	require.NoError(t, err)
	assert.Equal(t, 3, store.puts, "two inline messages and the answer")

	// The next request sends everything by reference; the model sees the
	// same conversation as if it were inline.
	next := []Message{ByRef(first[0]), ByRef(first[1]), ByRef(AnswerMessage(r1)), User("and now?")}
	for _, m := range next[:3] {
		assert.Empty(t, m.Content)
		assert.True(t, strings.HasPrefix(m.Ref, RefPrefix))
	}
	byRef, err := runOnce(t, a, Request{Messages: next})
	require.NoError(t, err)
	inline, err := runOnce(t, a, Request{Messages: append(append([]Message{}, first...), AnswerMessage(r1), User("and now?"))})
	require.NoError(t, err)
	assert.Equal(t, inline.Text, byRef.Text)
	assert.Equal(t, inline.PromptTokens, byRef.PromptTokens, "the loaded content was sent")

	m, err := GetMessage(context.Background(), store, next[1].Ref)
	require.NoError(t, err)
	assert.Equal(t, first[1], m)
}

func TestMessagesByRefErrors(t *testing.T) {
	ref := ByRef(User("hello"))
	t.Run("no store on the worker", func(t *testing.T) {
		a := offlineActivities(t)
		_, err := runOnce(t, a, Request{Messages: []Message{ref}})
		ae := appError(t, err)
		assert.Equal(t, ErrTypeInvalidRequest, ae.Type())
		assert.True(t, ae.NonRetryable())
		assert.Contains(t, ae.Error(), "llm.Config.Messages")
	})
	t.Run("missing reference", func(t *testing.T) {
		a := newActivities(t, Config{Models: map[string]Model{"m": Offline()}, Messages: &mapStore{}})
		_, err := runOnce(t, a, Request{Messages: []Message{ref}})
		ae := appError(t, err)
		assert.Equal(t, ErrTypeMessageStore, ae.Type())
		assert.False(t, ae.NonRetryable(), "another worker or the store, once back, may have it")
		assert.ErrorContains(t, err, ref.Ref)
	})
	t.Run("corrupted content", func(t *testing.T) {
		s := &mapStore{}
		require.NoError(t, s.Put(context.Background(), ref.Ref, []byte(`{"Role":"user","Content":"other"}`)))
		_, err := GetMessage(context.Background(), s, ref.Ref)
		require.ErrorContains(t, err, "other content")
	})
}
