package ordersaga

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// FileStore is a [Store] kept in one JSON file, <dir>/ordersaga.json, that
// several worker processes on one host may share.
//
// Every operation takes an exclusive flock(2) on <dir>/ordersaga.lock (the
// kernel releases it when a process dies), reads the file, changes it and
// writes it back atomically: to a temporary file in the same directory,
// fsynced, renamed over the old one, then the directory fsynced. A crash
// leaves the old or the new state, never a torn one. On platforms without
// flock only goroutines of one process are serialized.
//
// Create it with [NewFileStore]. It is safe for concurrent use.
type FileStore struct {
	dir string
	mu  sync.Mutex
}

var _ Store = (*FileStore)(nil)

const (
	fileStateName = "ordersaga.json"
	fileLockName  = "ordersaga.lock"
)

// fileState is the content of the state file.
type fileState struct {
	Stock        map[string]int         `json:"stock"`
	Reservations map[string]Reservation `json:"reservations"`
	Payments     []Payment              `json:"payments"`
	Shipments    map[string]Shipment    `json:"shipments"`
}

// NewFileStore returns a FileStore in dir, creating the directory when missing.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("ordersaga: FileStore needs a directory: pass -data or a path")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ordersaga: create store directory: %w", err)
	}
	return &FileStore{dir: dir}, nil
}

// Dir returns the store's directory.
func (s *FileStore) Dir() string { return s.dir }

// view runs f on the current state without writing it.
func (s *FileStore) view(ctx context.Context, f func(st *fileState) error) error {
	return s.locked(ctx, func() error {
		st, err := s.read()
		if err != nil {
			return err
		}
		return f(st)
	})
}

// update runs f on the current state and writes the state when f succeeds.
func (s *FileStore) update(ctx context.Context, f func(st *fileState) error) error {
	return s.locked(ctx, func() error {
		st, err := s.read()
		if err != nil {
			return err
		}
		if err := f(st); err != nil {
			return err
		}
		return s.write(st)
	})
}

func (s *FileStore) locked(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := flock(filepath.Join(s.dir, fileLockName))
	if err != nil {
		return fmt.Errorf("ordersaga: lock file store: %w", err)
	}
	defer unlock()
	return f()
}

