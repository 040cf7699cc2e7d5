package idem_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/idem"
)

func TestPendingOutsideAWrappedBody(t *testing.T) {
	ctx := idem.WithKeyContext(context.Background(), "k") // a key, but no wrapped call
	require.ErrorIs(t, idem.SetPending(ctx, map[string]string{"id": "x"}), idem.ErrNotWrapped)
	v, ok, err := idem.Pending[map[string]string](ctx)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Nil(t, v)
}

func TestSetPendingRefusesBadData(t *testing.T) {
	store := idem.NewMemoryStore()
	var errs []error
	fn := idem.Wrap(store, func(ctx context.Context, _ string) (string, error) {
		errs = append(errs,
			idem.SetPending(ctx, strings.Repeat("x", idem.MaxPendingSize)), // quoted: too large
			idem.SetPending(ctx, func() {}),                                // not JSON
		)
		_, ok, err := idem.Pending[string](ctx)
		if ok || err != nil {
			t.Errorf("refused data was recorded: ok=%v err=%v", ok, err)
		}
		return "ok", nil
	}, idem.WithKey(func(context.Context, string) (string, error) { return "k", nil }))
	_, err := fn(context.Background(), "in")
	require.NoError(t, err)
	require.Len(t, errs, 2)
	assert.ErrorContains(t, errs[0], "MaxPendingSize")
	assert.ErrorContains(t, errs[1], "does not encode as JSON")
}

func TestPendingThatDoesNotDecodeIsAnError(t *testing.T) {
	fn := idem.Wrap(idem.NewMemoryStore(), func(ctx context.Context, _ string) (string, error) {
		if err := idem.SetPending(ctx, map[string]int{"after": 3}); err != nil {
			return "", err
		}
		_, ok, err := idem.Pending[[]string](ctx)
		assert.False(t, ok)
		return "", err
	}, idem.WithKey(func(context.Context, string) (string, error) { return "k", nil }))
	_, err := fn(context.Background(), "in")
	assert.ErrorContains(t, err, "does not decode into []string")
}
