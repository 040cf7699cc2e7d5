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
	"github.com/durable-llm/durable-llm/llm"
)

// ReviewFilter is the visibility filter that lists only this example's
// reviews on the hitlhttp page.
const ReviewFilter = "WorkflowType = '" + WorkflowName + "'"

// LoadDraft renders a [Document] (the raw JSON of the hitl draft query) for
// the hitlhttp page: its Markdown text (the page shows each version's
// model, tokens and cost from the review's history: Document implements
// hitl.Generated). A draft stored by reference shows its head and its key;
// [DraftLoader] reads its full text. It is a hitlhttp.Options.LoadDraft.
func LoadDraft(ctx context.Context, workflowID string, raw json.RawMessage) (string, error) {
	return DraftLoader(nil)(ctx, workflowID, raw)
}

// DraftLoader is [LoadDraft] that reads drafts stored by reference from
// drafts (nil: shows their head only).
func DraftLoader(drafts Drafts) func(ctx context.Context, workflowID string, raw json.RawMessage) (string, error) {
	return func(ctx context.Context, _ string, raw json.RawMessage) (string, error) {
		var d Document
		if err := json.Unmarshal(raw, &d); err != nil {
			return "", fmt.Errorf("docapproval: the draft is not a Document: %w", err)
		}
		var b strings.Builder
		if d.Ref != nil && drafts == nil {
			fmt.Fprintf(&b, "%s\n\n[%d bytes in the draft store under %s; these pages were started without it]", d.Ref.Head, d.Ref.Size, d.Ref.Key)
			return b.String(), nil
		}
		text, err := LoadText(ctx, drafts, d)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
		return b.String(), nil
	}
}

// ReviewAuth says how reviewers sign in to the review pages, and where the
// pages read long drafts. With none of OIDC and DemoLogin set, review links
// are the only way in.
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
	// Drafts is where the pages read drafts stored by reference: the
	// workers' store ([Activities.Drafts]). Nil shows their head only.
	Drafts Drafts
	// Links records which review links were used, so each opens once on
	// every replica of the pages that shares it, e.g.
	// idemlinks.New(acts.Idem()). Nil means in memory, per process.
	Links hitlhttp.LinkStore
}

// ReviewHandler returns the hitlhttp reviewer pages and JSON API for this
// example's reviews, mounted at the root, signing reviewers in as auth
// says. The pages render the Markdown drafts, show what changed between
// versions, follow a version while the model writes it (its text as it is
// written when the workers stream it, [Config.Live]; else the page says it
// is being written and shows it when it lands) and offer the reviewers who
// may decide buttons to stop or redirect it ([Steer]). ctx bounds the OIDC
// discovery. tune, when given, adjusts the options last.
func ReviewHandler(ctx context.Context, c client.Client, auth ReviewAuth, tune ...func(*hitlhttp.Options)) (*hitlhttp.Handler, error) {
	opts := hitlhttp.Options{Keys: auth.Keys, DemoLogin: auth.DemoLogin, Filter: ReviewFilter, LoadDraft: DraftLoader(auth.Drafts), LinkStore: auth.Links,
		Live:  &hitlhttp.Live{Topics: []string{StreamTopic}},
		Steer: func(ctx context.Context, s hitlhttp.Steering) error { return Steer(ctx, c, s) }}
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
	for _, f := range tune {
		f(&opts)
	}
	return hitlhttp.New(c, opts)
}

// Steer forwards a stop or redirect from the review pages to the review's
// workflow (the llm.UpdateSteer update, as llm.Steer sends it) and returns
// once the model call has stopped and recorded what it had written. A stop
// leaves the review on the version being revised (a stopped first draft
// becomes version 1 as written so far); a redirect asks again with the
// reviewer's message added to the instructions. A review with nothing
// being written any more (the version landed meanwhile) is refused with
// an error matching hitlhttp.ErrNotRevising; with s.Version set, the steer
// names the revision of that version ([CallLabel]), so it is refused too
// when a later revision has started since the page checked. It is client code, and the
// hitlhttp.Options.Steer of [ReviewHandler], which lets only the
// reviewers who may decide in the current stage steer.
func Steer(ctx context.Context, c client.Client, s hitlhttp.Steering) error {
	req := llm.SteerRequest{Action: llm.SteerAction(s.Action), By: s.Reviewer}
	if s.Version > 0 {
		req.Call = CallLabel(s.Version + 1) // the revision of the version the page checked, not a later one
	}
	if s.Action == hitlhttp.SteerRedirect {
		req.Message = s.Message
	} else {
		req.Reason = s.Message // a stop carries no message for the model
	}
	_, err := llm.Steer(ctx, c, s.Review, req)
	if llm.IsNotSteerable(err) {
		return fmt.Errorf("%w: %w", hitlhttp.ErrNotRevising, err)
	}
	return err
}
