package idem_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/idem"
)

// Order is the input of the test activities.
type Order struct {
	ID    string
	Cents int
}

// Receipt is what a charge returns.
type Receipt struct {
	ChargeID string
	Key      string
}

// payments is a fake payment provider: it counts charges and can look one up
// by idempotency key, as real providers allow.
type payments struct {
	mu      sync.Mutex
	charges map[string]Receipt // by idempotency key
	count   int
}

func newPayments() *payments { return &payments{charges: map[string]Receipt{}} }

// Charge is the side effect: every call is a new charge.
func (p *payments) Charge(ctx context.Context, o Order) (Receipt, error) {
	key, _ := idem.KeyFrom(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	r := Receipt{ChargeID: fmt.Sprintf("ch_%d_%s", p.count, o.ID), Key: key}
	p.charges[key] = r
	return r, nil
}

// Lookup is a reconcile hook: it asks the provider for the charge with key.
func (p *payments) Lookup(_ context.Context, key string, _ Order) (Receipt, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.charges[key]
	return r, ok, nil
}

func (p *payments) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

func orderKey(_ context.Context, o Order) (string, error) { return "charge:" + o.ID, nil }

// chargeOptions retries fast: lost attempts after 3 s, failed ones after 100 ms.
func chargeOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    3 * time.Second,
		ScheduleToCloseTimeout: time.Minute,
		RetryPolicy:            durable.RetryPolicy(100*time.Millisecond, 100*time.Millisecond, 10),
		Summary:                "charge",
	}
}

// ChargeWorkflow charges one order through the "Charge" activity.
func ChargeWorkflow(ctx workflow.Context, o Order) (Receipt, error) {
	return durable.Execute[Receipt](ctx, "Charge", o, chargeOptions())
}
