package hitlhttp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/durable-llm/durable-llm/durable"
)

// EnvKeys names the variable [KeyRingFromEnv] reads:
// "id1:base64key,id2:base64key", the first id signs, all ids verify.
const EnvKeys = "HITL_SIGNING_KEYS"

// MinKeyBytes is the shortest signing key [NewKeyRing] accepts.
const MinKeyBytes = 32

// ErrInvalidKeyRing is matched (errors.Is) by every error that
// [NewKeyRing], [ParseKeyRing] and [KeyRingFromEnv] return for bad keys or
// ids.
var ErrInvalidKeyRing = errors.New("hitlhttp: invalid signing key ring")

// KeyRing holds the HMAC-SHA256 keys that sign review links and session
// cookies, by id: one current key that signs, and older keys that still
// verify. It has the shape of durable.KeyRing: rotate by making a new key
// current and keeping the old one until the links and sessions it signed
// have expired; removing a key revokes everything it signed. A KeyRing is
// immutable and safe for concurrent use.
type KeyRing struct {
	current string
	keys    map[string][]byte
}

// NewKeyRing builds a ring whose current key is current. Every key must
// have at least [MinKeyBytes] bytes.
func NewKeyRing(current string, keys map[string][]byte) (*KeyRing, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("%w: current key id %q is not among the keys: add it", ErrInvalidKeyRing, current)
	}
	r := &KeyRing{current: current, keys: make(map[string][]byte, len(keys))}
	for id, k := range keys {
		if id == "" || strings.ContainsAny(id, ":,.") {
			return nil, fmt.Errorf("%w: key id %q must be non-empty without ':', ',' or '.'", ErrInvalidKeyRing, id)
		}
		if len(k) < MinKeyBytes {
			return nil, fmt.Errorf("%w: key %q has %d bytes; use at least %d (generate one with `openssl rand -base64 32`)", ErrInvalidKeyRing, id, len(k), MinKeyBytes)
		}
		r.keys[id] = append([]byte(nil), k...)
	}
	return r, nil
}

// ParseKeyRing parses "id:base64key,id2:base64key" (the format of
// [durable.ParseKeys]); the first id is current.
func ParseKeyRing(s string) (*KeyRing, error) {
	current, keys, err := durable.ParseKeys(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKeyRing, err)
	}
	return NewKeyRing(current, keys)
}

// KeyRingFromEnv reads $HITL_SIGNING_KEYS (see [ParseKeyRing]). It returns
// nil and no error when the variable is unset.
func KeyRingFromEnv() (*KeyRing, error) {
	v := os.Getenv(EnvKeys)
	if v == "" {
		return nil, nil
	}
	r, err := ParseKeyRing(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKeys, err)
	}
	return r, nil
}

// RandomKeyRing returns a ring with one fresh random key named id. Links and
// sessions it signs die with the process: use it for demos and tests, and
// [KeyRingFromEnv] where links must survive a restart or work across
// replicas.
func RandomKeyRing(id string) (*KeyRing, error) {
	k := make([]byte, MinKeyBytes)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return NewKeyRing(id, map[string][]byte{id: k})
}

// Current is the id of the key that signs.
func (r *KeyRing) Current() string { return r.current }
