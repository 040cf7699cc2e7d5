package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/mocks"

	supportagent "github.com/durable-llm/durable-llm/examples/agent"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
)

func TestSignInFlags(t *testing.T) {
	t.Setenv(hitlhttp.EnvKeys, "k7:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32)))
	f := signInFlags{links: multiFlag{"alice:support-T-1/approval/call_1:2"}}
	a, err := f.auth(":8090")
	require.NoError(t, err)
	assert.Equal(t, "k7", a.Keys.Current(), "the ring comes from the environment")
	assert.False(t, a.DemoLogin, "no demo login unless asked for")
	var out bytes.Buffer
	require.NoError(t, f.printLinks(&out, a, ":8090"))
	assert.Contains(t, out.String(), "review link for alice on support-T-1/approval/call_1: http://localhost:8090/review/link?token=h1.k7.")
	assert.Equal(t, "review links only: pass -link reviewer:workflow-id, or -oidc-issuer", f.describe())

	require.Error(t, signInFlags{links: multiFlag{"alice"}}.printLinks(&out, a, ":8090"))
	require.Error(t, signInFlags{links: multiFlag{"alice:doc:two"}}.printLinks(&out, a, ":8090"))
	t.Setenv(hitlhttp.EnvKeys, "broken")
	_, err = f.auth(":8090")
	require.ErrorIs(t, err, hitlhttp.ErrInvalidKeyRing)
}

func TestOIDCFlagsSendBrowsersToTheProvider(t *testing.T) {
	iss := oidcauthtest.Start(t)
	t.Setenv(hitlhttp.EnvKeys, "")
	t.Setenv("OIDC_CLIENT_SECRET", iss.ClientSecret)
	f := signInFlags{issuer: iss.URL(), clientID: iss.ClientID, public: "https://reviews.example.com/"}
	a, err := f.auth(":8090")
	require.NoError(t, err)
	assert.Equal(t, "https://reviews.example.com/review/signin/callback", a.OIDC.RedirectURL)
	require.NotNil(t, a.Keys, "a random ring when none is configured")
	h, err := supportagent.ReviewHandler(context.Background(), &mocks.Client{}, a)
	require.NoError(t, err)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/review/signin", nil))
	require.Equal(t, http.StatusFound, w.Code)
	loc := w.Header().Get("Location")
	assert.True(t, strings.HasPrefix(loc, iss.URL()+"/authorize?"), loc)
	assert.Contains(t, loc, "code_challenge_method=S256")

	f.demo = true
	a, err = f.auth(":8090")
	require.NoError(t, err)
	_, err = supportagent.ReviewHandler(context.Background(), &mocks.Client{}, a)
	require.Error(t, err, "OIDC and the demo login do not mix")
}
