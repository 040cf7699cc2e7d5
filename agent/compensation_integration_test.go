package agent

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/saga"
)

// ledger queries saga's ledger of the agent.
func ledger(ctx context.Context, t *testing.T, c client.Client, id string) saga.Ledger {
	t.Helper()
	v, err := c.QueryWorkflow(ctx, id, "", saga.LedgerQuery)
	require.NoError(t, err)
	var l saga.Ledger
	require.NoError(t, v.Get(&l))
	return l
}

// TestIntegrationCancelUndoes: on the dev server, the agent reserved stock
// (a compensable side effect), then the workflow is cancelled while a
// later tool runs; the reservation's undo runs once, on a context the
// cancellation does not reach, and the agent ends cancelled.
func TestIntegrationCancelUndoes(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	dir, queue := t.TempDir(), "agent-undo-"+uuid.NewString()[:8]
	startChildWorker(t, srv, childConfig{Dir: dir, TaskQueue: queue})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startChildAgent(ctx, t, c, queue, Config{
		Prompt:      "Please reserve stock for order A-1001, then hold until the warehouse answers.",
		Tools:       []string{"reserve", "hold"},
		ToolOptions: fastTools(),
	})
	waitReached(t, dir, "hold")
	reserved := effects(t, dir, "reserve")
	require.Len(t, reserved, 1, "the reservation ran before the cancellation")
	assert.Empty(t, effects(t, dir, "undo"), "nothing is undone while the agent runs")
	require.NoError(t, c.CancelWorkflow(ctx, run.GetID(), run.GetRunID()))

	err := run.Get(ctx, nil)
	require.Error(t, err)
	var ce *temporal.CanceledError
	assert.ErrorAs(t, err, &ce, "a cancelled agent ends cancelled")
	var key string
	for k := range reserved {
		key = k
	}
	assert.Equal(t, map[string]int{"undo/" + key: 1}, effects(t, dir, "undo"), "the reservation was undone once")
	assert.Len(t, effects(t, dir, "reserve"), 1)
	st := status(ctx, t, c, run.GetID())
	require.Len(t, st.Calls, 2)
	assert.Equal(t, "reserve", st.Calls[0].Tool)
	assert.Equal(t, OutcomeUndone, st.Calls[0].Outcome)
	l := ledger(ctx, t, c, run.GetID())
	require.Len(t, l.Entries, 1)
	assert.Equal(t, UndoActivity("reserve"), l.Entries[0].Compensation)
	assert.Equal(t, saga.StatusSucceeded, l.Entries[0].CompensationStatus)
}

// TestIntegrationFailureUndoes: on the dev server, the agent reserved
// stock, then a later tool fails and Config.FailOnToolError fails the
// agent; the reservation's undo runs once and the client sees a
// compensated failure carrying the tool's error.
func TestIntegrationFailureUndoes(t *testing.T) {
	srv := durabletest.Server(t)
	c := srv.Client()
	dir, queue := t.TempDir(), "agent-undo-"+uuid.NewString()[:8]
	startChildWorker(t, srv, childConfig{Dir: dir, TaskQueue: queue, Fail: "send_email"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := startChildAgent(ctx, t, c, queue, Config{
		Prompt:          "Please reserve stock for order A-1001 and send email to the customer.",
		Tools:           []string{"reserve", "send_email"},
		ToolOptions:     fastTools(),
		FailOnToolError: true,
	})

	err := run.Get(ctx, nil)
	require.Error(t, err)
	assert.True(t, saga.IsCompensated(err), "%v", err)
	assert.ErrorContains(t, err, "mailbox full")
	reserved := effects(t, dir, "reserve")
	require.Len(t, reserved, 1)
	var key string
	for k := range reserved {
		key = k
	}
	assert.Equal(t, map[string]int{"undo/" + key: 1}, effects(t, dir, "undo"), "the reservation was undone once")
	assert.Empty(t, effects(t, dir, "email"))
	st := status(ctx, t, c, run.GetID())
	require.Len(t, st.Calls, 2)
	assert.Equal(t, OutcomeUndone, st.Calls[0].Outcome)
	assert.Equal(t, OutcomeError, st.Calls[1].Outcome)
}
