package stream

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable/durabletest"
)

// publishAndEnd publishes two events from workflow code and returns.
func publishAndEnd(ctx workflow.Context) error {
	s, err := New(ctx, Options{})
	if err != nil {
		return err
	}
	for _, text := range []string{"a", "b"} {
		if err := s.Publish(ctx, "t", Event{Kind: "status", Text: text}); err != nil {
			return err
		}
	}
	return nil
}

// losingClient never answers its first read query, as when the server
// handed the query task to a worker that was killed: the server then holds
// the query until the caller's deadline.
type losingClient struct {
	client.Client
	reads atomic.Int32
}

func (c *losingClient) QueryWorkflow(ctx context.Context, id, runID, name string, args ...any) (converter.EncodedValue, error) {
	if name == ReadQuery {
		switch c.reads.Add(1) {
		case 1:
			<-ctx.Done()
			return nil, ctx.Err()
		case 2: // what the server answers while no worker polls (the killed one is restarting)
			return nil, serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down")
		}
	}
	return c.Client.QueryWorkflow(ctx, id, runID, name, args...)
}

// A read of a closed workflow's tail that is never answered is asked
// again after readTimeout, instead of holding the subscriber until its
// own deadline; one the server refuses because no worker polls is asked
// again too.
func TestClosedTailReadIsAskedAgain(t *testing.T) {
	old := readTimeout
	readTimeout = 500 * time.Millisecond
	t.Cleanup(func() { readTimeout = old })

	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { r.RegisterWorkflow(publishAndEnd) })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, publishAndEnd)
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	c := &losingClient{Client: srv.Client()}
	var got []string
	for ev, err := range Subscribe(ctx, c, run.GetID(), 0) {
		require.NoError(t, err, "the subscriber ends only because its own deadline passed if the lost read is not asked again")
		got = append(got, ev.Text)
	}
	assert.Equal(t, []string{"a", "b"}, got)
	assert.GreaterOrEqual(t, c.reads.Load(), int32(3), "the lost read, then the refused one, were asked again")
}
