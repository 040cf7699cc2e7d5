package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/llm"
)

// TestMessageStores runs the same checks on every message store.
func TestMessageStores(t *testing.T) {
	stores := map[string]func(t *testing.T) llm.MessageStore{
		"memory": func(*testing.T) llm.MessageStore { return &MemoryMessages{} },
		"file": func(t *testing.T) llm.MessageStore {
			s, err := NewFileMessages(t.TempDir())
			require.NoError(t, err)
			return s
		},
		"postgres": func(t *testing.T) llm.MessageStore {
			pool := durabletest.Postgres(t)
			table := "agent_messages_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
			s, err := NewPostgresMessages(context.Background(), pool, table)
			require.NoError(t, err)
			t.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP TABLE "+table) })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			m := llm.ToolResult("call_1", strings.Repeat("result ", 100))
			ref, err := llm.PutMessage(ctx, s, m)
			require.NoError(t, err)
			again, err := llm.PutMessage(ctx, s, m)
			require.NoError(t, err)
			assert.Equal(t, ref, again, "content-addressed")
			got, err := llm.GetMessage(ctx, s, ref)
			require.NoError(t, err)
			assert.Equal(t, m, got)

			_, err = s.Get(ctx, llm.RefOf(llm.User("never stored")))
			assert.ErrorIs(t, err, llm.ErrRefNotFound)
		})
	}
	_, err := (&FileMessages{dir: t.TempDir()}).Get(context.Background(), "../../etc/passwd")
	require.ErrorContains(t, err, "not a message reference")
	_, err = NewPostgresMessages(context.Background(), nil, "bad name;")
	require.ErrorContains(t, err, "table name")
}
