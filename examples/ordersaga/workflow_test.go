package ordersaga

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/saga"
)

// harness runs OrderWorkflow in the test environment against a real store.
type harness struct {
	env   *testsuite.TestWorkflowEnvironment
	store Store

	mu      sync.Mutex
	started []string
}

func newHarness(t *testing.T, open func(t *testing.T) (Store, idem.Store)) *harness {
	t.Helper()
	st, keys := open(t)
	require.NoError(t, st.EnsureStock(context.Background(), DefaultStock()))
	acts, err := NewActivities(st, keys)
	require.NoError(t, err)
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(durabletest.Logger())
	h := &harness{env: ts.NewTestWorkflowEnvironment(), store: st}
	Register(h.env, acts)
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.started = append(h.started, info.ActivityType.Name)
	})
	return h
}

// Started returns the activity types in the order their attempts started.
func (h *harness) Started() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.started)
}

// failedStatus returns the Status carried by the workflow's typed error.
func failedStatus(t *testing.T, err error) Status {
	t.Helper()
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.HasDetails(), "the error carries the final status")
	var st Status
	require.NoError(t, ae.Details(&st))
	return st
}

func testOrder(id string) Order {
	return Order{ID: id, Items: []Item{{SKU: "widget", Quantity: 2}, {SKU: "gadget", Quantity: 1}}, Amount: 4999}
}

func TestWorkflowCompletes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		h := newHarness(t, open)
		h.env.ExecuteWorkflow(WorkflowName, testOrder("o-1"))
		require.True(t, h.env.IsWorkflowCompleted())
		require.NoError(t, h.env.GetWorkflowError())
		var st Status
		require.NoError(t, h.env.GetWorkflowResult(&st))

		assert.Equal(t, OutcomeCompleted, st.Outcome)
		require.NotNil(t, st.Shipment)
		assert.Equal(t, trackingNumber("o-1"), st.Shipment.Tracking)
		require.NotNil(t, st.Audit)
		assert.Equal(t, Audit{OrderID: "o-1", Reservation: Shipped, Charges: 1, Charged: 4999, Tracking: trackingNumber("o-1")}, *st.Audit)
		assert.Equal(t, []string{ActivityReserve, ActivityCharge, ActivityShip, ActivityAudit}, h.Started())

		assert.True(t, st.Ledger.Pivoted)
		assert.Equal(t, []saga.Entry{
			{Name: StepReserve, Step: saga.StatusSucceeded, Compensation: ActivityRelease, CompensationStatus: saga.StatusKept},
			{Name: StepCharge, Step: saga.StatusSucceeded, Compensation: ActivityRefund, CompensationStatus: saga.StatusKept},
			{Name: StepShip, Step: saga.StatusSucceeded},
		}, st.Ledger.Entries)

		ctx := context.Background()
		assert.Equal(t, 98, stock(t, h.store, "widget"))
		assert.Equal(t, 49, stock(t, h.store, "gadget"))
		ps, err := h.store.Payments(ctx, "o-1")
		require.NoError(t, err)
		require.Len(t, ps, 1)
		assert.Equal(t, Payment{Seq: ps[0].Seq, Key: ChargeKey("o-1"), OrderID: "o-1", Kind: KindCharge, Amount: 4999, CreatedAt: ps[0].CreatedAt}, ps[0])
	})
}

