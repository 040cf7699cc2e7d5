package ordersaga

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/saga"
)

// Outcomes of an order, in [Status.Outcome].
const (
	// OutcomeRunning: steps are running or being undone.
	OutcomeRunning = "running"
	// OutcomeCompleted: reserved, charged and shipped.
	OutcomeCompleted = "completed"
	// OutcomeCompensated: a step failed (or the workflow was canceled) and
	// every completed step was undone.
	OutcomeCompensated = "compensated"
	// OutcomeIncomplete: a step failed and some undo failed too; the ledger
	// lists what to undo by hand.
	OutcomeIncomplete = "incomplete"
	// OutcomeRejected: the order was invalid; nothing ran.
	OutcomeRejected = "rejected"
)

// Status is where an order stands: the answer to [QueryStatus], the result
// of a completed [OrderWorkflow], and the details of its
// [ErrTypeCompensated] or [ErrTypeCompensationIncomplete] error.
type Status struct {
	OrderID string `json:"orderId"`
	// Outcome is one of the Outcome constants.
	Outcome string `json:"outcome"`
	// Step is the step running, or the last one that ran.
	Step string `json:"step,omitempty"`
	// Reservation, Payment and Shipment are the results of the steps that
	// succeeded.
	Reservation *Reservation `json:"reservation,omitempty"`
	Payment     *Payment     `json:"payment,omitempty"`
	Shipment    *Shipment    `json:"shipment,omitempty"`
	// Audit is what the store held for the order when the workflow ended.
	Audit *Audit `json:"audit,omitempty"`
	// Ledger is the saga's steps and compensations.
	Ledger saga.Ledger `json:"ledger"`
	// Error is the failure that ended the order, if any.
	Error string `json:"error,omitempty"`
}

// OrderWorkflow reserves the order's stock, charges it and ships it. When a
// step fails, or the workflow is canceled, the steps that completed are
// undone in reverse order on a disconnected context: the refund, then the
// release. Shipping is the pivot: once it succeeds nothing is undone.
//
// An invalid order fails at once with [ErrTypeInvalidOrder], before any
// activity. A compensated order fails with [ErrTypeCompensated] (or
// [ErrTypeCompensationIncomplete]) carrying the final [Status] as details
// and the step's failure as cause; a canceled one ends as canceled. It
// registers [QueryStatus], and [saga.LedgerQuery] once the order is valid.
func OrderWorkflow(ctx workflow.Context, order Order) (st Status, err error) {
	st = Status{OrderID: order.ID, Outcome: OutcomeRunning}
	var s *saga.Saga
	if qerr := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) {
		q := st
		if s != nil {
			q.Ledger = s.Ledger()
		}
		return q, nil
	}); qerr != nil {
		return st, qerr
	}
	if verr := order.Validate(); verr != nil {
		st.Outcome, st.Error = OutcomeRejected, verr.Error()
		return st, temporal.NewNonRetryableApplicationError(verr.Error(), ErrTypeInvalidOrder, nil)
	}

	undo := saga.CompensationOptions("")
	undo.StartToCloseTimeout = order.attemptTimeout()
	s = saga.New(ctx, saga.Options{ActivityOptions: undo})
	defer func() { err = finish(ctx, s, order, &st, err) }()
	defer s.CompensateOnError(ctx, &err)

	st.Step = StepReserve
	r, err := saga.Step[Reservation](ctx, s, StepReserve, ActivityReserve, order,
		stepOptions(order, fmt.Sprintf("reserve %d SKUs for %s", len(order.Items), order.ID)),
		saga.Activity(ActivityRelease, order.ID))
	if err != nil {
		return st, err
	}
	st.Reservation = &r

	// A charge whose attempt timed out may have taken the money: the refund
	// is registered before the charge runs, and refunds nothing when there
	// is no charge under the key.
	st.Step = StepCharge
	p, err := saga.Step[Payment](ctx, s, StepCharge, ActivityCharge, order,
		stepOptions(order, fmt.Sprintf("charge %d cents for %s", order.Amount, order.ID)),
		saga.Activity(ActivityRefund, order.ID).BeforeStep())
	if err != nil {
		return st, err
	}
	st.Payment = &p

	st.Step = StepShip
	sh, err := saga.Step[Shipment](ctx, s, StepShip, ActivityShip, order,
		stepOptions(order, "ship "+order.ID), saga.Compensation{})
	if err != nil {
		return st, err
	}
	st.Shipment = &sh
	s.Pivot()
	return st, nil
}

// stepOptions are the options of a step: the order's attempt timeout, a
// bounded number of retries, and no retry of the errors that will not heal.
func stepOptions(o Order, summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    o.attemptTimeout(),
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            durable.RetryPolicy(200*time.Millisecond, 10*time.Second, 20, nonRetryableTypes...),
		Summary:                summary,
	}
}

// finish runs after the saga compensated (or completed): it audits the
// store on a disconnected context, fills in st and turns the saga's error
// into the workflow's typed error.
func finish(ctx workflow.Context, s *saga.Saga, order Order, st *Status, err error) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	opts := durable.Quick("audit " + order.ID)
	opts.StartToCloseTimeout = order.attemptTimeout()
	if au, aerr := durable.Execute[Audit](dctx, ActivityAudit, order.ID, opts); aerr == nil {
		st.Audit = &au
	} else {
		workflow.GetLogger(ctx).Warn("ordersaga: audit failed; the status has no audit", "order", order.ID, "error", aerr)
	}
	st.Ledger = s.Ledger()
	if err == nil {
		st.Outcome = OutcomeCompleted
		return nil
	}
	st.Error = err.Error()
	typ, cause := ErrTypeCompensated, err
	st.Outcome = OutcomeCompensated
	var se *saga.Error
	if errors.As(err, &se) {
		cause = se.Cause
		if !se.Compensated() {
			typ, st.Outcome = ErrTypeCompensationIncomplete, OutcomeIncomplete
		}
	}
	if temporal.IsCanceledError(err) {
		return err // the workflow ends as canceled; the status query has the rest
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), typ, temporal.ApplicationErrorOptions{
		NonRetryable: true, Cause: cause, Details: []any{*st},
	})
}
