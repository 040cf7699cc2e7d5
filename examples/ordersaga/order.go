package ordersaga

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Step names: the saga ledger's entry names and the values of [Order.FailAt].
const (
	StepReserve = "reserve"
	StepCharge  = "charge"
	StepShip    = "ship"
)

// Order is the workflow's input: what to reserve, how much to charge.
//
// An order ID is used once. The charge and the refund are keyed by it
// ("charge:<id>", "refund:<id>"), so placing a compensated order again under
// the same ID would find the recorded charge instead of charging: give it a
// new ID.
type Order struct {
	// ID identifies the order; it must not be empty and is at most
	// [MaxOrderIDLen] bytes.
	ID string `json:"id"`
	// Items are the SKUs and quantities to reserve; at least one, each SKU
	// once, each quantity positive.
	Items []Item `json:"items"`
	// Amount is what to charge, in cents; it must be positive.
	Amount int64 `json:"amount"`
	// FailAt injects a non-retryable failure into the named step
	// ([StepReserve], [StepCharge] or [StepShip]) before it does anything,
	// to watch the saga compensate. Empty means no failure.
	FailAt string `json:"failAt,omitempty"`
	// AttemptTimeout is the StartToCloseTimeout of each step's attempt; zero
	// means [DefaultAttemptTimeout]. Tests set it short so the server retries
	// a crashed attempt quickly.
	AttemptTimeout time.Duration `json:"attemptTimeout,omitempty"`
}

// Item is one line of an [Order].
type Item struct {
	// SKU names the product; it must not be empty.
	SKU string `json:"sku"`
	// Quantity is how many to reserve; it must be positive.
	Quantity int `json:"quantity"`
}

// MaxOrderIDLen bounds [Order.ID].
const MaxOrderIDLen = 200

// DefaultAttemptTimeout is the StartToCloseTimeout of a step's attempt when
// [Order.AttemptTimeout] is zero.
const DefaultAttemptTimeout = 10 * time.Second

// ErrInvalidOrder is matched (with errors.Is) by every error [Order.Validate]
// returns.
var ErrInvalidOrder = errors.New("ordersaga: invalid order")

// InvalidOrderError lists what is wrong with an [Order].
type InvalidOrderError struct {
	// Problems says what to fix, one entry per problem.
	Problems []string
}

// Error joins the problems.
func (e *InvalidOrderError) Error() string {
	msg := "ordersaga: invalid order, fix and resubmit:"
	for i, p := range e.Problems {
		if i > 0 {
			msg += ";"
		}
		msg += " " + p
	}
	return msg
}

// Unwrap returns [ErrInvalidOrder].
func (e *InvalidOrderError) Unwrap() error { return ErrInvalidOrder }

// Validate checks the order before anything runs. It returns nil or an
// [*InvalidOrderError] naming every problem. It is deterministic and safe in
// workflow code.
func (o Order) Validate() error {
	var p []string
	switch {
	case o.ID == "":
		p = append(p, "the order has no ID: set a unique order ID")
	case len(o.ID) > MaxOrderIDLen:
		p = append(p, fmt.Sprintf("the order ID is %d bytes long: use at most %d", len(o.ID), MaxOrderIDLen))
	}
	if len(o.Items) == 0 {
		p = append(p, "the order has no items: add at least one SKU with a positive quantity")
	}
	seen := make(map[string]bool, len(o.Items))
	for i, it := range o.Items {
		switch {
		case it.SKU == "":
			p = append(p, fmt.Sprintf("item %d has no SKU", i+1))
		case seen[it.SKU]:
			p = append(p, fmt.Sprintf("SKU %q is listed twice: list each SKU once with the total quantity", it.SKU))
		}
		seen[it.SKU] = true
		if it.Quantity <= 0 {
			p = append(p, fmt.Sprintf("item %d (%q) has quantity %d: quantities must be positive", i+1, it.SKU, it.Quantity))
		}
	}
	if o.Amount <= 0 {
		p = append(p, fmt.Sprintf("the amount is %d cents: it must be positive", o.Amount))
	}
	switch o.FailAt {
	case "", StepReserve, StepCharge, StepShip:
	default:
		p = append(p, fmt.Sprintf("failAt %q is not a step: use %q, %q, %q or leave it empty", o.FailAt, StepReserve, StepCharge, StepShip))
	}
	if o.AttemptTimeout < 0 {
		p = append(p, "the attempt timeout is negative: use zero for the default")
	}
	if len(p) > 0 {
		return &InvalidOrderError{Problems: p}
	}
	return nil
}

// attemptTimeout is the order's StartToCloseTimeout per step attempt.
func (o Order) attemptTimeout() time.Duration {
	if o.AttemptTimeout > 0 {
		return o.AttemptTimeout
	}
	return DefaultAttemptTimeout
}

// ChargeKey is the business key of an order's charge: "charge:<order ID>".
// The payment store records it on the charge and [idem.Wrap] runs the charge
// once per key.
func ChargeKey(orderID string) string { return "charge:" + orderID }

// RefundKey is the business key of an order's refund: "refund:<order ID>".
func RefundKey(orderID string) string { return "refund:" + orderID }

// ParseItems parses "sku:qty,sku:qty" (a bare "sku" means quantity 1), as
// the starter's -items flag takes it. The result is not validated; see
// [Order.Validate].
func ParseItems(s string) ([]Item, error) {
	var items []Item
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		sku, qty, found := strings.Cut(part, ":")
		it := Item{SKU: strings.TrimSpace(sku), Quantity: 1}
		if found {
			n, err := strconv.Atoi(strings.TrimSpace(qty))
			if err != nil {
				return nil, fmt.Errorf("ordersaga: item %q: quantity %q is not a number: write sku:qty", part, qty)
			}
			it.Quantity = n
		}
		items = append(items, it)
	}
	return items, nil
}
