package hitlhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

func TestHeaderAuth(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	_, err := hitlhttp.HeaderAuth{}.Reviewer(r)
	require.ErrorIs(t, err, hitlhttp.ErrUnauthenticated)

	r.AddCookie(&http.Cookie{Name: hitlhttp.DemoCookie, Value: "cookie-user"})
	who, err := hitlhttp.HeaderAuth{}.Reviewer(r)
	require.NoError(t, err)
	assert.Equal(t, "cookie-user", who)

	r.Header.Set("X-Reviewer", " alice ")
	who, err = hitlhttp.HeaderAuth{}.Reviewer(r)
	require.NoError(t, err)
	assert.Equal(t, "alice", who, "the header wins over the cookie")

	r.Header.Set("X-User", "bob")
	who, err = hitlhttp.HeaderAuth{Header: "X-User"}.Reviewer(r)
	require.NoError(t, err)
	assert.Equal(t, "bob", who)
}
