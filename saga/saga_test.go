package saga_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/saga"
)

var start = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func newEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *shop) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	sh := newShop()
	env.RegisterWorkflow(orderWorkflow)
	sh.registerActivities(env)
	return env, sh
}

func ledgerOf(t *testing.T, env *testsuite.TestWorkflowEnvironment) saga.Ledger {
	t.Helper()
	v, err := env.QueryWorkflow(saga.LedgerQuery)
	require.NoError(t, err, "query ledger")
	var l saga.Ledger
	require.NoError(t, v.Get(&l), "decode ledger")
	return l
}

// compStatus returns the compensation status of every entry, by step name.
func compStatus(l saga.Ledger) map[string]saga.Status {
	m := make(map[string]saga.Status, len(l.Entries))
	for _, e := range l.Entries {
		m[e.Name] = e.CompensationStatus
	}
	return m
}

func TestOrderFailures(t *testing.T) {
	tests := []struct {
		name      string
		failAt    string
		calls     []string // every activity, in the order it ran
		state     saga.State
		comp      map[string]saga.Status
		errPrefix string
	}{
		{
			name:      "first step",
			failAt:    "reserve",
			calls:     []string{actReserve, actAudit},
			state:     saga.StateCompensated,
			comp:      map[string]saga.Status{"open": saga.StatusSucceeded, "reserve": ""},
			errPrefix: "saga: compensated: ",
		},
		{
			// Refund is registered before Charge runs, so it runs although Charge failed.
			name:      "middle step",
			failAt:    "charge",
			calls:     []string{actReserve, actCharge, actRefund, actRelease, actAudit},
			state:     saga.StateCompensated,
			comp:      map[string]saga.Status{"open": saga.StatusSucceeded, "reserve": saga.StatusSucceeded, "charge": saga.StatusSucceeded},
			errPrefix: "saga: compensated: ",
		},
		{
			// Ship's own undo is registered only after it succeeds.
			name:      "last step",
			failAt:    "ship",
			calls:     []string{actReserve, actCharge, actShip, actRefund, actRelease, actAudit},
			state:     saga.StateCompensated,
			comp:      map[string]saga.Status{"open": saga.StatusSucceeded, "reserve": saga.StatusSucceeded, "charge": saga.StatusSucceeded, "ship": ""},
			errPrefix: "saga: compensated: ",
		},
		{
			name:      "after the pivot",
			failAt:    "notify",
			calls:     []string{actReserve, actCharge, actShip, actNotify},
			state:     saga.StateKept,
			comp:      map[string]saga.Status{"open": saga.StatusKept, "reserve": saga.StatusKept, "charge": saga.StatusKept, "ship": saga.StatusKept, "notify": ""},
			errPrefix: "saga: failed after its pivot",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, sh := newEnv(t)
			env.ExecuteWorkflow(orderWorkflow, order{ID: "o-1", FailAt: tt.failAt})
			require.True(t, env.IsWorkflowCompleted())

			err := env.GetWorkflowError()
			require.Error(t, err)
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, "Error", appErr.Type(), "a *saga.Error crosses the workflow boundary as type Error")
			assert.Contains(t, appErr.Error(), tt.errPrefix)
			assert.Contains(t, appErr.Error(), tt.failAt+" refused")

			assert.Equal(t, tt.calls, sh.Calls(), "compensations run in reverse order of registration")

			l := ledgerOf(t, env)
			assert.Equal(t, tt.state, l.State)
			assert.Equal(t, tt.comp, compStatus(l))
			failed, ok := l.Find(tt.failAt)
			require.True(t, ok)
			assert.Equal(t, saga.StatusFailed, failed.Step)
			assert.Contains(t, failed.StepError, tt.failAt+" refused")
		})
	}
}

func TestOrderSucceeds(t *testing.T) {
	env, sh := newEnv(t)
	env.ExecuteWorkflow(orderWorkflow, order{ID: "o-1"})
	require.NoError(t, env.GetWorkflowError())
	var tracking string
	require.NoError(t, env.GetWorkflowResult(&tracking))
	assert.Equal(t, "Ship o-1", tracking)
	assert.Equal(t, []string{actReserve, actCharge, actShip, actNotify}, sh.Calls(), "no compensation runs")

	l := ledgerOf(t, env)
	assert.Equal(t, saga.StateRunning, l.State)
	assert.True(t, l.Pivoted)
	want := []saga.Entry{
		{Name: "open", Compensation: "func", CompensationStatus: saga.StatusKept},
		{Name: "reserve", Step: saga.StatusSucceeded, Compensation: actRelease, CompensationStatus: saga.StatusKept},
		{Name: "charge", Step: saga.StatusSucceeded, Compensation: actRefund, CompensationStatus: saga.StatusKept},
		{Name: "ship", Step: saga.StatusSucceeded, Compensation: actCancelShipment, CompensationStatus: saga.StatusKept},
		{Name: "notify", Step: saga.StatusSucceeded},
	}
	assert.Equal(t, want, l.Entries)
}

