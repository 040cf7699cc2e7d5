package idem_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/idem"
)

// Fingerprints are stored: they must stay SHA-256 of json.Marshal's output.
func TestFingerprintIsSHA256OfTheJSON(t *testing.T) {
	for _, in := range []any{
		Order{ID: "order-1", Cents: 500},
		map[string]any{"b": 1, "a": []string{"<html>&"}},
		"naïve 🚀\n",
		nil,
	} {
		b, err := json.Marshal(in)
		require.NoError(t, err)
		h := sha256.Sum256(b)
		got, err := idem.Fingerprint(in)
		require.NoError(t, err)
		assert.Equal(t, hex.EncodeToString(h[:]), got, "%#v", in)
	}
	_, err := idem.Fingerprint(func() {})
	require.Error(t, err)
	got, err := idem.Fingerprint(Order{ID: "x"}) // the pool recovered from the failure
	require.NoError(t, err)
	b, _ := json.Marshal(Order{ID: "x"})
	h := sha256.Sum256(b)
	assert.Equal(t, hex.EncodeToString(h[:]), got)
}

// A replay decodes the recorded outcome by its meaning, not its shape: the
// document Wrap writes ({"result":...}) and any other JSON with the same
// keys (spacing, a repeated key, a failure next to a result).
func TestRecordedOutcomeDecodesByItsMeaning(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, doc string
		want      int
		errType   string // "" for a result
	}{
		{"result", `{"result":7}`, 7, ""},
		{"spaced", `{ "result" : 7 }`, 7, ""},
		{"repeated key, the last wins", `{"result":1,"result":7}`, 7, ""},
		{"null result", `{"result":null}`, 0, ""},
		{"failure", `{"error":{"type":"Declined","message":"card declined"}}`, 0, "Declined"},
		{"failure after a result", `{"result":7,"error":{"type":"Declined","message":"card declined"}}`, 0, "Declined"},
		{"result of another type", `{"result":"seven"}`, 0, idem.ErrTypeUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := idem.NewMemoryStore()
			fp, err := idem.Fingerprint(1)
			require.NoError(t, err)
			_, err = store.Claim(ctx, idem.ClaimRequest{Key: "k", Fingerprint: fp, Owner: "o", Lease: time.Minute, TTL: time.Hour})
			require.NoError(t, err)
			require.NoError(t, store.Complete(ctx, "k", "o", []byte(tc.doc), time.Hour))

			ran := false
			fn := idem.Wrap(store, func(context.Context, int) (int, error) { ran = true; return -1, nil },
				idem.WithKey(func(context.Context, int) (string, error) { return "k", nil }))
			got, err := fn(ctx, 1)
			assert.False(t, ran, "a recorded outcome is returned without running the body")
			if tc.errType == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.errType, ae.Type())
			assert.True(t, ae.NonRetryable())
		})
	}
}
