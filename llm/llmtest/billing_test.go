package llmtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// TestDisconnectMidGenerationStillBillsOnce is issue #12's blind spot: a
// client (a worker) that goes away while the answer is being generated
// does not stop the provider, which finishes the generation and bills it.
func TestDisconnectMidGenerationStillBillsOnce(t *testing.T) {
	calls := map[string]func(ctx context.Context, s *llmtest.Server) error{
		"chat": func(ctx context.Context, s *llmtest.Server) error {
			_, err := newClient(s).Chat.Completions.New(ctx, params("go"))
			return err
		},
		"chat stream": func(ctx context.Context, s *llmtest.Server) error {
			st := newClient(s).Chat.Completions.NewStreaming(ctx, params("go"))
			for st.Next() {
			}
			return st.Err()
		},
		"responses": func(ctx context.Context, s *llmtest.Server) error {
			_, err := newClient(s).Responses.New(ctx, respParams("go"))
			return err
		},
		"responses stream": func(ctx context.Context, s *llmtest.Server) error {
			st := newClient(s).Responses.NewStreaming(ctx, respParams("go"))
			for st.Next() {
			}
			return st.Err()
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			hold := make(chan struct{})
			s.Enqueue(llmtest.Reply{Content: "one two three", Hold: hold})
			ctx, cancel := context.WithCancel(t.Context())
			errc := make(chan error, 1)
			go func() { errc <- call(ctx, s) }()

			require.True(t, s.WaitRequests(1, waitFor))
			cancel() // the worker dies mid-generation
			require.ErrorIs(t, <-errc, context.Canceled)
			require.True(t, s.WaitHandled(1, waitFor), "the server notices the client left")
			assert.Zero(t, s.Billed(), "not billed before the generation ends")
			assert.Equal(t, 1, s.Stats().InFlight, "the generation goes on")

			close(hold)
			require.True(t, s.WaitSettled(waitFor))
			assert.Equal(t, 1, s.Billed(), "billed once although nobody received it")
			c := s.Calls()[0]
			assert.True(t, c.Billed)
			assert.True(t, c.Abandoned)
			assert.False(t, c.Delivered)
			assert.Equal(t, llmtest.StatusCompleted, c.Status)
			assert.Equal(t, 3, c.OutputTokens)
			r := s.Requests()[0]
			assert.True(t, r.Billed)
			assert.Equal(t, 3, r.CompletionTokens)
			assert.Equal(t, llmtest.Stats{Calls: 1, Billed: 1, InputTokens: 3, OutputTokens: 3, Abandoned: 1}, s.Stats())
		})
	}
}

// A retry that buys the answer again is visible in the stats: two calls,
// two bills, one abandoned.
func TestRepurchaseIsCounted(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "answer", GenerationTime: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(s).Chat.Completions.New(ctx, params("go"))
		errc <- err
	}()
	require.True(t, s.WaitRequests(1, waitFor))
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	res, err := newClient(s).Chat.Completions.New(t.Context(), params("go"))
	require.NoError(t, err)
	assert.Equal(t, "echo: go", res.Choices[0].Message.Content)
	require.True(t, s.WaitSettled(waitFor))
	st := s.Stats()
	assert.Equal(t, 2, st.Billed)
	assert.Equal(t, 1, st.Abandoned)
}

func TestGenerationTimePacesTheStream(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a b c d", GenerationTime: 40 * time.Millisecond})
	res := readStream(newClient(s).Chat.Completions.NewStreaming(t.Context(), params("go")))
	require.NoError(t, res.err)
	assert.Equal(t, "a b c d", res.content)
	c := s.Calls()[0]
	assert.GreaterOrEqual(t, c.Finished.Sub(c.Created), 40*time.Millisecond, "the last piece comes at GenerationTime")
}

func TestCloseStopsGenerationsUnbilled(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "a b", ChunkDelay: time.Hour}, llmtest.Hung())
	c := newClient(s)
	_, err := c.Responses.New(t.Context(), background(respParams("slow")))
	require.NoError(t, err)
	_, err = c.Responses.New(t.Context(), background(respParams("queued")))
	require.NoError(t, err)
	assert.Equal(t, 2, s.Stats().InFlight)

	s.Close()
	require.True(t, s.WaitSettled(waitFor), "Close stops running and queued generations")
	assert.Zero(t, s.Billed())
	assert.Equal(t, llmtest.Stats{Calls: 2}, s.Stats())
	assert.Equal(t, llmtest.StatusInProgress, s.Calls()[0].Status)
	assert.Equal(t, llmtest.StatusQueued, s.Calls()[1].Status)
}

func TestBackgroundDelayQueuesThenRuns(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "late", Delay: 20 * time.Millisecond})
	c := newClient(s)
	res, err := c.Responses.New(t.Context(), background(respParams("go")))
	require.NoError(t, err)
	assert.Equal(t, responses.ResponseStatusQueued, res.Status, "a background create does not wait for Delay")
	require.True(t, s.WaitSettled(waitFor))
	got, err := c.Responses.Get(t.Context(), res.ID, responses.ResponseGetParams{})
	require.NoError(t, err)
	assert.Equal(t, "late", got.OutputText())
	assert.Equal(t, 1, s.Billed())
}

func TestStatsTotals(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(
		llmtest.Reply{Content: "x", PromptTokens: 10, CompletionTokens: 7},
		llmtest.ServerError(500),
		llmtest.Reply{Content: "y", PromptTokens: 5, CompletionTokens: 2},
	)
	c := newClient(s)
	_, err := c.Chat.Completions.New(t.Context(), params("a"))
	require.NoError(t, err)
	_, err = c.Responses.New(t.Context(), respParams("b"))
	require.Error(t, err)
	_, err = c.Responses.New(t.Context(), respParams("c"))
	require.NoError(t, err)

	assert.Equal(t, llmtest.Stats{Calls: 2, Billed: 2, InputTokens: 15, OutputTokens: 9}, s.Stats(), "errors start no generation")
	calls := s.Calls()
	require.Len(t, calls, 2)
	assert.Equal(t, "chatcmpl-llmtest-1", calls[0].ID)
	assert.Equal(t, llmtest.EndpointChat, calls[0].Endpoint)
	assert.Equal(t, "resp_llmtest_3", calls[1].ID)
	assert.Equal(t, 2, calls[1].Request)
	_, ok := s.Call("resp_llmtest_2")
	assert.False(t, ok)
}