func TestCompensationFailure(t *testing.T) {
	t.Run("continue", func(t *testing.T) {
		env, sh := newEnv(t)
		env.ExecuteWorkflow(orderWorkflow, order{ID: "o-1", FailAt: "ship", FailUndo: []string{actRefund}})
		err := env.GetWorkflowError()
		require.Error(t, err)
		assert.Contains(t, err.Error(), `saga: compensation incomplete`)
		assert.Contains(t, err.Error(), `undo "charge" failed`)
		assert.Equal(t, []string{actReserve, actCharge, actShip, actRefund, actRelease, actAudit}, sh.Calls(),
			"the compensations after the failed one still run")

		l := ledgerOf(t, env)
		assert.Equal(t, saga.StateIncomplete, l.State)
		assert.Equal(t, map[string]saga.Status{
			"open": saga.StatusSucceeded, "reserve": saga.StatusSucceeded, "charge": saga.StatusFailed, "ship": "",
		}, compStatus(l))
		charge, _ := l.Find("charge")
		assert.Contains(t, charge.CompensationError, "Refund failed")
	})

	t.Run("stop", func(t *testing.T) {
		env, sh := newEnv(t)
		env.ExecuteWorkflow(orderWorkflow, order{ID: "o-1", FailAt: "ship", FailUndo: []string{actRefund}, StopOnError: true})
		err := env.GetWorkflowError()
		require.Error(t, err)
		assert.Contains(t, err.Error(), `skipped: reserve, open`)
		assert.Equal(t, []string{actReserve, actCharge, actShip, actRefund}, sh.Calls(),
			"nothing runs after the failed compensation")

		l := ledgerOf(t, env)
		assert.Equal(t, saga.StateIncomplete, l.State)
		assert.Equal(t, map[string]saga.Status{
			"open": saga.StatusSkipped, "reserve": saga.StatusSkipped, "charge": saga.StatusFailed, "ship": "",
		}, compStatus(l))
	})
}

func TestParallel(t *testing.T) {
	tests := []struct {
		name     string
		parallel bool
		elapsed  time.Duration
	}{
		{name: "parallel", parallel: true, elapsed: 10 * time.Minute},
		{name: "sequential", parallel: false, elapsed: 20 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, sh := newEnv(t)
			// Each compensation takes 10 minutes of workflow time.
			env.OnActivity(actRefund, mock.Anything, mock.Anything).After(10*time.Minute).Return("refunded", nil).Once()
			env.OnActivity(actRelease, mock.Anything, mock.Anything).After(10*time.Minute).Return("released", nil).Once()
			// StopOnError cannot stop compensations that have already started.
			env.ExecuteWorkflow(orderWorkflow, order{ID: "o-1", FailAt: "ship", FailUndo: []string{actAudit}, Parallel: tt.parallel, StopOnError: tt.parallel})
			require.Error(t, env.GetWorkflowError())
			env.AssertExpectations(t)

			assert.Equal(t, []string{actReserve, actCharge, actShip, actAudit}, sh.Calls())
			assert.Equal(t, tt.elapsed, env.Now().Sub(start).Truncate(time.Minute), "both 10-minute compensations ran at once only in parallel mode")
			l := ledgerOf(t, env)
			assert.Equal(t, saga.StateCompensated, l.State)
			assert.Equal(t, map[string]saga.Status{
				"open": saga.StatusSucceeded, "reserve": saga.StatusSucceeded, "charge": saga.StatusSucceeded, "ship": "",
			}, compStatus(l))
		})
	}
}

func TestCancelCompensates(t *testing.T) {
	env, sh := newEnv(t)
	// Ship blocks for an hour of workflow time; the workflow is cancelled after one minute.
	env.OnActivity(actShip, mock.Anything, mock.Anything).After(time.Hour).Return("never", nil)
	var during saga.Ledger
	env.RegisterDelayedCallback(func() {
		during = ledgerOf(t, env)
		env.CancelWorkflow()
	}, time.Minute)
	env.ExecuteWorkflow(orderWorkflow, order{ID: "o-1"})

	require.True(t, env.IsWorkflowCompleted())
	var canceled *temporal.CanceledError
	require.ErrorAs(t, env.GetWorkflowError(), &canceled, "the workflow still ends as canceled")

	assert.Equal(t, []string{actReserve, actCharge, actRefund, actRelease, actAudit}, sh.Calls(),
		"compensations ran on the disconnected context, in reverse order")

	ship, ok := during.Find("ship")
	require.True(t, ok)
	assert.Equal(t, saga.StatusRunning, ship.Step, "ledger queried while ship blocks")
	assert.Equal(t, saga.StateRunning, during.State)

	l := ledgerOf(t, env)
	assert.Equal(t, saga.StateCompensated, l.State)
	ship, _ = l.Find("ship")
	assert.Equal(t, saga.StatusFailed, ship.Step)
	assert.Contains(t, ship.StepError, "canceled")
}

