package idem_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
