package ordersaga

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
)

// backend is one store implementation under test, isolated per test.
type backend struct {
	name string
	open func(t *testing.T) (Store, idem.Store)
}

var backends = []backend{
	{"files", openFileBackend},
	{"postgres", openPostgresBackend},
}

func openFileBackend(t *testing.T) (Store, idem.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := NewFileStore(dir)
	require.NoError(t, err)
	keys, err := idem.NewFileStore(dir + "/idem")
	require.NoError(t, err)
	return st, keys
}

// testPool connects to the test database, or skips (fails with
// DURABLE_INTEGRATION=1) when it is unreachable.
func testPool(t *testing.T) *pgxpool.Pool { return durabletest.Postgres(t) }

// openPostgresBackend opens a store on tables with a prefix unique to the
// test, dropped when it ends.
func openPostgresBackend(t *testing.T) (Store, idem.Store) {
	t.Helper()
	pool := testPool(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "ordersaga_t" + hex.EncodeToString(b) + "_"
	ctx := context.Background()
	st, err := NewPostgresStore(ctx, pool, prefix)
	require.NoError(t, err)
	keys, err := idem.NewPostgresStore(ctx, pool, idem.WithTable(prefix+"idem"))
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, tbl := range []string{"stock", "reservations", "payments", "shipments", "idem"} {
			_, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+prefix+tbl)
		}
	})
	return st, keys
}

func forEachBackend(t *testing.T, f func(t *testing.T, open func(t *testing.T) (Store, idem.Store))) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.open) })
	}
}

func stock(t *testing.T, st Store, sku string) int {
	t.Helper()
	n, err := st.Stock(context.Background(), sku)
	require.NoError(t, err)
	return n
}

