package ordersaga

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/idem"
)

// Wire names of the workflow, its activities and its query. They are stable:
// renaming one breaks running workflows and recorded histories.
const (
	// TaskQueue is the task queue the worker polls and the starter uses.
	TaskQueue = "ordersaga"
	// WorkflowName is the registered name of [OrderWorkflow].
	WorkflowName = "OrderSaga"
	// QueryStatus answers with the workflow's [Status].
	QueryStatus = "ordersaga.status"

	ActivityReserve = "ordersaga.Reserve"
	ActivityCharge  = "ordersaga.Charge"
	ActivityShip    = "ordersaga.Ship"
	ActivityRelease = "ordersaga.Release"
	ActivityRefund  = "ordersaga.Refund"
	ActivityAudit   = "ordersaga.Audit"
)

// Activities are the saga's steps and compensations, run by the worker
// against a [Store]. Create them with [NewActivities] and register them with
// [Register]. They are safe for concurrent use.
type Activities struct {
	store  Store
	charge func(context.Context, ChargeRequest) (Payment, error)
	refund func(context.Context, string) (RefundResult, error)
}

// ChargeRequest is the input of the charge once its failure switch has been
// checked; its JSON is the idempotency fingerprint of [ChargeKey].
type ChargeRequest struct {
	OrderID string `json:"orderId"`
	Amount  int64  `json:"amount"`
}

// RefundResult is what [Activities.Refund] did.
type RefundResult struct {
	OrderID string `json:"orderId"`
	// Refunded is false when the order had no charge to give back (the charge
	// failed before taking money).
	Refunded bool `json:"refunded"`
	// Payment is the refund, when Refunded.
	Payment Payment `json:"payment"`
}

// Audit is what the store holds for an order once the saga is over.
type Audit struct {
	OrderID string `json:"orderId"`
	// Reservation is the reservation's status, empty when there is none.
	Reservation ReservationStatus `json:"reservation,omitempty"`
	// Charges and Refunds count the order's payments of each kind.
	Charges int `json:"charges"`
	Refunds int `json:"refunds"`
	// Charged and Refunded sum them, in cents.
	Charged  int64 `json:"charged"`
	Refunded int64 `json:"refunded"`
	// Tracking is the shipment's tracking number, empty when not shipped.
	Tracking string `json:"tracking,omitempty"`
}

// NewActivities returns the activities on store, with the charge and the
// refund made idempotent through keys (see [idem.Wrap]): one charge per
// [ChargeKey] and one refund per [RefundKey], even when an attempt crashes
// after moving money. keys must be shared by every worker of the task queue
// (an [idem.FileStore] in the same directory, or an [idem.PostgresStore]).
func NewActivities(store Store, keys idem.Store) (*Activities, error) {
	if store == nil || keys == nil {
		return nil, errors.New("ordersaga: NewActivities needs a Store and an idem.Store")
	}
	a := &Activities{store: store}
	a.charge = idem.Wrap(keys, a.chargeOnce,
		idem.WithKey(func(_ context.Context, in ChargeRequest) (string, error) { return ChargeKey(in.OrderID), nil }),
		idem.WithReconcile(a.findPayment))
	a.refund = idem.Wrap(keys, a.refundOnce,
		idem.WithKey(func(_ context.Context, orderID string) (string, error) { return RefundKey(orderID), nil }),
		idem.WithReconcile(a.findRefund))
	return a, nil
}

// Register registers [OrderWorkflow] and the activities under their wire names.
func Register(r worker.Registry, acts *Activities) {
	RegisterWorkflow(r)
	RegisterActivities(r, acts)
}

// RegisterActivities registers the activities alone under their wire names.
func RegisterActivities(r worker.ActivityRegistry, acts *Activities) {
	r.RegisterActivityWithOptions(acts.Reserve, activity.RegisterOptions{Name: ActivityReserve})
	r.RegisterActivityWithOptions(acts.Charge, activity.RegisterOptions{Name: ActivityCharge})
	r.RegisterActivityWithOptions(acts.Ship, activity.RegisterOptions{Name: ActivityShip})
	r.RegisterActivityWithOptions(acts.Release, activity.RegisterOptions{Name: ActivityRelease})
	r.RegisterActivityWithOptions(acts.Refund, activity.RegisterOptions{Name: ActivityRefund})
	r.RegisterActivityWithOptions(acts.Audit, activity.RegisterOptions{Name: ActivityAudit})
}

// RegisterWorkflow registers [OrderWorkflow] alone, for a replayer or a
// worker that runs no activities.
func RegisterWorkflow(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(OrderWorkflow, workflow.RegisterOptions{Name: WorkflowName})
}

