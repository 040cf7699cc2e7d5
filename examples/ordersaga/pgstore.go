package ordersaga

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTablePrefix prefixes the tables of a [PostgresStore] when
// [NewPostgresStore] is given an empty prefix.
const DefaultTablePrefix = "ordersaga_"

// PostgresSchema creates the tables of a [PostgresStore] with the default
// prefix; [NewPostgresStore] applies it (with its prefix) when they are
// missing.
const PostgresSchema = `CREATE TABLE IF NOT EXISTS ordersaga_stock (
    sku      text    PRIMARY KEY,
    quantity integer NOT NULL CHECK (quantity >= 0)
);
CREATE TABLE IF NOT EXISTS ordersaga_reservations (
    order_id   text        PRIMARY KEY,
    items      jsonb       NOT NULL,
    status     text        NOT NULL CHECK (status IN ('reserved', 'released', 'shipped')),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ordersaga_payments (
    seq        bigserial   PRIMARY KEY,
    key        text        NOT NULL,
    order_id   text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('charge', 'refund')),
    amount     bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ordersaga_payments_key_idx ON ordersaga_payments (key);
CREATE INDEX IF NOT EXISTS ordersaga_payments_order_idx ON ordersaga_payments (order_id);
CREATE TABLE IF NOT EXISTS ordersaga_shipments (
    order_id   text        PRIMARY KEY,
    tracking   text        NOT NULL,
    items      jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);`

var tablePrefix = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

// PostgresStore is a [Store] in PostgreSQL tables, for workers on several
// hosts. Each operation is one transaction; stock and reservation rows are
// locked (SELECT ... FOR UPDATE, SKUs in sorted order) so concurrent orders
// neither oversell nor deadlock.
//
// Create it with [NewPostgresStore]. It is safe for concurrent use and does
// not own the pool.
type PostgresStore struct {
	pool *pgxpool.Pool
	p    string // table prefix
}

var _ Store = (*PostgresStore)(nil)

// NewPostgresStore returns a store on pool whose tables are named with
// prefix (a lowercase identifier; empty means [DefaultTablePrefix]). It
// creates the tables when missing, serialized by an advisory lock so workers
// starting together do not collide.
func NewPostgresStore(ctx context.Context, pool *pgxpool.Pool, prefix string) (*PostgresStore, error) {
	if pool == nil {
		return nil, errors.New("ordersaga: NewPostgresStore needs a pgxpool.Pool")
	}
	if prefix == "" {
		prefix = DefaultTablePrefix
	}
	if !tablePrefix.MatchString(prefix) {
		return nil, fmt.Errorf("ordersaga: table prefix %q is not a lowercase identifier: use letters, digits and _", prefix)
	}
	s := &PostgresStore{pool: pool, p: prefix}
	schema := strings.ReplaceAll(PostgresSchema, DefaultTablePrefix, prefix)
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "ordersaga:"+prefix); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ordersaga: create tables %s*: %w (or create them from ordersaga.PostgresSchema)", prefix, err)
	}
	return s, nil
}

// t returns the name of a table.
func (s *PostgresStore) t(name string) string { return s.p + name }

// EnsureStock implements [Inventory].
func (s *PostgresStore) EnsureStock(ctx context.Context, stock map[string]int) error {
	skus := make([]string, 0, len(stock))
	qty := make([]int32, 0, len(stock))
	for _, sku := range sortedKeys(stock) {
		skus = append(skus, sku)
		qty = append(qty, int32(stock[sku]))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO `+s.t("stock")+` (sku, quantity)
SELECT * FROM unnest($1::text[], $2::integer[]) ON CONFLICT (sku) DO NOTHING`, skus, qty)
	if err != nil {
		return fmt.Errorf("ordersaga: ensure stock: %w", err)
	}
	return nil
}

// Stock implements [Inventory].
func (s *PostgresStore) Stock(ctx context.Context, sku string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT quantity FROM `+s.t("stock")+` WHERE sku = $1`, sku).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: %q", ErrUnknownSKU, sku)
	}
	if err != nil {
		return 0, fmt.Errorf("ordersaga: read stock: %w", err)
	}
	return n, nil
}

