package supportagent

import (
	"context"
	"errors"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
)

// ReviewPrefix is the path the reviewer pages and API are served under.
const ReviewPrefix = "/review"

// ReviewFilter is the visibility filter that lists only this example's
// approvals on the reviewer pages.
const ReviewFilter = "WorkflowType = 'agent.Approval'"

// ReviewAuth says how reviewers sign in to the pages. With neither OIDC
// nor DemoLogin set, signed review links ([hitlhttp.Links] with Keys) are
// the only way in.
type ReviewAuth struct {
	// OIDC signs reviewers in with an OpenID Connect provider: bearer
	// tokens for the JSON API, the authorization-code flow for browsers
	// (set its RedirectURL to the pages' address + ReviewPrefix +
	// "/signin/callback"). An empty Issuer means none.
	OIDC oidcauth.Config
	// Keys signs sessions and review links. Nil means a random ring:
	// links and sessions then die with the process.
	Keys *hitlhttp.KeyRing
	// DemoLogin adds the demo login page and the X-Reviewer header, where
	// anyone can act as any reviewer. NOT FOR PRODUCTION: only when asked
	// for.
	DemoLogin bool
	// Links records which review links were used, so each opens once on
	// every replica of the pages that shares it, e.g.
	// idemlinks.New(w.Idem). Nil means in memory, per process.
	Links hitlhttp.LinkStore
}

// ReviewHandler serves the reviewers' pages and JSON API for the agent's
// approvals under [ReviewPrefix], listing only this example's reviews and
// signing reviewers in as auth says. ctx bounds the OIDC discovery.
func ReviewHandler(ctx context.Context, c client.Client, auth ReviewAuth) (*hitlhttp.Handler, error) {
	opts := hitlhttp.Options{Keys: auth.Keys, DemoLogin: auth.DemoLogin, Prefix: ReviewPrefix, Filter: ReviewFilter, LinkStore: auth.Links}
	if opts.Keys == nil {
		ring, err := hitlhttp.RandomKeyRing("process")
		if err != nil {
			return nil, err
		}
		opts.Keys = ring
	}
	switch {
	case auth.OIDC.Issuer != "" && auth.DemoLogin:
		return nil, errors.New("supportagent: choose OIDC sign-in or the demo login, not both")
	case auth.OIDC.Issuer != "":
		p, err := oidcauth.New(ctx, auth.OIDC)
		if err != nil {
			return nil, err
		}
		opts.Auth, opts.SignIn = p, p.Login()
	case auth.DemoLogin:
		opts.Auth = hitlhttp.HeaderAuth{}
	}
	return hitlhttp.New(c, opts)
}
