package hitlhttp

import (
	"errors"
	"net/http"
	"strings"
)

// ErrUnauthenticated is returned by an [Authenticator] that finds no
// identity; the handler answers 401.
var ErrUnauthenticated = errors.New("hitlhttp: no reviewer identity: sign in")

// Authenticator tells who the reviewer behind a request is. The identity it
// returns is the Decision.Reviewer the workflow authorizes against its
// stages; the request body cannot override it.
//
// Implement it over your session store, or over the verified identity
// header of an authenticating proxy. It must be safe for concurrent use.
type Authenticator interface {
	Reviewer(r *http.Request) (string, error)
}

// AuthenticatorFunc adapts a function to [Authenticator].
type AuthenticatorFunc func(r *http.Request) (string, error)

// Reviewer implements [Authenticator].
func (f AuthenticatorFunc) Reviewer(r *http.Request) (string, error) { return f(r) }

// SignIn is an interactive browser sign-in through an identity provider,
// such as the OpenID Connect authorization-code flow of package
// [github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth]. The handler
// serves it at {prefix}/signin and {prefix}/signin/callback and turns the
// verified reviewer into a session cookie signed with [Options.Keys].
// Implementations must be safe for concurrent use.
type SignIn interface {
	// Begin starts a sign-in: it answers r, usually with a redirect to the
	// identity provider. next is the local page to return to afterwards.
	Begin(w http.ResponseWriter, r *http.Request, next string)
	// Complete finishes the sign-in on the callback request r and returns
	// the verified reviewer and the next page Begin was given. It must
	// refuse a callback that does not belong to a Begin of the same
	// browser (state and nonce), with an error.
	Complete(w http.ResponseWriter, r *http.Request) (reviewer, next string, err error)
}

// DefaultHeader is the header [HeaderAuth] reads by default.
const DefaultHeader = "X-Reviewer"

// DemoCookie is the cookie the demo login page ([Options.DemoLogin]) sets
// and [HeaderAuth] reads when the header is absent.
const DemoCookie = "hitl_reviewer"

// HeaderAuth takes the reviewer from a request header (X-Reviewer by
// default), or else from the [DemoCookie] cookie that the demo login page
// sets for browsers.
//
// NOT FOR PRODUCTION: any client can claim any identity by setting the
// header or the cookie. Use it for demos and tests only. Its zero value is
// ready to use.
type HeaderAuth struct {
	// Header names the header; empty means [DefaultHeader].
	Header string
}

// Reviewer implements [Authenticator].
func (a HeaderAuth) Reviewer(r *http.Request) (string, error) {
	h := a.Header
	if h == "" {
		h = DefaultHeader
	}
	if v := strings.TrimSpace(r.Header.Get(h)); v != "" {
		return v, nil
	}
	if c, err := r.Cookie(DemoCookie); err == nil && strings.TrimSpace(c.Value) != "" {
		return strings.TrimSpace(c.Value), nil
	}
	return "", ErrUnauthenticated
}
