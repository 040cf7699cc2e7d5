package saga_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/saga"
)

// probe reports, from workflow code, what a Checkpoint or Resume call returned.
type probe struct {
	Err       string
	FuncIs    bool
	ArgsIs    bool
	BusyIs    bool
	BadIs     bool
	Steps     []string // Step of every *CheckpointError in the error
	Undo      int      // compensations carried
	Compensed []string // what ran when the probe compensated
}

func inspect(err error, p *probe) {
	if err == nil {
		return
	}
	p.Err = err.Error()
	p.FuncIs = errors.Is(err, saga.ErrFuncNotCarried)
	p.ArgsIs = errors.Is(err, saga.ErrArgsNotCarried)
	p.BusyIs = errors.Is(err, saga.ErrCompensating)
	p.BadIs = errors.Is(err, saga.ErrBadCheckpoint)
	var walk func(error)
	walk = func(err error) {
		var ce *saga.CheckpointError
		if errors.As(err, &ce) && ce.Step != "" {
			p.Steps = append(p.Steps, ce.Step)
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			walk(e)
		}
	} else {
		walk(err)
	}
}

// checkpointWorkflow registers compensations as the scenario says and
// reports what Checkpoint returned.
func checkpointWorkflow(ctx workflow.Context, scenario string) (probe, error) {
	var p probe
	s := saga.New(ctx, saga.Options{})
	undo := func(name string) func(workflow.Context) error {
		return func(workflow.Context) error { p.Compensed = append(p.Compensed, name); return nil }
	}
	switch scenario {
	case "func pending":
		s.AddCompensation("reserve", actRelease, "o-1")
		s.AddFunc("note", undo("note"))
		s.AddFunc("mail", undo("mail"))
	case "func ran":
		s.AddFunc("note", undo("note"))
		_ = s.Compensate(ctx, nil)
		s.AddCompensation("reserve", actRelease, "o-1")
	case "func kept":
		s.AddFunc("note", undo("note"))
		s.Pivot()
	case "bad args":
		s.AddCompensation("reserve", actRelease, make(chan int))
	case "while compensating":
		s.AddFunc("note", func(workflow.Context) error {
			_, err := s.Checkpoint()
			inspect(err, &p)
			return nil
		})
		_ = s.Compensate(ctx, nil)
		return p, nil
	}
	cp, err := s.Checkpoint()
	inspect(err, &p)
	if cp != nil {
		p.Undo = len(cp.Undo)
	}
	return p, nil
}

func TestCheckpoint(t *testing.T) {
	tests := []struct {
		scenario string
		want     probe
		msg      string
	}{
		{scenario: "func pending", want: probe{FuncIs: true, Steps: []string{"note", "mail"}}, msg: `saga: step "note": a Func compensation cannot be carried into the next run; register the undo with saga.Activity`},
		{scenario: "func ran", want: probe{Undo: 1, Compensed: []string{"note"}}},
		{scenario: "func kept", want: probe{}},
		{scenario: "bad args", want: probe{ArgsIs: true, Steps: []string{"reserve"}}, msg: `saga: step "reserve": compensation arguments cannot be carried into the next run: encode the arguments of activity Release`},
		{scenario: "while compensating", want: probe{BusyIs: true, Compensed: nil}, msg: "saga: cannot checkpoint while compensations run"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			var ts testsuite.WorkflowTestSuite
			env := ts.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(checkpointWorkflow)
			env.ExecuteWorkflow(checkpointWorkflow, tt.scenario)
			require.NoError(t, env.GetWorkflowError())
			var got probe
			require.NoError(t, env.GetWorkflowResult(&got))
			assert.Contains(t, got.Err, tt.msg)
			got.Err = ""
			assert.Equal(t, tt.want, got)
		})
	}
}

// received is what the carried compensation activity was given in run 2.
type received struct {
	Big  int64
	Raw  []byte
	Ptr  *booking
	Trip booking
}

// argsWorkflow registers, in run 1, a compensation whose arguments a JSON
// round trip through `any` would alter, continues as new, and compensates
// in run 2.
func argsWorkflow(ctx workflow.Context, run int, cp *saga.Checkpoint) (err error) {
	s, err := saga.Resume(ctx, saga.Options{}, cp)
	if err != nil {
		return err
	}
	if run == 1 {
		s.AddCompensation("trip", "Receive", int64(1<<62+1), []byte{0, 1, 0xff}, (*booking)(nil), booking{Leg: "leg1", Fail: true})
		if cp, err = s.Checkpoint(); err != nil {
			return err
		}
		return workflow.NewContinueAsNewError(ctx, argsWorkflow, 2, cp)
	}
	return s.Compensate(ctx, errors.New("trip cancelled"))
}

func TestCarriedArgumentsArriveUnchanged(t *testing.T) {
	var got []received
	receive := func(_ context.Context, big int64, raw []byte, ptr *booking, trip booking) error {
		got = append(got, received{Big: big, Raw: raw, Ptr: ptr, Trip: trip})
		return nil
	}
	args := []any{1, (*saga.Checkpoint)(nil)}
	for run := 1; run <= 2; run++ {
		var ts testsuite.WorkflowTestSuite
		env := ts.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(argsWorkflow)
		env.RegisterActivityWithOptions(receive, activity.RegisterOptions{Name: "Receive"})
		env.ExecuteWorkflow(argsWorkflow, args...)
		err := env.GetWorkflowError()
		if run == 2 {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "saga: compensated: trip cancelled")
			break
		}
		var can *workflow.ContinueAsNewError
		require.ErrorAs(t, err, &can)
		var n int
		var cp *saga.Checkpoint
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &n, &cp))
		args = []any{n, cp}
	}
	assert.Equal(t, []received{{Big: 1<<62 + 1, Raw: []byte{0, 1, 0xff}, Trip: booking{Leg: "leg1", Fail: true}}}, got,
		"the activity in run 2 received exactly what run 1 registered, once")
}

