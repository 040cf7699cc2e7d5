package ordersaga

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Store is the outside world the saga changes: stock and reservations,
// payments, shipments. [FileStore] keeps it in a JSON file, [PostgresStore]
// in PostgreSQL tables. Implementations are safe for concurrent use, and for
// several worker processes sharing the same directory or database.
type Store interface {
	Inventory
	Payments
	Shipments
}

// Inventory holds stock per SKU and one reservation per order.
type Inventory interface {
	// EnsureStock adds the SKUs of stock that do not exist yet with the given
	// quantities; existing SKUs keep theirs.
	EnsureStock(ctx context.Context, stock map[string]int) error
	// Stock returns the quantity of sku that is not reserved, or
	// [ErrUnknownSKU].
	Stock(ctx context.Context, sku string) (int, error)
	// Reserve takes the items out of stock for the order, all or nothing, and
	// records the reservation. Reserving an order that is already reserved
	// returns its reservation unchanged, so a retry is harmless. It fails
	// with a [*StockError] (matching [ErrOutOfStock]) when a SKU lacks
	// stock, [ErrUnknownSKU] for a SKU never stocked, and [ErrOrderClosed]
	// when the order was released or shipped.
	Reserve(ctx context.Context, orderID string, items []Item) (Reservation, error)
	// Release puts a reserved order's items back into stock and marks the
	// reservation released. Releasing a released order returns it unchanged.
	// It fails with [ErrNotFound] when the order has no reservation and
	// [ErrOrderClosed] when it has shipped.
	Release(ctx context.Context, orderID string) (Reservation, error)
	// Reservation returns the order's reservation, or [ErrNotFound].
	Reservation(ctx context.Context, orderID string) (Reservation, error)
}

// Payments is a payment gateway without idempotency support: every Charge
// and Refund call moves money and records a new [Payment]. The activities
// make them idempotent with [idem.Wrap] and the business keys [ChargeKey]
// and [RefundKey]; the store records the key on each payment so that a
// crashed attempt can be reconciled by looking it up.
type Payments interface {
	// Charge takes amount (cents) for the order and records a charge under key.
	Charge(ctx context.Context, key, orderID string, amount int64) (Payment, error)
	// Refund gives amount (cents) back for the order and records a refund
	// under key.
	Refund(ctx context.Context, key, orderID string, amount int64) (Payment, error)
	// Payment returns the first payment recorded under key, or [ErrNotFound].
	Payment(ctx context.Context, key string) (Payment, error)
	// Payments returns the order's payments in the order they were made.
	Payments(ctx context.Context, orderID string) ([]Payment, error)
}

// Shipments hands reserved orders to the carrier.
type Shipments interface {
	// Ship ships a reserved order, marks its reservation shipped and returns
	// the shipment. Shipping a shipped order returns its shipment unchanged.
	// It fails with [ErrNotFound] when the order has no reservation and
	// [ErrOrderClosed] when the reservation was released.
	Ship(ctx context.Context, orderID string) (Shipment, error)
	// Shipment returns the order's shipment, or [ErrNotFound].
	Shipment(ctx context.Context, orderID string) (Shipment, error)
}

// ReservationStatus is where a [Reservation] stands.
type ReservationStatus string

// Reservation statuses.
const (
	// Reserved: the items are out of stock, held for the order.
	Reserved ReservationStatus = "reserved"
	// Released: the items went back into stock (the saga compensated).
	Released ReservationStatus = "released"
	// Shipped: the items left with the order; they never come back.
	Shipped ReservationStatus = "shipped"
)

// Reservation is the stock held for one order.
type Reservation struct {
	OrderID   string            `json:"orderId"`
	Items     []Item            `json:"items"`
	Status    ReservationStatus `json:"status"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

// PaymentKind says whether a [Payment] took or gave back money.
type PaymentKind string

// Payment kinds.
const (
	KindCharge PaymentKind = "charge"
	KindRefund PaymentKind = "refund"
)

// Payment is one money movement recorded by [Payments].
type Payment struct {
	// Seq orders payments within a store.
	Seq       int64       `json:"seq"`
	Key       string      `json:"key"`
	OrderID   string      `json:"orderId"`
	Kind      PaymentKind `json:"kind"`
	Amount    int64       `json:"amount"`
	CreatedAt time.Time   `json:"createdAt"`
}

// Shipment is an order handed to the carrier.
type Shipment struct {
	OrderID   string    `json:"orderId"`
	Tracking  string    `json:"tracking"`
	Items     []Item    `json:"items"`
	CreatedAt time.Time `json:"createdAt"`
}

// Errors of [Store] implementations, matched with errors.Is.
var (
	// ErrNotFound: no reservation, payment or shipment for the order or key.
	ErrNotFound = errors.New("ordersaga: not found")
	// ErrUnknownSKU: the SKU was never stocked; add it with EnsureStock.
	ErrUnknownSKU = errors.New("ordersaga: unknown SKU")
	// ErrOutOfStock: a SKU has less stock than the order wants.
	ErrOutOfStock = errors.New("ordersaga: out of stock")
	// ErrOrderClosed: the order was already released or shipped; an order ID
	// is used once, so place the order again under a new ID.
	ErrOrderClosed = errors.New("ordersaga: order already closed")
)

// StockError is the [ErrOutOfStock] or [ErrUnknownSKU] failure of
// [Inventory.Reserve] for one SKU.
type StockError struct {
	SKU       string
	Wanted    int
	Available int
	// Unknown is true when the SKU was never stocked.
	Unknown bool
}

// Error says which SKU is short.
func (e *StockError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("ordersaga: SKU %q is unknown: stock it first or remove it from the order", e.SKU)
	}
	return fmt.Sprintf("ordersaga: SKU %q is out of stock: %d wanted, %d available", e.SKU, e.Wanted, e.Available)
}

// Unwrap returns [ErrUnknownSKU] or [ErrOutOfStock].
func (e *StockError) Unwrap() error {
	if e.Unknown {
		return ErrUnknownSKU
	}
	return ErrOutOfStock
}

func closedError(orderID string, st ReservationStatus) error {
	return fmt.Errorf("%w: order %q is %s; an order ID is used once, place it again under a new ID", ErrOrderClosed, orderID, st)
}

func notFound(what, id string) error {
	return fmt.Errorf("%w: no %s for %q", ErrNotFound, what, id)
}

// trackingNumber is the carrier's tracking number for an order.
func trackingNumber(orderID string) string {
	h := sha256.Sum256([]byte(orderID))
	return "TRK-" + strings.ToUpper(hex.EncodeToString(h[:5]))
}