// inspection reports, from workflow code, what errors.Is/As find in the
// result of Compensate.
type inspection struct {
	IsCause       bool
	CauseType     string
	SagaError     bool
	Compensated   bool
	FailedStep    string
	FailedType    string
	IsFailedUndo  bool
	AbortedIsSent bool
}

func inspectWorkflow(ctx workflow.Context, o order) (inspection, error) {
	var out inspection
	s := saga.New(ctx, saga.Options{})
	step := durable.Quick("inspect")
	_, err := saga.Step[string](ctx, s, "reserve", actReserve, o, step, saga.Activity(actRelease, o))
	if err == nil {
		_, err = saga.Step[string](ctx, s, "charge", actCharge, o, step, saga.Activity(actRefund, o))
	}
	res := s.Compensate(ctx, err)

	out.IsCause = errors.Is(res, err)
	var appErr *temporal.ApplicationError
	if errors.As(res, &appErr) { // the cause comes first
		out.CauseType = appErr.Type()
	}
	var se *saga.Error
	if errors.As(res, &se) {
		out.SagaError = true
		out.Compensated = se.Compensated()
	}
	var ce *saga.CompensationError
	if errors.As(res, &ce) {
		out.FailedStep = ce.Step
		out.IsFailedUndo = errors.Is(res, ce.Err)
		if errors.As(ce, &appErr) {
			out.FailedType = appErr.Type()
		}
	}
	out.AbortedIsSent = errors.Is(saga.New(ctx, saga.Options{}).Compensate(ctx, nil), saga.ErrAborted)
	return out, nil
}

func TestErrorsIsAsInWorkflow(t *testing.T) {
	env, sh := newEnv(t)
	env.RegisterWorkflow(inspectWorkflow)
	env.ExecuteWorkflow(inspectWorkflow, order{ID: "o-1", FailAt: "charge", FailUndo: []string{actRelease}})
	require.NoError(t, env.GetWorkflowError())
	var got inspection
	require.NoError(t, env.GetWorkflowResult(&got))
	assert.Equal(t, inspection{
		IsCause:       true,
		CauseType:     "ChargeRefused",
		SagaError:     true,
		Compensated:   false,
		FailedStep:    "reserve",
		FailedType:    "ReleaseFailed",
		IsFailedUndo:  true,
		AbortedIsSent: true,
	}, got)
	assert.Equal(t, []string{actReserve, actCharge, actRelease}, sh.Calls())
}

// resultWorkflow registers an undo that needs the step's result, a func
// compensation, a custom query name and a second Compensate call.
func resultWorkflow(ctx workflow.Context, o order) ([]string, error) {
	var undone []string
	s := saga.New(ctx, saga.Options{})
	if err := s.RegisterQuery(ctx, "order.saga"); err != nil {
		return nil, err
	}
	if err := s.RegisterQuery(ctx, "__reserved"); err == nil {
		return nil, errors.New("reserved query name accepted")
	}
	step := durable.Quick("result")
	id, err := saga.Step[string](ctx, s, "charge", actCharge, o, step, saga.Compensation{})
	if err != nil {
		return nil, err
	}
	s.AddCompensation("charge", actAudit, "refund "+id)
	s.AddFunc("note", func(workflow.Context) error { undone = append(undone, "note"); return nil })
	_ = s.Compensate(ctx, errors.New("customer cancelled"))
	s.AddFunc("late", func(workflow.Context) error { undone = append(undone, "late"); return nil })
	_ = s.Compensate(ctx, nil) // runs only what was registered since
	return undone, nil
}

func TestAddAfterStepAndRecompensate(t *testing.T) {
	env, sh := newEnv(t)
	env.RegisterWorkflow(resultWorkflow)
	var audited []string
	env.SetOnActivityCompletedListener(func(_ *activity.Info, result converter.EncodedValue, _ error) {
		var s string
		if result != nil && result.Get(&s) == nil && s != "" {
			audited = append(audited, s)
		}
	})
	env.ExecuteWorkflow(resultWorkflow, order{ID: "o-1"})
	require.NoError(t, env.GetWorkflowError())
	var undone []string
	require.NoError(t, env.GetWorkflowResult(&undone))
	assert.Equal(t, []string{"note", "late"}, undone, "each compensation runs once")
	assert.Equal(t, []string{actCharge, actAudit}, sh.Calls())
	assert.Contains(t, audited, "refund Charge o-1", "the undo got the step's result")

	v, err := env.QueryWorkflow("order.saga")
	require.NoError(t, err)
	var l saga.Ledger
	require.NoError(t, v.Get(&l))
	require.Len(t, l.Entries, 3, "the undo attached to the charge entry")
	assert.Equal(t, saga.Entry{Name: "charge", Step: saga.StatusSucceeded, Compensation: actAudit, CompensationStatus: saga.StatusSucceeded}, l.Entries[0])
	assert.Equal(t, saga.StateCompensated, l.State)
}
