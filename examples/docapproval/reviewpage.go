package docapproval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
)

// ReviewFilter is the visibility filter that lists only this example's
// reviews on the hitlhttp page.
const ReviewFilter = "WorkflowType = '" + WorkflowName + "'"

// LoadDraft renders a [Document] (the raw JSON of the hitl draft query) for
// the hitlhttp page: a header line with doc_id, version, model and tokens,
// then the text. It is a hitlhttp.Options.LoadDraft.
func LoadDraft(_ context.Context, _ string, raw json.RawMessage) (string, error) {
	var d Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return "", fmt.Errorf("docapproval: the draft is not a Document: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%d · %s · model %s · %d tokens so far\n\n", d.DocID, d.Version, d.Source, d.Model, d.Usage.TotalTokens())
	b.WriteString(d.Text)
	return b.String(), nil
}

// ReviewAuth says how reviewers sign in to the review pages. With none of
// OIDC and DemoLogin set, review links are the only way in.
type ReviewAuth struct {
	// OIDC signs reviewers in with an OpenID Connect provider: bearer
	// tokens for the API, the authorization-code flow for browsers (set
	// its RedirectURL to the pages' address + "/signin/callback"). An
	// empty Issuer means none.
	OIDC oidcauth.Config
	// Keys signs sessions and review links. Nil means a random ring:
	// links and sessions then die with the process.
	Keys *hitlhttp.KeyRing
	// DemoLogin adds the demo login page and the X-Reviewer header, where
	// anyone can act as any reviewer. NOT FOR PRODUCTION: only when asked
	// for.
	DemoLogin bool
}

// ReviewHandler returns the hitlhttp reviewer pages and JSON API for this
// example's reviews, mounted at the root, signing reviewers in as auth
// says. ctx bounds the OIDC discovery.
func ReviewHandler(ctx context.Context, c client.Client, auth ReviewAuth) (*hitlhttp.Handler, error) {
	opts := hitlhttp.Options{Keys: auth.Keys, DemoLogin: auth.DemoLogin, Filter: ReviewFilter, LoadDraft: LoadDraft}
	if opts.Keys == nil {
		ring, err := hitlhttp.RandomKeyRing("process")
		if err != nil {
			return nil, err
		}
		opts.Keys = ring
	}
	switch {
	case auth.OIDC.Issuer != "":
		p, err := oidcauth.New(ctx, auth.OIDC)
		if err != nil {
			return nil, err
		}
		opts.Auth, opts.SignIn = p, p.Login()
		if auth.DemoLogin {
			return nil, errors.New("docapproval: choose OIDC sign-in or the demo login, not both")
		}
	case auth.DemoLogin:
		opts.Auth = hitlhttp.HeaderAuth{}
	}
	return hitlhttp.New(c, opts)
}
