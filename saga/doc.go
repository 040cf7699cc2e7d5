// Package saga undoes a workflow's completed steps when a later step fails or
// the workflow is cancelled: it records a compensation for each step and runs
// them, in reverse order or in parallel, on a context that cancellation cannot
// reach.
//
// # Overview
//
// An order reserves stock, charges the card and ships. If shipping fails, the
// charge must be refunded and the stock released. In workflow code:
//
//	func Order(ctx workflow.Context, o Order) (err error) {
//		s := saga.New(ctx, saga.Options{})
//		defer s.CompensateOnError(ctx, &err)
//
//		_, err = saga.Step[string](ctx, s, "reserve", acts.Reserve, o, durable.Quick("reserve"),
//			saga.Activity(acts.Release, o.ID))
//		if err != nil {
//			return err
//		}
//		_, err = saga.Step[string](ctx, s, "charge", acts.Charge, o, durable.Standard("charge"),
//			saga.Activity(acts.Refund, o.ID).BeforeStep())
//		if err != nil {
//			return err
//		}
//		...
//	}
//
// [Step] runs a step's activity and registers its [Compensation];
// [Saga.AddCompensation], [Saga.AddFunc] and [Saga.Add] register compensations
// for work done otherwise. [Saga.Compensate] (or the deferred
// [Saga.CompensateOnError]) runs them and returns an [*Error]. A saga that
// spans continue-as-new carries a [Checkpoint] from [Saga.Checkpoint] into
// [Resume] (see Continue-as-new).
//
// # Why a disconnected context
//
// When a workflow is cancelled, its context is cancelled, and every activity
// scheduled on that context fails at once with a cancellation error. The
// Temporal samples run compensations on that same context, so a cancelled
// workflow cannot undo anything: exactly the case where undoing matters most.
// [Saga.Compensate] runs every compensation on
// [workflow.NewDisconnectedContext], which keeps the workflow's values and
// options but not its cancellation. The compensations therefore run to the
// end, and the workflow still ends as canceled, because the returned [*Error]
// keeps the [go.temporal.io/sdk/temporal.CanceledError] reachable through
// Unwrap.
//
// # Ordering
//
// Compensations run one at a time in the reverse order of registration: the
// last thing done is the first undone, as each undo may depend on later work
// being gone (ship cancelled before the refund). [Options.Parallel] starts
// them all at once when they are independent. By default a failing
// compensation does not stop the others; [Options.StopOnError] stops at the
// first failure and marks the rest skipped (it has no effect in parallel
// mode).
//
// A compensation is registered after its step succeeds, so a step that failed
// is not undone. For a step whose outcome can be ambiguous, such as a charge
// that timed out after the request reached the provider, mark the compensation
// [Compensation.BeforeStep]: it is registered before the step runs, and runs
// even when the step failed, so it must tolerate undoing nothing. An undo that
// needs the step's result (a payment ID) is registered with [Saga.Add] right
// after the step.
//
// # Pivot
//
// Some steps cannot be undone: once the parcel has shipped, refunding is
// wrong. [Saga.Pivot] marks the point of no return; afterwards the saga
// compensates nothing (every compensation is recorded as [StatusKept]) and
// [Saga.Compensate] returns an [*Error] with Pivoted set. Steps after the
// pivot should be retried until they succeed rather than fail the workflow.
//
// # Continue-as-new
//
// Continuing as new is not a failure. When the workflow returns a
// continue-as-new error, wrapped or not ([workflow.IsContinueAsNewError]),
// [Saga.CompensateOnError] and [Saga.Compensate] let it through unchanged and
// compensate nothing; the run's ledger says [StateContinued].
//
// A saga spans runs by carrying a [Checkpoint] in the continue-as-new input
// and resuming it in the next run; [Resume] with nil starts a new saga, so
// one call serves every run:
//
//	s, err := saga.Resume(ctx, saga.Options{}, in.Saga)
//	if err != nil {
//		return err
//	}
//	defer s.CompensateOnError(ctx, &err)
//	...
//	if in.Saga, err = s.Checkpoint(); err != nil {
//		return err
//	}
//	return workflow.NewContinueAsNewError(ctx, Trip, in)
//
// The rules:
//
//   - A failure in a later run undoes the steps of every earlier run, in the
//     reverse order of registration across runs.
//   - Each compensation runs once: the checkpoint carries only those still
//     pending; those that ran (or failed, were skipped or kept after the
//     pivot) stay in the ledger and never run again. The pivot is carried.
//   - Only activity compensations ([Activity], [Saga.AddCompensation]) can
//     be carried: they are data (activity name, arguments encoded by the
//     SDK's default data converter, resolved options). A pending [Func]
//     compensation is Go code: [Saga.Checkpoint] returns an error matching
//     [ErrFuncNotCarried] instead of dropping it. Register an activity given
//     as a function under its function name, or pass its registered name.
//   - Take the checkpoint after the last registration of the run. A saga
//     that continues as new with pending compensations it did not carry logs
//     a warning: those compensations will never run.
//
// Before this rule a saga undid its pending compensations on continue-as-new.
// The marker [ChangeContinueAsNew] ([workflow.GetVersion]) keeps histories
// recorded before it replaying as they ran.
//
// # Retries and errors
//
// A compensation activity uses its own options ([Compensation.WithOptions]),
// else [Options.ActivityOptions], else the generous [CompensationOptions]
// preset (retried for up to a day), so an undo outlasts the outage that made
// the saga fail. Compensations, like any activity, may run more than once
// (a worker that dies after the refund and before reporting it): make them
// idempotent, for example with package idem and a business key such as
// "refund:order-123".
//
// [*Error] joins the cause with every failed compensation: Unwrap returns the
// cause and one [*CompensationError] per failure, so errors.Is and errors.As
// reach each of them. [Error.Compensated] says whether the undo is complete.
// Go error identity does not cross the workflow boundary: pass the result
// through [WorkflowError] before returning it, and the client receives a
// non-retryable application error of type [ErrTypeCompensated],
// [ErrTypeIncomplete] or [ErrTypeAfterPivot] (matched with [IsCompensated],
// [IsIncomplete], [IsAfterPivot]) carrying an [Outcome]; the full structured
// record is the ledger.
//
// # Ledger
//
// The saga records each step and compensation with its outcome in a [Ledger].
// [New] registers it as the query [LedgerQuery] (add names with
// [Saga.RegisterQuery]); clients read it with [ReadLedger] or
// `temporal workflow query --type saga.ledger`, also after the workflow has
// closed. An incomplete undo lists what to fix by hand: compensations
// [StatusFailed] or [StatusSkipped].
//
// # Determinism
//
// Everything in this package except [ReadLedger] runs in workflow code and is
// deterministic: parallel compensations use [workflow.Go] and a
// [workflow.WaitGroup], the ledger is plain slices, and nothing reads the
// clock. Compensation arguments are recorded when registered and become
// activity inputs in the history. Changing which compensations a workflow
// registers, or their order, changes the commands it issues: version such
// changes with [workflow.GetVersion] and keep a replay test (see Testing). A
// [Saga] is not safe for use from goroutines; use it from the workflow's
// coroutines only. [Saga.CompensateOnError] must be deferred with the
// workflow's named error result and acts only when that result is non-nil: a
// panic fails the workflow task (retried once the code is fixed), not the
// workflow, and must not trigger compensation, so assign the error result only
// when returning it.
//
// # Testing
//
// The package's own tests show the patterns: go.temporal.io/sdk/testsuite
// workflows that assert the exact order of compensations, parallel mode
// (compensations that each take ten minutes of workflow time finish together),
// cancellation with RegisterDelayedCallback while a step blocks, replay of
// histories recorded on the dev server with durabletest.SaveHistory, a
// dev-server test that kills the worker during a compensation and checks each
// undo took effect exactly once, and sagas that continue as new across real
// runs on the dev server. To test a saga across continue-as-new in
// go.temporal.io/sdk/testsuite, run one environment per run and pass the
// input of each [workflow.ContinueAsNewError] to the next (see [Resume]'s
// example).
package saga
