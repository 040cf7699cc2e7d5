// Package ordersaga is a runnable example of a saga on Temporal: reserve
// stock, charge the payment, ship the order; when a step fails (or the
// workflow is canceled) the steps that completed are undone in reverse
// order, refund before release. It is built from the seeds' order saga with
// the [saga] and [idem] packages, and keeps real state that tests inspect.
//
// # Overview
//
// The workflow side is [OrderWorkflow] (registered as [WorkflowName]); the
// worker side is [NewActivities] on a [Store] and an [idem.Store], registered
// with [Register]. A worker (./worker) polls [TaskQueue]; a starter
// (./starter) or [RunDemo] places an order and reports its [DemoResult].
//
// State lives behind three small interfaces, [Inventory] (stock and one
// reservation per order), [Payments] (charges and refunds, each recorded
// under its business key) and [Shipments]. [FileStore] keeps them in a JSON
// file written atomically under a flock, for one host; [PostgresStore] in
// PostgreSQL tables, for many. [OpenBackend] picks one from a directory or a
// DSN ([EnvPostgresDSN]).
//
// The payment gateway charges on every call, like one without idempotency
// support. The activities make the charge and the refund happen once per
// business key, [ChargeKey] ("charge:<order>") and [RefundKey]
// ("refund:<order>"), with [idem.Wrap]: a retry after a crash returns the
// recorded payment, and an attempt that died before recording it is
// reconciled by looking the payment up by its key ([idem.WithReconcile]).
//
// Shipping is the pivot ([saga.Saga.Pivot]): once it succeeds nothing is
// undone. The refund is registered before the charge runs
// ([saga.Compensation.BeforeStep]) because a charge that timed out may have
// taken the money; it refunds nothing when no charge exists under the key.
//
// # Determinism
//
// [OrderWorkflow] only schedules activities, answers [QueryStatus] and
// [saga.LedgerQuery], and validates its input with [Order.Validate], which
// is pure. Every side effect and every clock read is in the activities.
// Compensations and the final [Activities.Audit] run on a disconnected
// context, so they run even when the workflow is canceled. Recorded
// histories in testdata are replayed by the tests.
//
// # Retries and errors
//
// Steps use a bounded retry policy with every field set (see
// [durable.RetryPolicy]); errors that will not heal are non-retryable
// [temporal.ApplicationError]s with exported types: [ErrTypeInvalidOrder]
// (returned by the workflow before any activity), [ErrTypeOutOfStock],
// [ErrTypeOrderClosed] and [ErrTypeInjected] (the switch [Order.FailAt]).
// Store failures are [ErrTypeStore] and retried. A compensated order fails
// with [ErrTypeCompensated] (or [ErrTypeCompensationIncomplete]) whose
// details are the final [Status] and whose cause is the step's failure; a
// canceled order ends as canceled. Match them with [IsCompensated],
// [IsInjected] and the other IsX helpers.
//
// An order ID is used once: the keys are derived from it, so a compensated
// order placed again under the same ID is refused with [ErrTypeOrderClosed].
//
// # Testing
//
// The tests run the workflow in the SDK's test environment against both
// stores (happy path; a failure at each step with the undo order checked in
// the activity sequence, the ledger and the store; invalid orders;
// cancellation while shipping), run it on a real dev server through
// durabletest (including a worker killed after the charge took the money:
// the gateway shows exactly one charge), and replay the recorded histories.
// PostgreSQL tests use IDEM_POSTGRES_DSN or
// postgres://postgres@127.0.0.1:5432/test and skip when it is unreachable,
// unless DURABLE_INTEGRATION=1.
package ordersaga