func TestStoreInventory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		st, _ := open(t)
		ctx := context.Background()
		require.NoError(t, st.EnsureStock(ctx, map[string]int{"widget": 10, "gadget": 2}))
		require.NoError(t, st.EnsureStock(ctx, map[string]int{"widget": 99, "gizmo": 1}), "existing SKUs keep their stock")
		assert.Equal(t, 10, stock(t, st, "widget"))
		assert.Equal(t, 1, stock(t, st, "gizmo"))
		_, err := st.Stock(ctx, "nothing")
		require.ErrorIs(t, err, ErrUnknownSKU)

		items := []Item{{SKU: "widget", Quantity: 3}, {SKU: "gadget", Quantity: 1}}
		r, err := st.Reserve(ctx, "o-1", items)
		require.NoError(t, err)
		assert.Equal(t, Reserved, r.Status)
		assert.Equal(t, items, r.Items)
		again, err := st.Reserve(ctx, "o-1", items)
		require.NoError(t, err, "a retried reserve is harmless")
		assert.Equal(t, r.Status, again.Status)
		assert.Equal(t, 7, stock(t, st, "widget"), "reserved once")
		assert.Equal(t, 1, stock(t, st, "gadget"))

		// All or nothing: widget would fit, gadget does not.
		_, err = st.Reserve(ctx, "o-2", []Item{{SKU: "widget", Quantity: 1}, {SKU: "gadget", Quantity: 2}})
		var se *StockError
		require.ErrorAs(t, err, &se)
		require.ErrorIs(t, err, ErrOutOfStock)
		assert.Equal(t, StockError{SKU: "gadget", Wanted: 2, Available: 1}, *se)
		assert.Equal(t, 7, stock(t, st, "widget"), "nothing taken from a failed reservation")
		_, err = st.Reservation(ctx, "o-2")
		require.ErrorIs(t, err, ErrNotFound)
		_, err = st.Reserve(ctx, "o-2", []Item{{SKU: "nothing", Quantity: 1}})
		require.ErrorIs(t, err, ErrUnknownSKU)

		rel, err := st.Release(ctx, "o-1")
		require.NoError(t, err)
		assert.Equal(t, Released, rel.Status)
		assert.Equal(t, 10, stock(t, st, "widget"))
		assert.Equal(t, 2, stock(t, st, "gadget"))
		_, err = st.Release(ctx, "o-1")
		require.NoError(t, err, "a retried release is harmless")
		assert.Equal(t, 10, stock(t, st, "widget"), "released once")
		_, err = st.Reserve(ctx, "o-1", items)
		require.ErrorIs(t, err, ErrOrderClosed, "an order ID is used once")
		_, err = st.Release(ctx, "o-404")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestStoreShipments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		st, _ := open(t)
		ctx := context.Background()
		require.NoError(t, st.EnsureStock(ctx, map[string]int{"widget": 5}))
		_, err := st.Ship(ctx, "o-1")
		require.ErrorIs(t, err, ErrNotFound, "nothing reserved")

		items := []Item{{SKU: "widget", Quantity: 2}}
		_, err = st.Reserve(ctx, "o-1", items)
		require.NoError(t, err)
		sh, err := st.Ship(ctx, "o-1")
		require.NoError(t, err)
		assert.Equal(t, trackingNumber("o-1"), sh.Tracking)
		assert.Equal(t, items, sh.Items)
		again, err := st.Ship(ctx, "o-1")
		require.NoError(t, err)
		assert.Equal(t, sh.Tracking, again.Tracking)
		got, err := st.Shipment(ctx, "o-1")
		require.NoError(t, err)
		assert.Equal(t, sh.Tracking, got.Tracking)
		r, err := st.Reservation(ctx, "o-1")
		require.NoError(t, err)
		assert.Equal(t, Shipped, r.Status)
		_, err = st.Release(ctx, "o-1")
		require.ErrorIs(t, err, ErrOrderClosed, "shipped goods do not come back")
		assert.Equal(t, 3, stock(t, st, "widget"))

		_, err = st.Reserve(ctx, "o-2", items)
		require.NoError(t, err)
		_, err = st.Release(ctx, "o-2")
		require.NoError(t, err)
		_, err = st.Ship(ctx, "o-2")
		require.ErrorIs(t, err, ErrOrderClosed, "a released order does not ship")
		_, err = st.Shipment(ctx, "o-2")
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestStorePayments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		st, _ := open(t)
		ctx := context.Background()
		_, err := st.Payment(ctx, ChargeKey("o-1"))
		require.ErrorIs(t, err, ErrNotFound)

		c1, err := st.Charge(ctx, ChargeKey("o-1"), "o-1", 4999)
		require.NoError(t, err)
		// The store is a gateway without idempotency: a second call charges again.
		c2, err := st.Charge(ctx, ChargeKey("o-1"), "o-1", 4999)
		require.NoError(t, err)
		assert.Greater(t, c2.Seq, c1.Seq)
		r, err := st.Refund(ctx, RefundKey("o-1"), "o-1", 4999)
		require.NoError(t, err)
		_, err = st.Charge(ctx, ChargeKey("o-2"), "o-2", 100)
		require.NoError(t, err)

		found, err := st.Payment(ctx, ChargeKey("o-1"))
		require.NoError(t, err)
		assert.Equal(t, c1.Seq, found.Seq, "the first payment under the key")
		ps, err := st.Payments(ctx, "o-1")
		require.NoError(t, err)
		require.Len(t, ps, 3)
		assert.Equal(t, []PaymentKind{KindCharge, KindCharge, KindRefund}, []PaymentKind{ps[0].Kind, ps[1].Kind, ps[2].Kind})
		assert.Equal(t, r.Seq, ps[2].Seq)
		assert.Equal(t, RefundKey("o-1"), ps[2].Key)
		assert.Equal(t, int64(4999), ps[2].Amount)
	})
}

// TestStoreConcurrentReserve reserves from several goroutines through two
// store values (for files: two FileStores on one directory, so only the
// flock keeps them apart): stock is never oversold.
func TestStoreConcurrentReserve(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) (Store, idem.Store)) {
		st, _ := open(t)
		other := st
		if fs, ok := st.(*FileStore); ok {
			var err error
			other, err = NewFileStore(fs.Dir())
			require.NoError(t, err)
		}
		ctx := context.Background()
		require.NoError(t, st.EnsureStock(ctx, map[string]int{"widget": 5, "gadget": 100}))
		const orders = 12
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  int
			errs []error
		)
		for i := range orders {
			s := st
			if i%2 == 1 {
				s = other
			}
			wg.Go(func() {
				_, err := s.Reserve(ctx, fmt.Sprintf("o-%d", i), []Item{{SKU: "gadget", Quantity: 1}, {SKU: "widget", Quantity: 1}})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won++
				} else {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 5, won)
		for _, err := range errs {
			require.ErrorIs(t, err, ErrOutOfStock)
		}
		assert.Equal(t, 0, stock(t, st, "widget"))
		assert.Equal(t, 95, stock(t, st, "gadget"), "failed reservations took nothing")
	})
}

func TestPostgresStoreRejectsBadPrefix(t *testing.T) {
	pool := testPool(t)
	_, err := NewPostgresStore(context.Background(), pool, "Bad-Prefix; DROP")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a lowercase identifier")
}