// reservation reads the order's reservation in tx, locking it.
func (s *PostgresStore) reservation(ctx context.Context, q pgx.Tx, orderID string) (Reservation, error) {
	r := Reservation{OrderID: orderID}
	err := q.QueryRow(ctx, `SELECT items, status, updated_at FROM `+s.t("reservations")+` WHERE order_id = $1 FOR UPDATE`, orderID).
		Scan(&r.Items, &r.Status, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, notFound("reservation", orderID)
	}
	return r, err
}

// Reserve implements [Inventory].
func (s *PostgresStore) Reserve(ctx context.Context, orderID string, items []Item) (Reservation, error) {
	var r Reservation
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Insert first: a concurrent Reserve of the same order waits here.
		tag, err := tx.Exec(ctx, `INSERT INTO `+s.t("reservations")+` (order_id, items, status) VALUES ($1, $2, 'reserved')
ON CONFLICT (order_id) DO NOTHING`, orderID, items)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			if r, err = s.reservation(ctx, tx, orderID); err != nil {
				return err
			}
			if r.Status != Reserved {
				return closedError(orderID, r.Status)
			}
			return nil
		}
		sorted := slices.Clone(items)
		slices.SortFunc(sorted, func(a, b Item) int { return strings.Compare(a.SKU, b.SKU) })
		for _, it := range sorted {
			var have int
			err := tx.QueryRow(ctx, `SELECT quantity FROM `+s.t("stock")+` WHERE sku = $1 FOR UPDATE`, it.SKU).Scan(&have)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return &StockError{SKU: it.SKU, Wanted: it.Quantity, Unknown: true}
			case err != nil:
				return err
			case have < it.Quantity:
				return &StockError{SKU: it.SKU, Wanted: it.Quantity, Available: have}
			}
			if _, err := tx.Exec(ctx, `UPDATE `+s.t("stock")+` SET quantity = quantity - $2 WHERE sku = $1`, it.SKU, it.Quantity); err != nil {
				return err
			}
		}
		r, err = s.reservation(ctx, tx, orderID)
		return err
	})
	return r, s.wrap("reserve", err)
}

// Release implements [Inventory].
func (s *PostgresStore) Release(ctx context.Context, orderID string) (Reservation, error) {
	var r Reservation
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if r, err = s.reservation(ctx, tx, orderID); err != nil {
			return err
		}
		switch r.Status {
		case Shipped:
			return closedError(orderID, r.Status)
		case Released:
			return nil
		}
		sorted := slices.Clone(r.Items)
		slices.SortFunc(sorted, func(a, b Item) int { return strings.Compare(a.SKU, b.SKU) })
		for _, it := range sorted {
			if _, err := tx.Exec(ctx, `UPDATE `+s.t("stock")+` SET quantity = quantity + $2 WHERE sku = $1`, it.SKU, it.Quantity); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `UPDATE `+s.t("reservations")+` SET status = 'released', updated_at = now()
WHERE order_id = $1 RETURNING status, updated_at`, orderID).Scan(&r.Status, &r.UpdatedAt)
	})
	return r, s.wrap("release", err)
}

// Reservation implements [Inventory].
func (s *PostgresStore) Reservation(ctx context.Context, orderID string) (Reservation, error) {
	r := Reservation{OrderID: orderID}
	err := s.pool.QueryRow(ctx, `SELECT items, status, updated_at FROM `+s.t("reservations")+` WHERE order_id = $1`, orderID).
		Scan(&r.Items, &r.Status, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, notFound("reservation", orderID)
	}
	return r, s.wrap("read reservation", err)
}

// Charge implements [Payments].
func (s *PostgresStore) Charge(ctx context.Context, key, orderID string, amount int64) (Payment, error) {
	return s.pay(ctx, KindCharge, key, orderID, amount)
}