func (s *FileStore) read() (*fileState, error) {
	st := &fileState{}
	b, err := os.ReadFile(filepath.Join(s.dir, fileStateName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("ordersaga: read file store: %w", err)
	default:
		if err := json.Unmarshal(b, st); err != nil {
			return nil, fmt.Errorf("ordersaga: decode %s: %w (restore it or delete it to start empty)", filepath.Join(s.dir, fileStateName), err)
		}
	}
	if st.Stock == nil {
		st.Stock = map[string]int{}
	}
	if st.Reservations == nil {
		st.Reservations = map[string]Reservation{}
	}
	if st.Shipments == nil {
		st.Shipments = map[string]Shipment{}
	}
	return st, nil
}

func (s *FileStore) write(st *fileState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("ordersaga: encode file store: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-"+fileStateName+"-*")
	if err != nil {
		return fmt.Errorf("ordersaga: write file store: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op once renamed
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("ordersaga: write file store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("ordersaga: sync file store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ordersaga: write file store: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, fileStateName)); err != nil {
		return fmt.Errorf("ordersaga: replace file store: %w", err)
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return fmt.Errorf("ordersaga: sync store directory: %w", err)
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("ordersaga: sync store directory: %w", err)
	}
	return nil
}

// EnsureStock implements [Inventory].
func (s *FileStore) EnsureStock(ctx context.Context, stock map[string]int) error {
	return s.update(ctx, func(st *fileState) error {
		for sku, n := range stock {
			if _, ok := st.Stock[sku]; !ok {
				st.Stock[sku] = n
			}
		}
		return nil
	})
}

// Stock implements [Inventory].
func (s *FileStore) Stock(ctx context.Context, sku string) (int, error) {
	var n int
	err := s.view(ctx, func(st *fileState) error {
		var ok bool
		if n, ok = st.Stock[sku]; !ok {
			return fmt.Errorf("%w: %q", ErrUnknownSKU, sku)
		}
		return nil
	})
	return n, err
}

// Reserve implements [Inventory].
func (s *FileStore) Reserve(ctx context.Context, orderID string, items []Item) (Reservation, error) {
	var r Reservation
	err := s.update(ctx, func(st *fileState) error {
		if cur, ok := st.Reservations[orderID]; ok {
			if cur.Status != Reserved {
				return closedError(orderID, cur.Status)
			}
			r = cur
			return nil
		}
		for _, it := range items {
			have, ok := st.Stock[it.SKU]
			if !ok {
				return &StockError{SKU: it.SKU, Wanted: it.Quantity, Unknown: true}
			}
			if have < it.Quantity {
				return &StockError{SKU: it.SKU, Wanted: it.Quantity, Available: have}
			}
		}
		for _, it := range items {
			st.Stock[it.SKU] -= it.Quantity
		}
		r = Reservation{OrderID: orderID, Items: slices.Clone(items), Status: Reserved, UpdatedAt: time.Now().UTC()}
		st.Reservations[orderID] = r
		return nil
	})
	return r, err
}

// Release implements [Inventory].
func (s *FileStore) Release(ctx context.Context, orderID string) (Reservation, error) {
	var r Reservation
	err := s.update(ctx, func(st *fileState) error {
		cur, ok := st.Reservations[orderID]
		switch {
		case !ok:
			return notFound("reservation", orderID)
		case cur.Status == Shipped:
			return closedError(orderID, cur.Status)
		case cur.Status == Released:
			r = cur
			return nil
		}
		for _, it := range cur.Items {
			st.Stock[it.SKU] += it.Quantity
		}
		cur.Status, cur.UpdatedAt = Released, time.Now().UTC()
		st.Reservations[orderID] = cur
		r = cur
		return nil
	})
	return r, err
}

// Reservation implements [Inventory].
func (s *FileStore) Reservation(ctx context.Context, orderID string) (Reservation, error) {
	var r Reservation
	err := s.view(ctx, func(st *fileState) error {
		var ok bool
		if r, ok = st.Reservations[orderID]; !ok {
			return notFound("reservation", orderID)
		}
		return nil
	})
	return r, err
}

// Charge implements [Payments].
func (s *FileStore) Charge(ctx context.Context, key, orderID string, amount int64) (Payment, error) {
	return s.pay(ctx, KindCharge, key, orderID, amount)
}

// Refund implements [Payments].
func (s *FileStore) Refund(ctx context.Context, key, orderID string, amount int64) (Payment, error) {
	return s.pay(ctx, KindRefund, key, orderID, amount)
}

func (s *FileStore) pay(ctx context.Context, kind PaymentKind, key, orderID string, amount int64) (Payment, error) {
	var p Payment
	err := s.update(ctx, func(st *fileState) error {
		p = Payment{Seq: int64(len(st.Payments)) + 1, Key: key, OrderID: orderID, Kind: kind, Amount: amount, CreatedAt: time.Now().UTC()}
		st.Payments = append(st.Payments, p)
		return nil
	})
	return p, err
}

// Payment implements [Payments].
func (s *FileStore) Payment(ctx context.Context, key string) (Payment, error) {
	var p Payment
	err := s.view(ctx, func(st *fileState) error {
		for _, q := range st.Payments {
			if q.Key == key {
				p = q
				return nil
			}
		}
		return notFound("payment", key)
	})
	return p, err
}

// Payments implements [Payments].
func (s *FileStore) Payments(ctx context.Context, orderID string) ([]Payment, error) {
	var ps []Payment
	err := s.view(ctx, func(st *fileState) error {
		for _, q := range st.Payments {
			if q.OrderID == orderID {
				ps = append(ps, q)
			}
		}
		return nil
	})
	return ps, err
}

// Ship implements [Shipments].
func (s *FileStore) Ship(ctx context.Context, orderID string) (Shipment, error) {
	var sh Shipment
	err := s.update(ctx, func(st *fileState) error {
		if cur, ok := st.Shipments[orderID]; ok {
			sh = cur
			return nil
		}
		r, ok := st.Reservations[orderID]
		switch {
		case !ok:
			return notFound("reservation", orderID)
		case r.Status != Reserved:
			return closedError(orderID, r.Status)
		}
		now := time.Now().UTC()
		sh = Shipment{OrderID: orderID, Tracking: trackingNumber(orderID), Items: r.Items, CreatedAt: now}
		st.Shipments[orderID] = sh
		r.Status, r.UpdatedAt = Shipped, now
		st.Reservations[orderID] = r
		return nil
	})
	return sh, err
}

// Shipment implements [Shipments].
func (s *FileStore) Shipment(ctx context.Context, orderID string) (Shipment, error) {
	var sh Shipment
	err := s.view(ctx, func(st *fileState) error {
		var ok bool
		if sh, ok = st.Shipments[orderID]; !ok {
			return notFound("shipment", orderID)
		}
		return nil
	})
	return sh, err
}