func TestWorkflowCompensatesInReverse(t *testing.T) {
	tests := []struct {
		failAt  string
		started []string
		ledger  []saga.Entry
		// payments are the kinds recorded for the order, in order.
		payments    []PaymentKind
		reservation ReservationStatus
	}{
		{
			failAt:  StepReserve,
			started: []string{ActivityReserve, ActivityAudit},
			ledger: []saga.Entry{
				{Name: StepReserve, Step: saga.StatusFailed},
			},
		},
		{
			failAt:  StepCharge,
			started: []string{ActivityReserve, ActivityCharge, ActivityRefund, ActivityRelease, ActivityAudit},
			ledger: []saga.Entry{
				{Name: StepReserve, Step: saga.StatusSucceeded, Compensation: ActivityRelease, CompensationStatus: saga.StatusSucceeded},
				// The refund was registered before the charge ran; it found no charge.
				{Name: StepCharge, Step: saga.StatusFailed, Compensation: ActivityRefund, CompensationStatus: saga.StatusSucceeded},
			},
			reservation: Released,
		},
		{
			failAt:  StepShip,
			started: []string{ActivityReserve, ActivityCharge, ActivityShip, ActivityRefund, ActivityRelease, ActivityAudit},
			ledger: []saga.Entry{
				{Name: StepReserve, Step: saga.StatusSucceeded, Compensation: ActivityRelease, CompensationStatus: saga.StatusSucceeded},
				{Name: StepCharge, Step: saga.StatusSucceeded, Compensation: ActivityRefund, CompensationStatus: saga.StatusSucceeded},
				{Name: StepShip, Step: saga.StatusFailed},
			},
			payments:    []PaymentKind{KindCharge, KindRefund},
			reservation: Released,
		},
	}
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		for _, tt := range tests {
			t.Run(tt.failAt, func(t *testing.T) {
				h := newHarness(t, open)
				o := testOrder("o-" + tt.failAt)
				o.FailAt = tt.failAt
				h.env.ExecuteWorkflow(WorkflowName, o)
				require.True(t, h.env.IsWorkflowCompleted())
				err := h.env.GetWorkflowError()
				require.Error(t, err)
				assert.True(t, IsCompensated(err), "typed workflow error: %v", err)
				assert.True(t, IsInjected(err), "the step's failure is the cause: %v", err)
				assert.False(t, IsCompensationIncomplete(err))

				// Compensations ran in reverse order of the steps.
				assert.Equal(t, tt.started, h.Started())
				st := failedStatus(t, err)
				assert.Equal(t, OutcomeCompensated, st.Outcome)
				assert.Equal(t, saga.StateCompensated, st.Ledger.State)
				for i := range st.Ledger.Entries {
					st.Ledger.Entries[i].StepError = "" // checked through the error above
				}
				assert.Equal(t, tt.ledger, st.Ledger.Entries)

				// The store is back where it started.
				ctx := context.Background()
				assert.Equal(t, 100, stock(t, h.store, "widget"))
				assert.Equal(t, 50, stock(t, h.store, "gadget"))
				ps, err := h.store.Payments(ctx, o.ID)
				require.NoError(t, err)
				var kinds []PaymentKind
				for _, p := range ps {
					kinds = append(kinds, p.Kind)
					assert.Equal(t, o.Amount, p.Amount)
				}
				assert.Equal(t, tt.payments, kinds)
				require.NotNil(t, st.Audit)
				assert.Equal(t, tt.reservation, st.Audit.Reservation)
				assert.Equal(t, len(tt.payments)/2, st.Audit.Refunds)
				if tt.reservation != "" {
					r, err := h.store.Reservation(ctx, o.ID)
					require.NoError(t, err)
					if len(ps) == 2 {
						assert.False(t, r.UpdatedAt.Before(ps[1].CreatedAt), "released after the refund")
					}
				}
				_, err = h.store.Shipment(ctx, o.ID)
				require.ErrorIs(t, err, ErrNotFound)
			})
		}
	})
}

func TestWorkflowOutOfStockCompensates(t *testing.T) {
	h := newHarness(t, openFileBackend)
	o := Order{ID: "o-big", Items: []Item{{SKU: "widget", Quantity: 1}, {SKU: "gizmo", Quantity: 1000}}, Amount: 100}
	h.env.ExecuteWorkflow(WorkflowName, o)
	err := h.env.GetWorkflowError()
	require.Error(t, err)
	assert.True(t, IsOutOfStock(err), "typed cause: %v", err)
	assert.True(t, IsCompensated(err))
	assert.Contains(t, err.Error(), `SKU "gizmo" is out of stock: 1000 wanted, 10 available`)
	assert.Equal(t, []string{ActivityReserve, ActivityAudit}, h.Started(), "out of stock is not retried")
	assert.Equal(t, 100, stock(t, h.store, "widget"))
}

