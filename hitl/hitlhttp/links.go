package hitlhttp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultLinkTTL is how long a review link stays valid when neither
// [Links.TTL] nor [Link.TTL] says otherwise.
const DefaultLinkTTL = 72 * time.Hour

// Links mints signed review links for mail and chat. Opening one signs its
// reviewer in for that one review (see [Options.Keys]). Mint links where
// the notification is sent (an activity), with the same [KeyRing] as the
// handler that serves them. The zero value is not usable: set Keys and
// BaseURL. Links is safe for concurrent use.
type Links struct {
	// Keys signs the links. Required; the handler must verify with a ring
	// holding the same key.
	Keys *KeyRing
	// BaseURL is the absolute address the handler is mounted at, e.g.
	// "https://reviews.example.com/review". Required.
	BaseURL string
	// TTL is how long a link stays valid; 0 means [DefaultLinkTTL].
	TTL time.Duration
}

// Link is what one review link grants.
type Link struct {
	// Reviewer is the reviewer the link signs in. Required.
	Reviewer string
	// Review is the review's workflow ID. Required.
	Review string
	// Version, when not 0, is the only version the link opens: once the
	// review has moved on, the link is refused and a new one is needed.
	Version int
	// TTL overrides [Links.TTL] for this link.
	TTL time.Duration
	// Expires, when set, is when the link expires instead of after a TTL:
	// the stage's deadline (hitl.Status.Due), say. A time in the past
	// mints a link that is refused as expired.
	Expires time.Time
}

// ErrMintLink is matched (errors.Is) by the errors [Links.URL] returns
// for an unusable configuration or [Link].
var ErrMintLink = errors.New("hitlhttp: cannot mint review link")

// URL returns the signed link for l: {BaseURL}/link?token=...
func (ls Links) URL(l Link) (string, error) {
	tok, err := ls.Token(l)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(ls.BaseURL, "/") + "/link?token=" + url.QueryEscape(tok), nil
}

// Token returns the signed token of l alone, for a client that builds the
// URL itself ({prefix}/link?token=...).
func (ls Links) Token(l Link) (string, error) {
	switch {
	case ls.Keys == nil:
		return "", fmt.Errorf("%w: Links.Keys is nil: set the signing key ring", ErrMintLink)
	case !strings.HasPrefix(ls.BaseURL, "http://") && !strings.HasPrefix(ls.BaseURL, "https://"):
		return "", fmt.Errorf("%w: Links.BaseURL %q must be the handler's absolute http(s) address", ErrMintLink, ls.BaseURL)
	case strings.TrimSpace(l.Reviewer) == "" || l.Review == "":
		return "", fmt.Errorf("%w: a link needs a Reviewer and a Review", ErrMintLink)
	case l.Version < 0:
		return "", fmt.Errorf("%w: negative version %d", ErrMintLink, l.Version)
	}
	ttl := l.TTL
	if ttl <= 0 {
		ttl = ls.TTL
	}
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	now := time.Now()
	exp := l.Expires
	if exp.IsZero() {
		exp = now.Add(ttl)
	}
	return ls.Keys.sign(purposeLink, grant{
		Reviewer: strings.TrimSpace(l.Reviewer), Reviews: []string{l.Review}, Version: l.Version,
		Issued: now.Unix(), Expires: exp.Unix(), ID: base64.RawURLEncoding.EncodeToString(id),
	})
}

// LinkStore remembers which review links were used, so each opens once.
// Give every replica of the handler the same store (a table with a unique
// key is enough; package idemlinks keeps it in an idem.Store, such as the
// PostgreSQL store the workers share); the default is in memory, per
// process.
type LinkStore interface {
	// Redeem records that the link id was used and reports whether this
	// was the first time. expires is when the record may be forgotten (the
	// link is refused as expired after that anyway).
	Redeem(ctx context.Context, id string, expires time.Time) (first bool, err error)
}

// MemoryLinkStore is the in-process [LinkStore]. Its zero value is ready to
// use; it is safe for concurrent use and forgets links once they expire.
type MemoryLinkStore struct {
	mu   sync.Mutex
	used map[string]time.Time
}

// Redeem implements [LinkStore].
func (s *MemoryLinkStore) Redeem(_ context.Context, id string, expires time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.used == nil {
		s.used = make(map[string]time.Time)
	}
	for k, exp := range s.used {
		if now.After(exp) {
			delete(s.used, k)
		}
	}
	if _, dup := s.used[id]; dup {
		return false, nil
	}
	s.used[id] = expires
	return true, nil
}