// Refund implements [Payments].
func (s *PostgresStore) Refund(ctx context.Context, key, orderID string, amount int64) (Payment, error) {
	return s.pay(ctx, KindRefund, key, orderID, amount)
}

func (s *PostgresStore) pay(ctx context.Context, kind PaymentKind, key, orderID string, amount int64) (Payment, error) {
	p := Payment{Key: key, OrderID: orderID, Kind: kind, Amount: amount}
	err := s.pool.QueryRow(ctx, `INSERT INTO `+s.t("payments")+` (key, order_id, kind, amount) VALUES ($1, $2, $3, $4)
RETURNING seq, created_at`, key, orderID, string(kind), amount).Scan(&p.Seq, &p.CreatedAt)
	return p, s.wrap(string(kind), err)
}

const paymentColumns = `seq, key, order_id, kind, amount, created_at`

func scanPayment(row pgx.Row) (Payment, error) {
	var p Payment
	err := row.Scan(&p.Seq, &p.Key, &p.OrderID, &p.Kind, &p.Amount, &p.CreatedAt)
	return p, err
}

// Payment implements [Payments].
func (s *PostgresStore) Payment(ctx context.Context, key string) (Payment, error) {
	p, err := scanPayment(s.pool.QueryRow(ctx, `SELECT `+paymentColumns+` FROM `+s.t("payments")+` WHERE key = $1 ORDER BY seq LIMIT 1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, notFound("payment", key)
	}
	return p, s.wrap("read payment", err)
}

// Payments implements [Payments].
func (s *PostgresStore) Payments(ctx context.Context, orderID string) ([]Payment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+paymentColumns+` FROM `+s.t("payments")+` WHERE order_id = $1 ORDER BY seq`, orderID)
	if err != nil {
		return nil, s.wrap("read payments", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Payment, error) { return scanPayment(row) })
	return ps, s.wrap("read payments", err)
}

// Ship implements [Shipments].
func (s *PostgresStore) Ship(ctx context.Context, orderID string) (Shipment, error) {
	var sh Shipment
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := s.reservation(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if r.Status == Shipped {
			sh, err = s.shipment(ctx, tx, orderID)
			return err
		}
		if r.Status != Reserved {
			return closedError(orderID, r.Status)
		}
		sh = Shipment{OrderID: orderID, Tracking: trackingNumber(orderID), Items: r.Items}
		if err := tx.QueryRow(ctx, `INSERT INTO `+s.t("shipments")+` (order_id, tracking, items) VALUES ($1, $2, $3) RETURNING created_at`,
			orderID, sh.Tracking, sh.Items).Scan(&sh.CreatedAt); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE `+s.t("reservations")+` SET status = 'shipped', updated_at = now() WHERE order_id = $1`, orderID)
		return err
	})
	return sh, s.wrap("ship", err)
}

func (s *PostgresStore) shipment(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, orderID string) (Shipment, error) {
	sh := Shipment{OrderID: orderID}
	err := q.QueryRow(ctx, `SELECT tracking, items, created_at FROM `+s.t("shipments")+` WHERE order_id = $1`, orderID).
		Scan(&sh.Tracking, &sh.Items, &sh.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return sh, notFound("shipment", orderID)
	}
	return sh, err
}

// Shipment implements [Shipments].
func (s *PostgresStore) Shipment(ctx context.Context, orderID string) (Shipment, error) {
	sh, err := s.shipment(ctx, s.pool, orderID)
	return sh, s.wrap("read shipment", err)
}

// wrap prefixes database errors; the store's own errors pass through.
func (s *PostgresStore) wrap(op string, err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrOrderClosed) ||
		errors.Is(err, ErrOutOfStock) || errors.Is(err, ErrUnknownSKU) {
		return err
	}
	return fmt.Errorf("ordersaga: %s in PostgreSQL: %w", op, err)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
