package hitlhttp

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ring(t *testing.T, current string, ids ...string) *KeyRing {
	t.Helper()
	keys := map[string][]byte{}
	for i, id := range ids {
		keys[id] = bytes.Repeat([]byte{byte(i + 1)}, MinKeyBytes)
	}
	r, err := NewKeyRing(current, keys)
	require.NoError(t, err)
	return r
}

func TestSignedTokens(t *testing.T) {
	now := time.Now()
	g := grant{Reviewer: "alice", Reviews: []string{"doc-1"}, Version: 2, Issued: now.Unix(), Expires: now.Add(time.Hour).Unix(), ID: "j1"}
	old := ring(t, "k1", "k1")
	tok, err := old.sign(purposeLink, g)
	require.NoError(t, err)

	got, err := old.verify(purposeLink, tok, now)
	require.NoError(t, err)
	assert.Equal(t, g, got)

	rotated := ring(t, "k2", "k1", "k2")
	_, err = rotated.verify(purposeLink, tok, now)
	require.NoError(t, err, "after rotation the old key still verifies")
	tok2, err := rotated.sign(purposeLink, g)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok2, "h1.k2."), "the new key signs")

	retired := ring(t, "k2", "k2")
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"mallory","rev":["doc-1"],"exp":9999999999}`)) + "." + parts[3]
	for name, tc := range map[string]struct {
		r       *KeyRing
		purpose string
		token   string
		at      time.Time
		want    error
	}{
		"retired key":         {retired, purposeLink, tok, now, errTokenInvalid},
		"other purpose":       {old, purposeSession, tok, now, errTokenInvalid},
		"forged claims":       {old, purposeLink, forged, now, errTokenInvalid},
		"other key, same id":  {ring(t, "k1", "k1", "x"), purposeLink, tok, now, nil},
		"truncated":           {old, purposeLink, tok[:len(tok)-3], now, errTokenInvalid},
		"empty":               {old, purposeLink, "", now, errTokenInvalid},
		"oversized":           {old, purposeLink, strings.Repeat("a", maxTokenBytes+1), now, errTokenInvalid},
		"expired":             {old, purposeLink, tok, now.Add(time.Hour), errTokenExpired},
		"wrong version":       {old, purposeLink, "h0" + tok[2:], now, errTokenInvalid},
		"signature not b64":   {old, purposeLink, strings.Join(parts[:3], ".") + ".!!", now, errTokenInvalid},
		"claims not JSON":     {old, purposeLink, signRaw(old, purposeLink, "bm90IGpzb24"), now, errTokenInvalid},
		"claims without name": {old, purposeLink, signRaw(old, purposeLink, base64.RawURLEncoding.EncodeToString([]byte(`{"exp":9999999999}`))), now, errTokenInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.r.verify(tc.purpose, tc.token, tc.at)
			if tc.want == nil {
				// Same id "k1" and same key bytes: a ring rebuilt from the
				// same secret verifies.
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// signRaw signs an arbitrary claims part, to test what verify does with it.
func signRaw(r *KeyRing, purpose, claims string) string {
	body := tokenVersion + "." + r.current + "." + claims
	return body + "." + base64.RawURLEncoding.EncodeToString(mac(r.keys[r.current], purpose, body))
}

func TestKeyRingParse(t *testing.T) {
	k := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	r, err := ParseKeyRing("new:" + k + ", old:" + k)
	require.NoError(t, err)
	assert.Equal(t, "new", r.Current())
	for _, bad := range []string{"", "nocolon", "k:" + base64.StdEncoding.EncodeToString([]byte("short")), "k:%%%", "a:" + k + ",a:" + k, "a.b:" + k} {
		_, err := ParseKeyRing(bad)
		require.ErrorIs(t, err, ErrInvalidKeyRing, "%q", bad)
	}
	t.Setenv(EnvKeys, "")
	r, err = KeyRingFromEnv()
	require.NoError(t, err)
	assert.Nil(t, r)
	t.Setenv(EnvKeys, "bad")
	_, err = KeyRingFromEnv()
	require.ErrorIs(t, err, ErrInvalidKeyRing)
}

func TestLocalNext(t *testing.T) {
	h := &Handler{opts: Options{Prefix: "/review"}}
	for next, want := range map[string]string{
		"/review/reviews/doc-1?x=1":  "/review/reviews/doc-1?x=1",
		"/review/":                   "/review/",
		"":                           "/review/",
		"https://evil.example.com/":  "/review/",
		"//evil.example.com/review/": "/review/",
		`/review\..\evil`:            "/review/",
		"/other/":                    "/review/",
		"javascript:alert(1)":        "/review/",
		"http:/review/x":             "/review/",
		"/review/../admin":           "/review/",
		"/review/x/../../admin":      "/review/",
	} {
		assert.Equal(t, want, h.localNext(next), "next=%q", next)
	}
}
