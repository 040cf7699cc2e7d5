package saga

import (
	"errors"
	"slices"

	"go.temporal.io/sdk/workflow"
)

// Saga records the compensations of a workflow's steps and runs them when the
// workflow must undo its work.
//
// A Saga lives in workflow code: create it with [New] inside the workflow
// function, never share it between workflow executions. It is used from the
// workflow's coroutines (including [workflow.Go] and query handlers), which
// Temporal runs one at a time, so it needs no locking and must not be used from
// other goroutines. The zero value is not usable.
type Saga struct {
	opts         Options
	entries      []*entry // in the order steps were recorded
	order        []*entry // in the order compensations were registered
	pivoted      bool
	state        State
	compensating bool

	rev           int // counts changes to the compensations
	checkpointRev int // rev at the last Checkpoint; -1 before the first
}

type entry struct {
	Entry
	comp Compensation
	err  error // the compensation's error, for [Error]
}

// New returns an empty saga and registers its ledger under [LedgerQuery]. It
// runs in workflow code.
//
//	s := saga.New(ctx, saga.Options{})
//	defer s.CompensateOnError(ctx, &err)
func New(ctx workflow.Context, opts Options) *Saga {
	s := &Saga{opts: opts, state: StateRunning, checkpointRev: -1}
	// The only errors SetQueryHandler returns are for names starting with "__"
	// and handlers of the wrong shape; neither applies here.
	_ = workflow.SetQueryHandler(ctx, LedgerQuery, s.query)
	return s
}

// Add registers c as the compensation of the step called name, once that step
// has succeeded (or before it runs, when its outcome could be ambiguous). If
// the most recent entry called name has no compensation yet (a [Step] run with
// the zero Compensation), c is attached to it; this is how an undo that needs
// the step's result is registered:
//
//	pay, err := saga.Step[Payment](ctx, s, "charge", acts.Charge, order, opts, saga.Compensation{})
//	if err != nil {
//		return err
//	}
//	s.Add("charge", saga.Activity(acts.Refund, pay.ID))
//
// Otherwise a new entry is recorded. Compensations run in the reverse order of
// registration. After [Saga.Pivot], c is recorded as [StatusKept] and never
// runs. Adding the zero Compensation records the step with nothing to undo.
func (s *Saga) Add(name string, c Compensation) {
	for i := len(s.entries) - 1; i >= 0; i-- {
		if e := s.entries[i]; e.Name == name {
			if e.comp.IsZero() {
				s.register(e, c)
				return
			}
			break
		}
	}
	e := &entry{Entry: Entry{Name: name}}
	s.entries = append(s.entries, e)
	s.register(e, c)
}

// AddCompensation registers activity(args...) as the compensation of the
// step called name. It is short for s.Add(name, saga.Activity(activity, args...)).
func (s *Saga) AddCompensation(name string, activity any, args ...any) {
	s.Add(name, Activity(activity, args...))
}

// AddFunc registers fn, run in workflow code on a disconnected context, as the
// compensation of the step called name. It is short for s.Add(name, saga.Func(fn)).
func (s *Saga) AddFunc(name string, fn func(ctx workflow.Context) error) {
	s.Add(name, Func(fn))
}

func (s *Saga) register(e *entry, c Compensation) {
	if c.IsZero() {
		return
	}
	s.rev++
	e.comp = c
	e.Compensation = c.label
	e.CompensationStatus = StatusPending
	if s.pivoted {
		e.CompensationStatus = StatusKept
	}
	s.order = append(s.order, e)
}

// Pivot marks the point of no return (the order has shipped): from now on the
// saga compensates nothing. Compensations registered so far, and any
// registered later, are recorded as [StatusKept]; a later [Saga.Compensate]
// returns an [*Error] with Pivoted set and runs nothing. Steps after the pivot
// should retry until they succeed rather than fail the saga.
func (s *Saga) Pivot() {
	s.rev++
	s.pivoted = true
	for _, e := range s.order {
		if e.CompensationStatus == StatusPending {
			e.CompensationStatus = StatusKept
		}
	}
}

// Pivoted reports whether [Saga.Pivot] was called.
func (s *Saga) Pivoted() bool { return s.pivoted }

// Ledger returns a snapshot of the saga's steps and compensations.
func (s *Saga) Ledger() Ledger {
	l := Ledger{State: s.state, Pivoted: s.pivoted, Entries: make([]Entry, len(s.entries))}
	for i, e := range s.entries {
		l.Entries[i] = e.Entry
	}
	return l
}

