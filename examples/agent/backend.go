package supportagent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Backend is the shop the agent's tools work on: orders, a refund ledger
// and an email outbox, kept as JSON lines in a directory so that several
// worker processes on one host, and the tests, see the same state. Like a
// payment API without idempotency support, it records every refund it is
// asked for: only the agent's idempotency keys keep refunds to one per
// call. It is safe for concurrent use within a process.
type Backend struct {
	dir string
	mu  sync.Mutex
}

// Order is one order of the shop.
type Order struct {
	OrderID     string `json:"order_id"`
	Customer    string `json:"customer"`
	Email       string `json:"email"`
	Item        string `json:"item"`
	AmountCents int64  `json:"amount_cents"`
}

// RefundRecord is one line of the refund ledger.
type RefundRecord struct {
	RefundID    string    `json:"refund_id"`
	Key         string    `json:"key"`
	OrderID     string    `json:"order_id"`
	AmountCents int64     `json:"amount_cents"`
	Reason      string    `json:"reason"`
	Cancelled   bool      `json:"cancelled,omitempty"`
	At          time.Time `json:"at"`
}

// EmailRecord is one line of the outbox.
type EmailRecord struct {
	Key     string    `json:"key"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// DemoOrders are the orders a new backend starts with.
func DemoOrders() []Order {
	return []Order{
		{OrderID: "A-1001", Customer: "Ada Lovelace", Email: "ada@example.com", Item: "analytical engine (2 units)", AmountCents: 4999},
		{OrderID: "A-1002", Customer: "Grace Hopper", Email: "grace@example.com", Item: "compiler manual", AmountCents: 1999},
	}
}

// OpenBackend opens the backend in dir, creating it with [DemoOrders].
func OpenBackend(dir string) (*Backend, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b := &Backend{dir: dir}
	if _, err := os.Stat(b.path("orders.json")); errors.Is(err, os.ErrNotExist) {
		data, err := json.MarshalIndent(DemoOrders(), "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(b.path("orders.json"), data, 0o644); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *Backend) path(name string) string { return filepath.Join(b.dir, name) }

// Order returns the order with id, or false.
func (b *Backend) Order(id string) (Order, bool, error) {
	data, err := os.ReadFile(b.path("orders.json"))
	if err != nil {
		return Order{}, false, err
	}
	var orders []Order
	if err := json.Unmarshal(data, &orders); err != nil {
		return Order{}, false, err
	}
	for _, o := range orders {
		if o.OrderID == id {
			return o, true, nil
		}
	}
	return Order{}, false, nil
}

// Refund records a refund under key and returns it. It records every call.
func (b *Backend) Refund(key, orderID string, amount int64, reason string) (RefundRecord, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := countLines(b.path("refunds.jsonl"))
	if err != nil {
		return RefundRecord{}, err
	}
	r := RefundRecord{RefundID: fmt.Sprintf("RF-%04d", n+1), Key: key, OrderID: orderID, AmountCents: amount, Reason: reason, At: time.Now().UTC()}
	return r, appendLine(b.path("refunds.jsonl"), r)
}

// CancelRefund records the cancellation of a refund (the undo).
func (b *Backend) CancelRefund(refundID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return appendLine(b.path("refunds.jsonl"), RefundRecord{RefundID: refundID, Cancelled: true, At: time.Now().UTC()})
}

// Refunds returns the refund ledger: refunds and cancellations, in order.
func (b *Backend) Refunds() ([]RefundRecord, error) {
	return readLines[RefundRecord](b.path("refunds.jsonl"))
}

// RefundByKey returns the refund recorded under key, if any.
func (b *Backend) RefundByKey(key string) (RefundRecord, bool, error) {
	rs, err := b.Refunds()
	if err != nil {
		return RefundRecord{}, false, err
	}
	for _, r := range rs {
		if r.Key == key && !r.Cancelled {
			return r, true, nil
		}
	}
	return RefundRecord{}, false, nil
}

// Send puts an email in the outbox.
func (b *Backend) Send(e EmailRecord) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	e.At = time.Now().UTC()
	return appendLine(b.path("outbox.jsonl"), e)
}

// Emails returns the outbox.
func (b *Backend) Emails() ([]EmailRecord, error) {
	return readLines[EmailRecord](b.path("outbox.jsonl"))
}

func appendLine(path string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readLines[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out []T
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

func countLines(path string) (int, error) {
	rs, err := readLines[json.RawMessage](path)
	return len(rs), err
}
