package idemlinks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/idem"
)

// KeyPrefix starts the idem key of every link record ("hitlhttp/link/<id>").
const KeyPrefix = "hitlhttp/link/"

// fingerprint is the same for every link: a key is only ever one link's.
const fingerprint = "hitlhttp-link-v1"

// ErrNoStore is returned by [Store.Redeem] when the Store has no idem store.
var ErrNoStore = errors.New("idemlinks: no idem.Store: build the link store with idemlinks.New(store)")

// Store is a [hitlhttp.LinkStore] on an [idem.Store]. Build it with [New].
// It is safe for concurrent use when the idem store is.
type Store struct {
	store idem.Store
}

var _ hitlhttp.LinkStore = (*Store)(nil)

// New returns a link store that records used links in store.
func New(store idem.Store) *Store { return &Store{store: store} }

// Redeem implements [hitlhttp.LinkStore]: it claims the link's key in the
// idem store and records it as used until expires. It reports true only to
// the first caller; a link already used, or being used at this moment by
// another replica, is false. An expired link is false without a write.
func (s *Store) Redeem(ctx context.Context, id string, expires time.Time) (bool, error) {
	if s == nil || s.store == nil {
		return false, ErrNoStore
	}
	ttl := time.Until(expires)
	if ttl <= 0 {
		return false, nil
	}
	owner, err := newOwner()
	if err != nil {
		return false, err
	}
	key := KeyPrefix + id
	c, err := s.store.Claim(ctx, idem.ClaimRequest{Key: key, Fingerprint: fingerprint, Owner: owner, Lease: ttl, TTL: ttl})
	if err != nil {
		return false, fmt.Errorf("idemlinks: redeem link: %w", err)
	}
	if c.Status != idem.ClaimNew {
		return false, nil // done, held by another replica, or (lease = TTL) never taken over
	}
	if err := s.store.Complete(ctx, key, owner, []byte(`{"redeemed":true}`), ttl); err != nil {
		// The claim still holds the key until the link expires: the link
		// stays used, and this request is refused rather than risk a second use.
		return false, fmt.Errorf("idemlinks: record used link: %w", err)
	}
	return true, nil
}

func newOwner() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("idemlinks: owner id: %w", err)
	}
	return "hitlhttp/" + hex.EncodeToString(b[:]), nil
}
