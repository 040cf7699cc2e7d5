package saga_test

import (
	"bytes"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/saga"
)

// syncBuffer is a bytes.Buffer safe for the test environment's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// chain is what a run of legsWorkflow through all its runs left behind.
type chain struct {
	calls    []string
	err      error              // the last run's error
	ledgers  []saga.Ledger      // each run's ledger, queried after it ended
	carried  []*saga.Checkpoint // the checkpoint each continue-as-new carried
	warnings string             // warnings the workflows logged
}

// runChain executes legsWorkflow in the test environment, one environment
// per run, passing each continue-as-new input to the next run through the
// data converter, as the server would.
func runChain(t *testing.T, in legs) chain {
	t.Helper()
	ag := &agency{}
	var out chain
	var logs syncBuffer
	for run := 1; ; run++ {
		require.LessOrEqual(t, run, in.Runs, "more runs than legs")
		var ts testsuite.WorkflowTestSuite
		ts.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
		env := ts.NewTestWorkflowEnvironment()
		env.SetStartTime(start)
		ag.register(env)
		env.ExecuteWorkflow(legsWorkflow, in)
		require.True(t, env.IsWorkflowCompleted())
		out.ledgers = append(out.ledgers, ledgerOf(t, env))
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			out.err = err
			break
		}
		var next legs
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
		require.Equal(t, run+1, next.Run)
		out.carried = append(out.carried, next.Saga)
		in = next
	}
	out.calls = ag.Calls()
	out.warnings = logs.String()
	return out
}

func TestFailureInLaterRunUndoesEarlierRuns(t *testing.T) {
	c := runChain(t, legs{ID: "t-1", Run: 1, Runs: 2, FailAt: "leg2", Carry: true})

	assert.Equal(t, []string{"book leg1", "book leg2", "cancel leg2", "cancel leg1"}, c.calls,
		"nothing is undone at continue-as-new; the failure in run 2 undoes both legs, once each, in reverse order")
	require.Error(t, c.err)
	assert.True(t, saga.IsCompensated(c.err), "the last run fails as compensated: %v", c.err)

	require.Len(t, c.ledgers, 2)
	assert.Equal(t, saga.StateContinued, c.ledgers[0].State, "run 1 continued as new")
	assert.Equal(t, map[string]saga.Status{"leg1": saga.StatusPending}, compStatus(c.ledgers[0]))
	final := c.ledgers[1]
	assert.Equal(t, saga.StateCompensated, final.State)
	assert.Equal(t, []saga.Entry{
		{Name: "leg1", Step: saga.StatusSucceeded, Compensation: actCancel, CompensationStatus: saga.StatusSucceeded},
		{Name: "leg2", Step: saga.StatusFailed, StepError: final.Entries[1].StepError, Compensation: actCancel, CompensationStatus: saga.StatusSucceeded},
	}, final.Entries, "the ledger of run 2 holds run 1's step")
	assert.Contains(t, final.Entries[1].StepError, "leg2 sold out")
	assert.NotContains(t, c.warnings, "without a checkpoint", "the checkpoint carried every pending compensation")
}

func TestContinueAsNewCompensatesNothing(t *testing.T) {
	c := runChain(t, legs{ID: "t-2", Run: 1, Runs: 3, Carry: true})

	require.NoError(t, c.err)
	assert.Equal(t, []string{"book leg1", "book leg2", "book leg3"}, c.calls, "no compensation ran")
	require.Len(t, c.ledgers, 3)
	for i, l := range c.ledgers[:2] {
		assert.Equal(t, saga.StateContinued, l.State, "run %d", i+1)
	}
	assert.Equal(t, saga.StateRunning, c.ledgers[2].State)
	assert.Equal(t, map[string]saga.Status{
		"leg1": saga.StatusPending, "leg2": saga.StatusPending, "leg3": saga.StatusPending,
	}, compStatus(c.ledgers[2]))

	require.Len(t, c.carried, 2)
	require.NotNil(t, c.carried[1])
	assert.Len(t, c.carried[1].Ledger.Entries, 2, "run 2 carries run 1's entry and its own")
	require.Len(t, c.carried[1].Undo, 2)
	assert.Equal(t, actCancel, c.carried[1].Undo[0].Activity)
	assert.Equal(t, "undo leg1", c.carried[1].Undo[0].Options.Summary, "the resolved options travel with the compensation")
	assert.Equal(t, saga.CompensationOptions("undo leg1"), c.carried[1].Undo[0].Options)
}

func TestThreeRunsUndoEachLegOnce(t *testing.T) {
	c := runChain(t, legs{ID: "t-3", Run: 1, Runs: 3, FailAt: "leg3", Carry: true})
	assert.Equal(t, []string{"book leg1", "book leg2", "book leg3", "cancel leg3", "cancel leg2", "cancel leg1"}, c.calls,
		"a compensation carried through two continue-as-new runs once")
	assert.True(t, saga.IsCompensated(c.err), "%v", c.err)
}

func TestCompensationThatRanIsNotCarried(t *testing.T) {
	c := runChain(t, legs{ID: "t-4", Run: 1, Runs: 2, FailAt: "leg2", Carry: true, UndoFirst: true})
	assert.Equal(t, []string{"book leg1", "cancel leg1", "book leg2", "cancel leg2"}, c.calls,
		"leg1 was undone in run 1 and is not undone again in run 2")
	require.Len(t, c.carried, 1)
	assert.Empty(t, c.carried[0].Undo, "nothing left to carry")
	final := c.ledgers[1]
	assert.Equal(t, map[string]saga.Status{"leg1": saga.StatusSucceeded, "leg2": saga.StatusSucceeded}, compStatus(final))
	assert.Equal(t, saga.StateCompensated, final.State)
}

// Without a checkpoint the next run starts a new saga: run 1's leg is never
// undone, and the workflow says so in its log instead of dropping it silently.
func TestContinueAsNewWithoutCheckpointWarns(t *testing.T) {
	c := runChain(t, legs{ID: "t-5", Run: 1, Runs: 2, FailAt: "leg2"})
	assert.Equal(t, []string{"book leg1", "book leg2", "cancel leg2"}, c.calls, "continue-as-new compensated nothing")
	assert.Contains(t, c.warnings, "continuing as new without a checkpoint")
	assert.Contains(t, c.warnings, "pending=1")
}
