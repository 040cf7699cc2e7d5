// Package oidcauth signs reviewers in to the hitlhttp pages and API with
// an OpenID Connect provider (Okta, Entra ID, Google, Keycloak, Dex...),
// built on github.com/coreos/go-oidc/v3. It lives in its own package so
// importers of hitlhttp who do not use it do not build it.
//
// # Overview
//
// [New] discovers the provider and returns a [Provider]:
//
//	p, err := oidcauth.New(ctx, oidcauth.Config{
//		Issuer:       "https://login.example.com",
//		ClientID:     "hitl-reviews",
//		ClientSecret: os.Getenv("OIDC_CLIENT_SECRET"),
//		RedirectURL:  "https://reviews.example.com/review/signin/callback",
//	})
//	h, err := hitlhttp.New(c, hitlhttp.Options{Auth: p, SignIn: p.Login(), Keys: ring, Prefix: "/review"})
//
// As a hitlhttp.Authenticator, the Provider verifies "Authorization:
// Bearer <JWT>" (an ID token, or a JWT access token for one of
// [Config.Audiences]): the signature against the provider's published
// keys, the issuer, the audience and the expiry; then the [Config.Claim]
// claim (email by default, refused when email_verified is false) names the
// reviewer. [Provider.Login] is the browser sign-in: the
// authorization-code flow with PKCE, state and nonce, after which hitlhttp
// opens a signed session.
//
// # Keys and rotation
//
// The provider's keys are fetched on first use and cached; a token whose
// key id is not cached makes the key set refetch once, so a rotation at
// the provider needs no restart, and a key the provider withdrew stops
// verifying at the next refetch.
//
// # Retries and errors
//
// Refused tokens return errors matching [ErrInvalidToken] (and
// [ErrTokenExpired] when expired) and hitlhttp.ErrUnauthenticated, which
// the handler answers with 401. A request without a token gets plain
// hitlhttp.ErrUnauthenticated, so a browser is sent to sign in instead.
// [New] returns errors matching [ErrConfig].
//
// # Determinism
//
// Nothing here runs in workflow code. A Provider and its Login are safe for
// concurrent use.
//
// # Testing
//
// Package oidcauthtest runs a local provider with generated RSA keys,
// rotation, an authorization endpoint that signs a chosen user in, and a
// token endpoint with PKCE.
package oidcauth
