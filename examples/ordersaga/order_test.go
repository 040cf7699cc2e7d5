package ordersaga

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseItems(t *testing.T) {
	items, err := ParseItems(" widget:2 ,gadget,, gizmo: 3")
	require.NoError(t, err)
	assert.Equal(t, []Item{{SKU: "widget", Quantity: 2}, {SKU: "gadget", Quantity: 1}, {SKU: "gizmo", Quantity: 3}}, items)
	_, err = ParseItems("widget:two")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write sku:qty")
}

func TestValidateAcceptsAGoodOrder(t *testing.T) {
	require.NoError(t, testOrder("o-1").Validate())
	long := testOrder(string(make([]byte, MaxOrderIDLen+1)))
	require.ErrorIs(t, long.Validate(), ErrInvalidOrder)
}

func TestOpenBackendFiles(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBackend(context.Background(), dir, "")
	require.NoError(t, err)
	defer b.Close()
	assert.Equal(t, DefaultStock()["gizmo"], stock(t, b.Store, "gizmo"), "a fresh store is stocked")
	assert.FileExists(t, filepath.Join(dir, fileStateName))
	assert.DirExists(t, filepath.Join(dir, "idem"))
}
