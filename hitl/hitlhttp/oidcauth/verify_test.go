package oidcauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
)

const apiAudience = "https://reviews.example.com/api"

func provider(t *testing.T, iss *oidcauthtest.Issuer, mutate ...func(*oidcauth.Config)) *oidcauth.Provider {
	t.Helper()
	cfg := oidcauth.Config{Issuer: iss.URL(), ClientID: iss.ClientID, Audiences: []string{apiAudience}}
	for _, m := range mutate {
		m(&cfg)
	}
	p, err := oidcauth.New(context.Background(), cfg)
	require.NoError(t, err)
	return p
}

func bearer(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/reviews", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// b64 re-encodes a JWT part.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyTokens(t *testing.T) {
	iss := oidcauthtest.Start(t)
	other := oidcauthtest.Start(t) // a provider whose keys ours does not trust
	p := provider(t, iss)

	with := func(change func(c map[string]any)) string {
		c := iss.Claims("alice@example.com", iss.ClientID)
		change(c)
		return iss.Sign(c)
	}
	good := iss.Sign(iss.Claims("alice@example.com", iss.ClientID))
	parts := strings.Split(good, ".")
	require.Len(t, parts, 3)
	otherClaims := iss.Claims("alice@example.com", iss.ClientID) // iss claim says ours
	for _, tc := range []struct {
		name    string
		token   string
		want    string
		expired bool
	}{
		{"ID token", good, "alice@example.com", false},
		{"access token for the API audience", with(func(c map[string]any) { c["aud"] = []string{apiAudience, "other"} }), "alice@example.com", false},
		{"expired", with(func(c map[string]any) {
			c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		}), "", true},
		{"wrong audience", with(func(c map[string]any) { c["aud"] = "someone-else" }), "", false},
		{"wrong issuer", with(func(c map[string]any) { c["iss"] = "https://evil.example.com" }), "", false},
		{"unsigned (alg none)", b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", "", false},
		{"tampered claims", parts[0] + "." + b64(`{"iss":"`+iss.URL()+`","aud":"`+iss.ClientID+`","email":"mallory@example.com","exp":9999999999}`) + "." + parts[2], "", false},
		{"signed by another provider's key", other.Sign(otherClaims), "", false},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(with(func(c map[string]any) { c["email"] = "x@example.com" }), ".")[2], "", false},
		{"not a JWT", "not-a-token", "", false},
		{"no reviewer claim", with(func(c map[string]any) { delete(c, "email") }), "", false},
		{"unverified email", with(func(c map[string]any) { c["email_verified"] = false }), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who, err := p.Reviewer(bearer(tc.token))
			if tc.want != "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, who)
				return
			}
			require.Error(t, err)
			t.Logf("refused: %v", err)
			assert.Empty(t, who)
			require.ErrorIs(t, err, oidcauth.ErrInvalidToken)
			require.ErrorIs(t, err, hitlhttp.ErrUnauthenticated, "the handler answers 401")
			if tc.expired {
				require.ErrorIs(t, err, oidcauth.ErrTokenExpired)
			} else {
				assert.NotErrorIs(t, err, oidcauth.ErrTokenExpired)
			}
			code, typ := hitlhttp.Status(err)
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Equal(t, "Unauthenticated", typ)
		})
	}

	t.Run("no header", func(t *testing.T) {
		_, err := p.Reviewer(httptest.NewRequest(http.MethodGet, "/", nil))
		require.ErrorIs(t, err, hitlhttp.ErrUnauthenticated)
		assert.NotErrorIs(t, err, oidcauth.ErrInvalidToken, "no credentials is not a bad token")
	})
	t.Run("basic scheme", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.SetBasicAuth("alice", "pw")
		_, err := p.Reviewer(r)
		require.ErrorIs(t, err, oidcauth.ErrInvalidToken)
	})
}

func TestClaimMapping(t *testing.T) {
	iss := oidcauthtest.Start(t)
	p := provider(t, iss, func(c *oidcauth.Config) { c.Claim = "sub" })
	who, err := p.Reviewer(bearer(iss.Sign(iss.Claims("bob@example.com", iss.ClientID))))
	require.NoError(t, err)
	assert.Equal(t, "user-bob@example.com", who)
}

func TestKeyRotation(t *testing.T) {
	iss := oidcauthtest.Start(t)
	p := provider(t, iss)
	ctx := context.Background()
	oldTok := iss.Sign(iss.Claims("alice@example.com", iss.ClientID))

	_, err := p.Verify(ctx, oldTok)
	require.NoError(t, err)
	require.Equal(t, 1, iss.KeyFetches(), "keys are fetched on first use")
	_, err = p.Verify(ctx, oldTok)
	require.NoError(t, err)
	assert.Equal(t, 1, iss.KeyFetches(), "and cached")

	assert.Equal(t, "key-2", iss.Rotate(false))
	who, err := p.Verify(ctx, iss.Sign(iss.Claims("bob@example.com", iss.ClientID)))
	require.NoError(t, err, "a token under the new key id verifies without a restart")
	assert.Equal(t, "bob@example.com", who)
	assert.Equal(t, 2, iss.KeyFetches(), "an unknown key id makes the key set refetch")
	_, err = p.Verify(ctx, oldTok)
	require.NoError(t, err, "the old key is still published")

	assert.Equal(t, "key-3", iss.Rotate(true))
	_, err = p.Verify(ctx, iss.Sign(iss.Claims("carol@example.com", iss.ClientID)))
	require.NoError(t, err)
	assert.Equal(t, 3, iss.KeyFetches())
	// go-oidc signals the refetch's waiters just before it swaps its cache,
	// so the withdrawal takes effect a moment after the refetch.
	require.Eventually(t, func() bool {
		_, err := p.Verify(ctx, oldTok)
		return errors.Is(err, oidcauth.ErrInvalidToken)
	}, 5*time.Second, 10*time.Millisecond, "a token under a retired key is refused")
}

func TestNewValidates(t *testing.T) {
	iss := oidcauthtest.Start(t)
	ctx := context.Background()
	for name, cfg := range map[string]oidcauth.Config{
		"no issuer":            {ClientID: "x"},
		"no audience":          {Issuer: iss.URL()},
		"alg none":             {Issuer: iss.URL(), ClientID: "x", Algorithms: []string{"none"}},
		"login without client": {Issuer: iss.URL(), Audiences: []string{"api"}, RedirectURL: "http://localhost/signin/callback"},
		"issuer mismatch":      {Issuer: iss.URL() + "/other", ClientID: "x"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := oidcauth.New(ctx, cfg)
			require.ErrorIs(t, err, oidcauth.ErrConfig)
		})
	}
}