// Reserve takes the order's items out of stock. A retry of a reserved
// order returns the same reservation.
func (a *Activities) Reserve(ctx context.Context, o Order) (Reservation, error) {
	if o.FailAt == StepReserve {
		return Reservation{}, injected(StepReserve, o.ID)
	}
	r, err := a.store.Reserve(ctx, o.ID, o.Items)
	if err != nil {
		return Reservation{}, activityError("reserve", err)
	}
	return r, nil
}

// Release puts a reserved order's items back; it compensates [Activities.Reserve].
// Releasing an order with no reservation, or a released one, succeeds.
func (a *Activities) Release(ctx context.Context, orderID string) (Reservation, error) {
	r, err := a.store.Release(ctx, orderID)
	if errors.Is(err, ErrNotFound) {
		return Reservation{OrderID: orderID}, nil
	}
	if err != nil {
		return Reservation{}, activityError("release", err)
	}
	return r, nil
}

// Charge takes the order's amount, once per [ChargeKey] however often it
// is retried.
func (a *Activities) Charge(ctx context.Context, o Order) (Payment, error) {
	if o.FailAt == StepCharge {
		return Payment{}, injected(StepCharge, o.ID)
	}
	return a.charge(ctx, ChargeRequest{OrderID: o.ID, Amount: o.Amount})
}

// chargeOnce is the body idem runs once per key.
func (a *Activities) chargeOnce(ctx context.Context, in ChargeRequest) (Payment, error) {
	key, _ := idem.KeyFrom(ctx)
	p, err := a.store.Charge(ctx, key, in.OrderID, in.Amount)
	if err != nil {
		return Payment{}, activityError("charge", err)
	}
	return p, nil
}

// findPayment reconciles a claim taken over from a crashed attempt: the
// gateway is asked whether a payment under the key exists.
func (a *Activities) findPayment(ctx context.Context, key string, _ ChargeRequest) (Payment, bool, error) {
	p, err := a.store.Payment(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return Payment{}, false, nil
	case err != nil:
		return Payment{}, false, activityError("look up payment", err)
	}
	return p, true, nil
}

// Refund gives back what the order was charged, once per [RefundKey]; it
// compensates [Activities.Charge]. When the order has no charge (the charge
// failed before taking money) it refunds nothing and succeeds.
func (a *Activities) Refund(ctx context.Context, orderID string) (RefundResult, error) {
	return a.refund(ctx, orderID)
}

func (a *Activities) refundOnce(ctx context.Context, orderID string) (RefundResult, error) {
	charge, err := a.store.Payment(ctx, ChargeKey(orderID))
	if errors.Is(err, ErrNotFound) {
		return RefundResult{OrderID: orderID}, nil
	}
	if err != nil {
		return RefundResult{}, activityError("look up charge", err)
	}
	key, _ := idem.KeyFrom(ctx)
	p, err := a.store.Refund(ctx, key, orderID, charge.Amount)
	if err != nil {
		return RefundResult{}, activityError("refund", err)
	}
	return RefundResult{OrderID: orderID, Refunded: true, Payment: p}, nil
}

func (a *Activities) findRefund(ctx context.Context, key, orderID string) (RefundResult, bool, error) {
	p, found, err := a.findPayment(ctx, key, ChargeRequest{})
	if !found || err != nil {
		return RefundResult{}, found, err
	}
	return RefundResult{OrderID: orderID, Refunded: true, Payment: p}, true, nil
}

// Ship hands a reserved order to the carrier. It is the saga's pivot: once
// it succeeds nothing is undone. A retry of a shipped order returns the same
// shipment.
func (a *Activities) Ship(ctx context.Context, o Order) (Shipment, error) {
	if o.FailAt == StepShip {
		return Shipment{}, injected(StepShip, o.ID)
	}
	sh, err := a.store.Ship(ctx, o.ID)
	if err != nil {
		return Shipment{}, activityError("ship", err)
	}
	return sh, nil
}

// Audit reads what the store holds for the order. It changes nothing.
func (a *Activities) Audit(ctx context.Context, orderID string) (Audit, error) {
	au := Audit{OrderID: orderID}
	r, err := a.store.Reservation(ctx, orderID)
	switch {
	case err == nil:
		au.Reservation = r.Status
	case !errors.Is(err, ErrNotFound):
		return Audit{}, activityError("audit reservation", err)
	}
	ps, err := a.store.Payments(ctx, orderID)
	if err != nil {
		return Audit{}, activityError("audit payments", err)
	}
	for _, p := range ps {
		switch p.Kind {
		case KindCharge:
			au.Charges++
			au.Charged += p.Amount
		case KindRefund:
			au.Refunds++
			au.Refunded += p.Amount
		}
	}
	sh, err := a.store.Shipment(ctx, orderID)
	switch {
	case err == nil:
		au.Tracking = sh.Tracking
	case !errors.Is(err, ErrNotFound):
		return Audit{}, activityError("audit shipment", err)
	}
	return au, nil
}
