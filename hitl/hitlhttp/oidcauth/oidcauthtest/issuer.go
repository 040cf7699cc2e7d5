// Package oidcauthtest is a local OpenID Connect provider for tests of
// package oidcauth and of the review pages that use it: discovery, a JWKS
// of RSA keys generated at start (rotated on demand), an authorization
// endpoint that signs in a chosen user at once, and a token endpoint with
// PKCE. It runs on net/http/httptest and talks to nothing else.
//
//	iss := oidcauthtest.Start(t)
//	p, err := oidcauth.New(ctx, oidcauth.Config{Issuer: iss.URL(), ClientID: iss.ClientID})
//	tok := iss.Sign(iss.Claims("alice@example.com", iss.ClientID))
package oidcauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Client credentials the issuer accepts at its token endpoint.
const (
	ClientID     = "hitl-reviews"
	ClientSecret = "hitl-reviews-secret"
)

// Issuer is the test provider. Safe for concurrent use.
type Issuer struct {
	// ClientID and ClientSecret are the registered client's credentials.
	ClientID, ClientSecret string

	srv *httptest.Server

	mu        sync.Mutex
	keys      []signingKey // published; the last one signs
	serial    int
	user      string
	codes     map[string]grant
	keyFetchs atomic.Int32
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

type grant struct {
	email, nonce, challenge, redirect string
}

// Start runs an issuer until the test ends. The first key's id is "key-1";
// the user the authorization endpoint signs in is "alice@example.com".
func Start(t testing.TB) *Issuer {
	t.Helper()
	i := NewIssuer()
	t.Cleanup(i.Close)
	return i
}

// NewIssuer runs an issuer until Close; see [Start].
func NewIssuer() *Issuer {
	i := &Issuer{ClientID: ClientID, ClientSecret: ClientSecret, user: "alice@example.com", codes: map[string]grant{}}
	i.Rotate(false)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /keys", i.jwks)
	mux.HandleFunc("GET /authorize", i.authorize)
	mux.HandleFunc("POST /token", i.token)
	i.srv = httptest.NewServer(mux)
	return i
}

// Close stops the issuer.
func (i *Issuer) Close() { i.srv.Close() }

// URL is the issuer URL (the iss claim and discovery base).
func (i *Issuer) URL() string { return i.srv.URL }

// KeyFetches counts the requests for the JWKS so far.
func (i *Issuer) KeyFetches() int { return int(i.keyFetchs.Load()) }

// SetUser chooses the email the authorization endpoint signs in next.
func (i *Issuer) SetUser(email string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.user = email
}

// Rotate generates a new signing key with a new key id and publishes it;
// with retire, the previous keys are withdrawn from the JWKS. It returns
// the new key id.
func (i *Issuer) Rotate(retire bool) string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.serial++
	id := fmt.Sprintf("key-%d", i.serial)
	if retire {
		i.keys = nil
	}
	i.keys = append(i.keys, signingKey{id: id, key: k})
	return id
}

// Claims returns valid ID-token claims for email and audience: issued now,
// expiring in an hour, email verified. Change them to build bad tokens.
func (i *Issuer) Claims(email, audience string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": i.URL(), "sub": "user-" + email, "aud": audience,
		"email": email, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// Sign signs claims with the current key (RS256, its key id in the header).
func (i *Issuer) Sign(claims map[string]any) string {
	i.mu.Lock()
	k := i.keys[len(i.keys)-1]
	i.mu.Unlock()
	return sign(k, claims)
}

func sign(k signingKey, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.key, KeyID: k.id}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	jws, err := s.Sign(b)
	if err != nil {
		panic(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                i.URL(),
		"authorization_endpoint":                i.URL() + "/authorize",
		"token_endpoint":                        i.URL() + "/token",
		"jwks_uri":                              i.URL() + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (i *Issuer) jwks(w http.ResponseWriter, _ *http.Request) {
	i.keyFetchs.Add(1)
	i.mu.Lock()
	var set jose.JSONWebKeySet
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.key.PublicKey, KeyID: k.id, Algorithm: "RS256", Use: "sig"})
	}
	i.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// authorize signs the current user in at once and redirects back with a
// one-time code.
func (i *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("client_id") != i.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "need response_type=code and an S256 code_challenge", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	code := random()
	i.mu.Lock()
	i.codes[code] = grant{email: i.user, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: redirect.String()}
	i.mu.Unlock()
	v := redirect.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	redirect.RawQuery = v.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token exchanges a code once, checking the client, redirect and PKCE.
func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	code := r.PostFormValue("code")
	i.mu.Lock()
	g, found := i.codes[code]
	delete(i.codes, code)
	i.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case id != i.ClientID || secret != i.ClientSecret:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	case !found || r.PostFormValue("redirect_uri") != g.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	claims := i.Claims(g.email, i.ClientID)
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": random(), "token_type": "Bearer", "expires_in": 3600, "id_token": i.Sign(claims),
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func random() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
