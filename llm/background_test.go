package llm

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// endpoints returns the endpoints of the requests s received, in order.
func endpoints(s *llmtest.Server) []llmtest.Endpoint {
	var out []llmtest.Endpoint
	for _, r := range s.Requests() {
		out = append(out, r.Endpoint)
	}
	return out
}

// TestBackgroundStreamResumes cuts the stream of a background response:
// the attempt resumes it after the last event it saw, without a new
// generation.
func TestBackgroundStreamResumes(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "one two three four five six", CutAfter: 4, Drop: true})
	a := newActivities(t, apiConfig(s, APIResponsesBackground))
	resp, err := runOnce(t, a, Request{Prompt: "count", Stream: true})
	require.NoError(t, err)
	assert.Equal(t, "one two three four five six", resp.Text)
	assert.Equal(t, []llmtest.Endpoint{llmtest.EndpointResponses, llmtest.EndpointRetrieve}, endpoints(s))
	resume := s.Requests()[1]
	assert.True(t, resume.Stream, "the retrieve streams (stream=true in the query)")
	require.NotNil(t, resume.StartingAfter)
	assert.Positive(t, *resume.StartingAfter, "after the last event seen")
	assert.Equal(t, 1, s.Billed())
}

// TestWorkflowBackgroundResumesAcrossAttempts: when the resumes of one
// attempt fail too, the attempt fails retryably, unbilled and not as the
// model's failure; the next attempt finds the id in the heartbeat (there is
// no Store) and resumes the same generation on the same model.
func TestWorkflowBackgroundResumesAcrossAttempts(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Content: "the long answer", CutAfter: 2, Drop: true})
	for range maxResumes {
		s.EnqueueOn(llmtest.EndpointRetrieve, llmtest.Reply{Drop: true, CutAfter: 1})
	}
	env := newEnv(t, newActivities(t, apiConfig(s, APIResponsesBackground)))
	env.ExecuteWorkflow(completeFlow, Request{Model: "main", Fallback: []string{"backup"}, Prompt: "write", Stream: true}, Budget{})
	r := result(t, env)
	assert.Equal(t, "the long answer", r.Resp.Text)
	assert.Equal(t, int32(2), r.Resp.Attempt)
	assert.Equal(t, "main", r.Resp.ModelName, "a resumable generation is not a failure of its model")
	assert.Equal(t, 1, s.Billed())
	creates := 0
	for _, e := range endpoints(s) {
		if e == llmtest.EndpointResponses {
			creates++
		}
	}
	assert.Equal(t, 1, creates, "the second attempt resumed instead of creating")
}

// TestBackgroundFollowGone: the generation an earlier attempt recorded is
// gone at the provider (expired): the attempt starts a new one.
func TestBackgroundFollowGone(t *testing.T) {
	s := llmtest.NewServer(t)
	a := newActivities(t, apiConfig(s, APIResponsesBackground))
	ep := a.endpoints["main"]
	hb := startHeartbeat(t.Context(), a.cfg.HeartbeatInterval, Progress{Model: "main"}, true)
	resp, err := a.background(t.Context(), ep, ask("again"), attemptInfo{modelName: "main", model: ep.id}, hb,
		&pendingGen{ResponseID: "resp_expired", ModelName: "main"})
	require.NoError(t, err)
	assert.Equal(t, "echo: again", resp.Text)
	assert.Equal(t, []llmtest.Endpoint{llmtest.EndpointRetrieve, llmtest.EndpointResponses, llmtest.EndpointRetrieve}, endpoints(s)[:3])
	assert.Equal(t, 1, s.Billed())
}

// pendingSpy is an idem store that tells when a pending id is recorded.
type pendingSpy struct {
	idem.Store
	recorded func()
}

func (s pendingSpy) SetPending(ctx context.Context, key, owner string, pending []byte) error {
	err := s.Store.SetPending(ctx, key, owner, pending)
	s.recorded()
	return err
}

// A background generation's id is in the store before any heartbeat
// carries it: the attempt's first heartbeat is a round trip to the server,
// and a worker killed during it must leave the next attempt the store's
// record (make chaos re-bought generations killed in that window).
func TestBackgroundIDStoredBeforeHeartbeat(t *testing.T) {
	s := llmtest.NewServer(t)
	var (
		mu    sync.Mutex
		order []string
	)
	note := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, what)
	}
	cfg := apiConfig(s, APIResponsesBackground)
	cfg.Store = pendingSpy{Store: idem.NewMemoryStore(), recorded: func() { note("store") }}
	env := newEnv(t, newActivities(t, cfg))
	send := sendHeartbeat
	t.Cleanup(func() { sendHeartbeat = send })
	sendHeartbeat = func(ctx context.Context, p Progress) {
		if p.ResponseID != "" {
			note("heartbeat")
		}
		send(ctx, p)
	}
	env.ExecuteWorkflow(completeFlow, Request{Prompt: "write"}, Budget{})
	r := result(t, env)
	assert.Equal(t, "echo: write", r.Resp.Text)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, order)
	assert.Equal(t, "store", order[0], "the store records the id first: %v", order)
}
