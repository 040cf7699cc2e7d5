package hitlhttp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Purposes of signed tokens. The purpose is part of the signed input, so a
// link token is never accepted as a session cookie or the other way round.
const (
	purposeLink    = "link"
	purposeSession = "session"
)

// tokenVersion prefixes every token; a new format gets a new prefix.
const tokenVersion = "h1"

// maxTokenBytes bounds a token before it is parsed.
const maxTokenBytes = 4096

// grant is what a signed token says: who, for which reviews, until when.
type grant struct {
	// Reviewer is the signed-in reviewer.
	Reviewer string `json:"sub"`
	// Reviews scopes the grant: a link names exactly one review; a session
	// from links names the reviews it may read; empty means every review
	// the [Access] policy allows.
	Reviews []string `json:"rev,omitempty"`
	// Version, when set on a link, is the only version the link opens.
	Version int `json:"ver,omitempty"`
	// Expires and Issued are Unix seconds.
	Expires int64 `json:"exp"`
	Issued  int64 `json:"iat"`
	// ID identifies a link, so the [LinkStore] can redeem it once.
	ID string `json:"jti,omitempty"`
	// Via says how a session was opened: "link", "signin" or "demo".
	Via string `json:"via,omitempty"`
}

func (g grant) expiry() time.Time { return time.Unix(g.Expires, 0) }

// scoped reports whether the grant is limited to listed reviews.
func (g grant) scoped() bool { return len(g.Reviews) > 0 }

func (g grant) covers(id string) bool {
	if !g.scoped() {
		return true
	}
	for _, r := range g.Reviews {
		if r == id {
			return true
		}
	}
	return false
}

var (
	errTokenInvalid = errors.New("hitlhttp: invalid signed token")
	errTokenExpired = errors.New("hitlhttp: signed token expired")
)

// sign returns "h1.<kid>.<claims>.<mac>" under the ring's current key.
func (r *KeyRing) sign(purpose string, g grant) (string, error) {
	b, err := json.Marshal(g)
	if err != nil {
		return "", err
	}
	body := tokenVersion + "." + r.current + "." + base64.RawURLEncoding.EncodeToString(b)
	return body + "." + base64.RawURLEncoding.EncodeToString(mac(r.keys[r.current], purpose, body)), nil
}

// verify checks the token's signature under any key of the ring, its
// purpose and its expiry, and returns its grant. An expired token returns
// the grant too (to say when it expired) with errTokenExpired.
func (r *KeyRing) verify(purpose, token string, now time.Time) (grant, error) {
	var g grant
	if len(token) > maxTokenBytes {
		return g, fmt.Errorf("%w: %d bytes is too long", errTokenInvalid, len(token))
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != tokenVersion {
		return g, fmt.Errorf("%w: malformed (copy the whole link)", errTokenInvalid)
	}
	key, ok := r.keys[parts[1]]
	if !ok {
		return g, fmt.Errorf("%w: signed with key %q, which is no longer in the ring", errTokenInvalid, parts[1])
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || !hmac.Equal(sig, mac(key, purpose, strings.Join(parts[:3], "."))) {
		return g, fmt.Errorf("%w: the signature does not match (the token was altered, or is not a %s token)", errTokenInvalid, purpose)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || json.Unmarshal(b, &g) != nil || g.Reviewer == "" || g.Expires == 0 {
		return grant{}, fmt.Errorf("%w: unreadable claims", errTokenInvalid)
	}
	if !now.Before(g.expiry()) {
		return g, fmt.Errorf("%w at %s", errTokenExpired, g.expiry().UTC().Format(time.RFC3339))
	}
	return g, nil
}

// mac binds the purpose to the signed bytes.
func mac(key []byte, purpose, body string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hitlhttp/" + purpose + "\x00" + body))
	return m.Sum(nil)
}