// Compensate runs every pending compensation and returns cause joined with the
// compensations' failures as an [*Error] (never nil; a nil cause becomes
// [ErrAborted]). A cause that is a continue-as-new error, wrapped or not
// ([workflow.IsContinueAsNewError]), is not a failure: Compensate runs
// nothing, marks the saga [StateContinued] and returns cause unchanged (see
// [Saga.Checkpoint] to carry the pending compensations into the next run).
// It runs in workflow code:
//
//	if err != nil {
//		return s.Compensate(ctx, err)
//	}
//
// Compensations run on a context disconnected from ctx's cancellation
// ([workflow.NewDisconnectedContext]), so they run to completion even when
// the workflow is being canceled. They run in the reverse order of
// registration, one at a time, unless [Options.Parallel] is set. Each
// compensation runs at most once: calling Compensate again runs only those
// registered since. After [Saga.Pivot] nothing runs.
func (s *Saga) Compensate(ctx workflow.Context, cause error) error {
	if cause == nil {
		cause = ErrAborted
	}
	if workflow.IsContinueAsNewError(cause) && s.continueAsNew(ctx) {
		return cause
	}
	res := &Error{Cause: cause, from: s}
	if s.pivoted {
		res.Pivoted = true
		s.state = StateKept
		return res
	}
	var pending []*entry
	for _, e := range slices.Backward(s.order) {
		if e.CompensationStatus == StatusPending {
			pending = append(pending, e)
		}
	}

	s.compensating = true
	s.state = StateCompensating
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if s.opts.Parallel {
		s.runParallel(dctx, pending)
	} else {
		s.runSequential(dctx, pending)
	}
	s.compensating = false
	s.rev++

	for _, e := range pending {
		switch e.CompensationStatus {
		case StatusFailed:
			res.Compensations = append(res.Compensations, CompensationError{Step: e.Name, Err: e.err})
		case StatusSkipped:
			res.Skipped = append(res.Skipped, e.Name)
		}
	}
	s.state = StateCompensated
	if !res.Compensated() {
		s.state = StateIncomplete
	}
	return res
}

func (s *Saga) runSequential(ctx workflow.Context, pending []*entry) {
	failed := false
	for _, e := range pending {
		if failed && s.opts.StopOnError {
			e.CompensationStatus = StatusSkipped
			continue
		}
		if !s.run(ctx, e) {
			failed = true
		}
	}
}

func (s *Saga) runParallel(ctx workflow.Context, pending []*entry) {
	wg := workflow.NewWaitGroup(ctx)
	for _, e := range pending {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			s.run(ctx, e)
		})
	}
	wg.Wait(ctx)
}

// run executes one compensation and records its outcome; it reports success.
func (s *Saga) run(ctx workflow.Context, e *entry) bool {
	e.CompensationStatus = StatusRunning
	ctx = workflow.WithActivityOptions(ctx, activityOptions(e.comp.opts, s.opts.ActivityOptions, e.Name))
	var err error
	if e.comp.fn != nil {
		err = e.comp.fn(ctx)
	} else {
		err = workflow.ExecuteActivity(ctx, e.comp.activity, e.comp.args...).Get(ctx, nil)
	}
	if err != nil {
		e.CompensationStatus = StatusFailed
		e.CompensationError = err.Error()
		e.err = err
		return false
	}
	e.CompensationStatus = StatusSucceeded
	return true
}

// continueAsNew reports whether the saga lets a continue-as-new through
// without compensating, and records it. Sagas before this rule undid their
// pending compensations on continue-as-new; the [workflow.GetVersion] marker
// keeps their running histories replaying as they were recorded.
func (s *Saga) continueAsNew(ctx workflow.Context) bool {
	if s.state == StateContinued {
		return true // already let through (Compensate, then the deferred CompensateOnError)
	}
	pending := 0
	for _, e := range s.order {
		if e.CompensationStatus == StatusPending {
			pending++
		}
	}
	if pending > 0 {
		if workflow.GetVersion(ctx, ChangeContinueAsNew, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return false
		}
		if s.checkpointRev != s.rev {
			workflow.GetLogger(ctx).Warn("saga: continuing as new without a checkpoint taken after the last change; "+
				"pending compensations not carried by Saga.Checkpoint into the next run will never run",
				"pending", pending)
		}
	}
	s.state = StateContinued
	return true
}

// ChangeContinueAsNew is the [workflow.GetVersion] change ID that a saga
// records when the workflow continues as new with compensations pending
// (version 1: compensate nothing). Histories without it were recorded before
// the rule and replay as they ran, compensating before continuing as new.
const ChangeContinueAsNew = "saga.continue-as-new-compensates-nothing"

// CompensateOnError compensates when the workflow returns an error. Defer it
// right after [New], with the workflow's named error result:
//
//	func Order(ctx workflow.Context, o Order) (err error) {
//		s := saga.New(ctx, saga.Options{})
//		defer s.CompensateOnError(ctx, &err)
//		...
//	}
//
// When *errp is non-nil it is replaced by the [*Error] of [Saga.Compensate].
// A cancelled workflow is covered: the step blocked at cancellation returns a
// [go.temporal.io/sdk/temporal.CanceledError], the compensations run on a
// disconnected context, and the workflow still ends as canceled because the
// returned error keeps the CanceledError reachable. A continue-as-new error
// (wrapped or not) is not a failure: it is left as is and nothing is
// compensated; carry the pending compensations with [Saga.Checkpoint]. It
// does nothing when *errp is nil, when *errp is already the result of this
// saga's Compensate, or while Compensate is running (so a deferred call
// cannot re-enter it).
func (s *Saga) CompensateOnError(ctx workflow.Context, errp *error) {
	if errp == nil || *errp == nil || s.compensating {
		return
	}
	var se *Error
	if errors.As(*errp, &se) && se.from == s {
		return
	}
	*errp = s.Compensate(ctx, *errp)
}