func TestWorkflowRejectsInvalidOrders(t *testing.T) {
	valid := testOrder("o-1")
	tests := []struct {
		name string
		edit func(o *Order)
		want string
	}{
		{"missing ID", func(o *Order) { o.ID = "" }, "no ID"},
		{"no items", func(o *Order) { o.Items = nil }, "no items"},
		{"zero quantity", func(o *Order) { o.Items = []Item{{SKU: "widget"}} }, "quantity 0"},
		{"negative quantity", func(o *Order) { o.Items = []Item{{SKU: "widget", Quantity: -2}} }, "quantity -2"},
		{"missing SKU", func(o *Order) { o.Items = []Item{{Quantity: 1}} }, "no SKU"},
		{"duplicate SKU", func(o *Order) { o.Items = append(o.Items, Item{SKU: "widget", Quantity: 1}) }, "listed twice"},
		{"zero amount", func(o *Order) { o.Amount = 0 }, "amount is 0 cents"},
		{"negative amount", func(o *Order) { o.Amount = -5 }, "amount is -5 cents"},
		{"unknown failAt", func(o *Order) { o.FailAt = "pack" }, `failAt "pack"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			o.Items = slices.Clone(valid.Items)
			tt.edit(&o)
			verr := o.Validate()
			require.ErrorIs(t, verr, ErrInvalidOrder)
			assert.Contains(t, verr.Error(), tt.want)

			h := newHarness(t, openFileBackend)
			h.env.ExecuteWorkflow(WorkflowName, o)
			err := h.env.GetWorkflowError()
			require.Error(t, err)
			assert.True(t, IsInvalidOrder(err), "typed error: %v", err)
			assert.Contains(t, err.Error(), tt.want)
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.True(t, ae.NonRetryable())
			assert.Empty(t, h.Started(), "no activity ran")
		})
	}
}

func TestWorkflowCancelCompensates(t *testing.T) {
	h := newHarness(t, openFileBackend)
	// Ship hangs for an hour of workflow time; the order is canceled after a minute.
	h.env.OnActivity(ActivityShip, mock.Anything, mock.Anything).After(time.Hour).Return(Shipment{}, nil)
	var during Status
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&during))
		h.env.CancelWorkflow()
	}, time.Minute)
	h.env.ExecuteWorkflow(WorkflowName, testOrder("o-cancel"))

	require.True(t, h.env.IsWorkflowCompleted())
	var canceled *temporal.CanceledError
	require.ErrorAs(t, h.env.GetWorkflowError(), &canceled, "the workflow ends as canceled")
	assert.Equal(t, StepShip, during.Step)
	assert.Equal(t, OutcomeRunning, during.Outcome)

	assert.Equal(t, []string{ActivityReserve, ActivityCharge, ActivityShip, ActivityRefund, ActivityRelease, ActivityAudit}, h.Started(),
		"compensations ran after the cancellation, in reverse order")
	v, err := h.env.QueryWorkflow(QueryStatus)
	require.NoError(t, err)
	var st Status
	require.NoError(t, v.Get(&st))
	assert.Equal(t, OutcomeCompensated, st.Outcome)
	assert.Equal(t, saga.StateCompensated, st.Ledger.State)
	require.NotNil(t, st.Audit)
	assert.Equal(t, Audit{OrderID: "o-cancel", Reservation: Released, Charges: 1, Refunds: 1, Charged: 4999, Refunded: 4999}, *st.Audit)
	assert.Equal(t, 100, stock(t, h.store, "widget"))
}

// TestChargeOncePerKey calls the charge activity as retries would: the
// gateway (which charges on every call) is charged once.
func TestChargeOncePerKey(t *testing.T) {
	st, _ := openFileBackend(t)
	keys := idem.NewMemoryStore()
	acts, err := NewActivities(st, keys)
	require.NoError(t, err)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	RegisterActivities(env, acts)

	var first Payment
	for i := range 3 {
		v, err := env.ExecuteActivity(ActivityCharge, testOrder("o-1"))
		require.NoError(t, err)
		var p Payment
		require.NoError(t, v.Get(&p))
		if i == 0 {
			first = p
		}
		assert.Equal(t, first.Seq, p.Seq, "attempt %d returns the recorded charge", i+1)
	}
	for range 2 {
		v, err := env.ExecuteActivity(ActivityRefund, "o-1")
		require.NoError(t, err)
		var r RefundResult
		require.NoError(t, v.Get(&r))
		assert.True(t, r.Refunded)
	}
	ps, err := st.Payments(context.Background(), "o-1")
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, []PaymentKind{KindCharge, KindRefund}, []PaymentKind{ps[0].Kind, ps[1].Kind})
}

// TestChargeReconcilesAfterCrash: an attempt claimed the key, charged and
// died before recording the outcome. The next attempt, once the lease has
// ended, finds the payment by its key instead of charging again.
func TestChargeReconcilesAfterCrash(t *testing.T) {
	st, _ := openFileBackend(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	keys := idem.NewMemoryStore(idem.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	in := ChargeRequest{OrderID: "o-1", Amount: 4999}
	fp := fingerprintOf(t, in)
	c, err := keys.Claim(ctx, idem.ClaimRequest{Key: ChargeKey("o-1"), Fingerprint: fp, Owner: "crashed", Lease: time.Minute, TTL: time.Hour})
	require.NoError(t, err)
	require.Equal(t, idem.ClaimNew, c.Status)
	charged, err := st.Charge(ctx, ChargeKey("o-1"), "o-1", 4999)
	require.NoError(t, err)
	now = now.Add(2 * time.Minute) // the crashed attempt's lease ends

	acts, err := NewActivities(st, keys)
	require.NoError(t, err)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	RegisterActivities(env, acts)
	v, err := env.ExecuteActivity(ActivityCharge, testOrder("o-1"))
	require.NoError(t, err)
	var p Payment
	require.NoError(t, v.Get(&p))
	assert.Equal(t, charged.Seq, p.Seq, "the reconciled payment")
	ps, err := st.Payments(ctx, "o-1")
	require.NoError(t, err)
	assert.Len(t, ps, 1, "charged once")
}

func TestInjectedFailureIsNonRetryable(t *testing.T) {
	st, keys := openFileBackend(t)
	acts, err := NewActivities(st, keys)
	require.NoError(t, err)
	o := testOrder("o-1")
	o.FailAt = StepCharge
	_, err = acts.Charge(context.Background(), o)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	assert.True(t, ae.NonRetryable())
	assert.Equal(t, ErrTypeInjected, ae.Type())
	assert.True(t, IsInjected(err))
	assert.False(t, IsOutOfStock(err))
	assert.False(t, IsInjected(errors.New("other")))
}

func TestNewActivitiesNeedsStores(t *testing.T) {
	_, err := NewActivities(nil, idem.NewMemoryStore())
	require.Error(t, err)
	st, _ := openFileBackend(t)
	_, err = NewActivities(st, nil)
	require.Error(t, err)
}

// fingerprintOf is idem's input fingerprint: the SHA-256 (hex) of the JSON.
func fingerprintOf(t *testing.T, in any) string {
	t.Helper()
	b, err := json.Marshal(in)
	require.NoError(t, err)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