// resumeWorkflow reports what Resume said about cp.
func resumeWorkflow(ctx workflow.Context, cp *saga.Checkpoint) (probe, error) {
	var p probe
	_, err := saga.Resume(ctx, saga.Options{}, cp)
	inspect(err, &p)
	return p, nil
}

func TestResumeRejectsInconsistentCheckpoints(t *testing.T) {
	entry := func(status saga.Status) saga.Entry {
		return saga.Entry{Name: "leg1", Step: saga.StatusSucceeded, Compensation: actCancel, CompensationStatus: status}
	}
	undo := saga.Carried{Entry: 0, Activity: actCancel}
	tests := []struct {
		name  string
		cp    saga.Checkpoint
		steps []string
		msg   string
	}{
		{"entry out of range", saga.Checkpoint{Undo: []saga.Carried{undo}}, nil, `compensation of activity "CancelLeg" points at entry 0 of 0`},
		{"no activity", saga.Checkpoint{Ledger: saga.Ledger{Entries: []saga.Entry{entry(saga.StatusPending)}}, Undo: []saga.Carried{{Entry: 0}}}, []string{"leg1"}, "no activity name"},
		{"not pending", saga.Checkpoint{Ledger: saga.Ledger{Entries: []saga.Entry{entry(saga.StatusSucceeded)}}, Undo: []saga.Carried{undo}}, []string{"leg1"}, `is "succeeded" in the ledger`},
		{"twice", saga.Checkpoint{Ledger: saga.Ledger{Entries: []saga.Entry{entry(saga.StatusPending)}}, Undo: []saga.Carried{undo, undo}}, []string{"leg1"}, "two carried compensations"},
		{"pending not carried", saga.Checkpoint{Ledger: saga.Ledger{Entries: []saga.Entry{entry(saga.StatusPending)}}}, []string{"leg1"}, "does not carry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ts testsuite.WorkflowTestSuite
			env := ts.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(resumeWorkflow)
			env.ExecuteWorkflow(resumeWorkflow, &tt.cp)
			require.NoError(t, env.GetWorkflowError())
			var got probe
			require.NoError(t, env.GetWorkflowResult(&got))
			assert.True(t, got.BadIs, "errors.Is(err, ErrBadCheckpoint): %s", got.Err)
			assert.Equal(t, tt.steps, got.Steps)
			assert.Contains(t, got.Err, tt.msg)
			assert.Contains(t, got.Err, "pass the value Saga.Checkpoint returned, unchanged")
		})
	}
}

// wrappedWorkflow continues as new with the continue-as-new error wrapped, or
// hands it to Compensate directly.
func wrappedWorkflow(ctx workflow.Context, direct bool, n int) (err error) {
	s := saga.New(ctx, saga.Options{})
	defer s.CompensateOnError(ctx, &err)
	s.AddCompensation("reserve", actRelease, order{ID: "o-1"})
	if n > 0 {
		return nil
	}
	can := workflow.NewContinueAsNewError(ctx, wrappedWorkflow, direct, n+1)
	if direct {
		if res := s.Compensate(ctx, can); res != can {
			return fmt.Errorf("Compensate changed the continue-as-new error into %w", res)
		}
		return can
	}
	return fmt.Errorf("rotate history: %w", can)
}

func TestWrappedContinueAsNewCompensatesNothing(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprint("direct=", direct), func(t *testing.T) {
			env, sh := newEnv(t)
			env.RegisterWorkflow(wrappedWorkflow)
			env.ExecuteWorkflow(wrappedWorkflow, direct, 0)
			var can *workflow.ContinueAsNewError
			require.ErrorAs(t, env.GetWorkflowError(), &can)
			assert.Empty(t, sh.Calls(), "nothing compensated")
			assert.Equal(t, saga.StateContinued, ledgerOf(t, env).State)
		})
	}
}

// funcThenContinue tries to continue as new with a Func compensation pending
// and returns the Checkpoint error instead.
func funcThenContinue(ctx workflow.Context, o order) (err error) {
	s := saga.New(ctx, saga.Options{})
	defer s.CompensateOnError(ctx, &err)
	s.AddFunc("open", func(ctx workflow.Context) error {
		return workflow.ExecuteActivity(ctx, actAudit, "reopen "+o.ID).Get(ctx, nil)
	})
	s.AddCompensation("reserve", actRelease, o)
	cp, err := s.Checkpoint()
	if err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, funcThenContinue, o, cp)
}

func TestUncarriableSagaFailsTheRunAndUndoesIt(t *testing.T) {
	env, sh := newEnv(t)
	env.RegisterWorkflow(funcThenContinue)
	env.ExecuteWorkflow(funcThenContinue, order{ID: "o-1"})
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.False(t, workflow.IsContinueAsNewError(err), "the run did not continue as new")
	assert.Contains(t, err.Error(), `saga: compensated: saga: step "open": a Func compensation cannot be carried`)
	assert.Equal(t, []string{actRelease, actAudit}, sh.Calls(), "nothing dropped: the run undid its steps, the Func included")
}
