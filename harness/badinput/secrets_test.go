package badinput_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// keyWorkflow makes three calls whose failures may echo the key: a 401,
// a 429 that is retried, and a plain-text 400. It fails with the first
// failure as cause, so the key would also reach the workflow's failure.
func keyWorkflow(ctx workflow.Context) (string, error) {
	_, authErr := llm.Complete(ctx, llm.Request{Prompt: "first", Summary: "auth"})
	answer, err := llm.Complete(ctx, llm.Request{Prompt: "second", Summary: "rate limited"})
	if err != nil {
		return "", err
	}
	_, badErr := llm.Complete(ctx, llm.Request{Prompt: "third", Summary: "bad request"})
	if authErr == nil || badErr == nil {
		return answer.Text, nil
	}
	return "", temporal.NewNonRetryableApplicationError("calls failed", "KeyTest", authErr, llm.ErrorType(badErr))
}

func echoKey(key string, status int, code string) llmtest.Reply {
	return llmtest.Reply{Status: status, Error: &llmtest.APIError{
		Message: "Incorrect API key provided: " + key + ". You can find your API key in your account.",
		Type:    "invalid_request_error", Code: code,
	}}
}

// TestAPIKeyNeverInHistory runs with no payload codec, so anything the
// activities return is readable in the history: the key must not be.
func TestAPIKeyNeverInHistory(t *testing.T) {
	// An OpenAI-shaped key, and one only the configured-key mask catches.
	// Subtests are not named after the keys: the task queue is named after
	// the test and is recorded in every task event.
	t.Run("openai-shaped", func(t *testing.T) { keyNotInHistory(t, "sk-SECRET-KEY-123") })
	t.Run("other-shape", func(t *testing.T) { keyNotInHistory(t, "local-SECRET-KEY-456") })
	t.Run("short", func(t *testing.T) {
		// A key of any length is masked, not only long ones.
		keyNotInHistory(t, "Zq7Kx9w")
	})
}

func keyNotInHistory(t *testing.T, secretKey string) {
	srv := durabletest.Server(t)
	prov := llmtest.NewServer(t)
	rl := echoKey(secretKey, 429, "rate_limit_exceeded")
	rl.Headers = map[string]string{"retry-after-ms": "10"}
	prov.Enqueue(echoKey(secretKey, 401, "invalid_api_key"), rl, llmtest.Text("fine"),
		llmtest.Undecodable(400, "bad request for key "+secretKey))
	acts, err := llm.NewActivities(llmConfig(prov.URL, secretKey))
	require.NoError(t, err)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(keyWorkflow)
		acts.Register(r)
	})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := srv.Client()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, keyWorkflow)
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.Error(t, err, "the workflow fails with the 401 as cause")
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.True(t, llm.IsAuth(ae.Unwrap()), "the cause is classified: %v", err)
	assert.Contains(t, err.Error(), "Incorrect API key provided: ***", "the echoed key is masked")

	reqs := prov.Requests()
	require.Len(t, reqs, 4, "401, 429, retry, 400")
	for _, r := range reqs {
		assert.Equal(t, "Bearer "+secretKey, r.Header.Get("Authorization"), "the worker used the key")
	}

	var events int
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		raw, err := proto.Marshal(ev)
		require.NoError(t, err)
		events++
		assert.False(t, bytes.Contains(raw, []byte(secretKey)),
			"event %d (%s) holds the API key", ev.GetEventId(), ev.GetEventType())
		assert.False(t, bytes.Contains(raw, []byte("SECRET-KEY")),
			"event %d (%s) holds part of the API key", ev.GetEventId(), ev.GetEventType())
	}
	assert.Greater(t, events, 10, "the history was read")
}
