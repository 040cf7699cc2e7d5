package oidcauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// DefaultClaim is the claim that names the reviewer when [Config.Claim] is
// empty.
const DefaultClaim = "email"

// ErrInvalidToken is matched (errors.Is) by every refusal of a token: bad
// signature, unknown key, wrong issuer or audience, expired, unsigned,
// malformed, or without the reviewer claim. Those errors also match
// hitlhttp.ErrUnauthenticated, so the handler answers 401.
var ErrInvalidToken = errors.New("oidcauth: invalid token")

// ErrTokenExpired is matched by the refusal of an expired token; it also
// matches [ErrInvalidToken].
var ErrTokenExpired = fmt.Errorf("%w: expired: sign in again", ErrInvalidToken)

// ErrConfig is matched by the errors [New] returns for an unusable
// [Config] or an unreachable provider.
var ErrConfig = errors.New("oidcauth: configuration")

// Config configures [New].
type Config struct {
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document (Issuer + "/.well-known/openid-configuration") and the
	// tokens' iss claim say. Required.
	Issuer string
	// ClientID is this application's OAuth client at the provider: the
	// audience of its ID tokens and the client of the browser sign-in.
	// Required unless Audiences is set.
	ClientID string
	// Audiences lists further accepted audiences, such as the API audience
	// of JWT access tokens (RFC 9068). A token is accepted when its aud
	// claim holds ClientID or one of these.
	Audiences []string
	// Claim names the claim whose string value is the reviewer; empty means
	// [DefaultClaim]. With "email", a token whose email_verified is false
	// is refused. Use a claim the provider controls (email, sub,
	// preferred_username), never one users can edit freely.
	Claim string
	// Algorithms limits the signing algorithms accepted; nil means those
	// the provider advertises (RS256 when it advertises none). "none" is
	// never accepted.
	Algorithms []string
	// HTTPClient fetches the discovery document and the keys and exchanges
	// codes; nil means a client with a 10-second timeout.
	HTTPClient *http.Client

	// ClientSecret authenticates the browser sign-in's code exchange
	// (empty for a public client; PKCE is always used).
	ClientSecret string
	// RedirectURL is the absolute address of the handler's
	// {prefix}/signin/callback, registered at the provider. Empty means no
	// browser sign-in: [Provider.Login] returns nil.
	RedirectURL string
	// Scopes are requested by the browser sign-in; nil means openid, email
	// and profile.
	Scopes []string
}

// Provider verifies the tokens of one OpenID Connect provider. It
// implements hitlhttp.Authenticator over "Authorization: Bearer <JWT>"
// (an ID token or a JWT access token), and [Provider.Login] gives the
// browser sign-in. The provider's keys are fetched on first use and again
// whenever a token names a key id not seen yet, so key rotation needs no
// restart. A Provider is safe for concurrent use.
type Provider struct {
	cfg      Config
	client   *http.Client
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
}

// New discovers the provider at cfg.Issuer and returns its verifier. ctx
// bounds the discovery request only.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Issuer == "" {
		return nil, fmt.Errorf("%w: Issuer is required (the provider's issuer URL)", ErrConfig)
	}
	if cfg.ClientID == "" && len(cfg.Audiences) == 0 {
		return nil, fmt.Errorf("%w: set ClientID (ID tokens) or Audiences (access tokens): a token for any audience must not be accepted", ErrConfig)
	}
	if cfg.RedirectURL != "" && cfg.ClientID == "" {
		return nil, fmt.Errorf("%w: the browser sign-in (RedirectURL) needs ClientID", ErrConfig)
	}
	if slices.Contains(cfg.Algorithms, "none") {
		return nil, fmt.Errorf("%w: the \"none\" algorithm cannot be accepted", ErrConfig)
	}
	if cfg.Claim == "" {
		cfg.Claim = DefaultClaim
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	pctx := oidc.ClientContext(ctx, client)
	prov, err := oidc.NewProvider(pctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discover %s: %w", ErrConfig, cfg.Issuer, err)
	}
	keysCtx := oidc.ClientContext(context.WithoutCancel(ctx), client)
	p := &Provider{
		cfg:    cfg,
		client: client,
		verifier: prov.VerifierContext(keysCtx, &oidc.Config{
			SkipClientIDCheck:    true, // checked against ClientID and Audiences below
			SupportedSigningAlgs: cfg.Algorithms,
		}),
	}
	if cfg.RedirectURL != "" {
		p.oauth = &oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Endpoint: prov.Endpoint(), RedirectURL: cfg.RedirectURL, Scopes: cfg.Scopes,
		}
	}
	return p, nil
}

// Reviewer implements hitlhttp.Authenticator: it verifies the bearer token
// of r. A request without one gets hitlhttp.ErrUnauthenticated; a bad
// token an error matching [ErrInvalidToken] too.
func (p *Provider) Reviewer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", hitlhttp.ErrUnauthenticated
	}
	scheme, raw, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return "", refuse(errors.New("the Authorization header must be \"Bearer <token>\""))
	}
	return p.Verify(r.Context(), strings.TrimSpace(raw))
}

// Verify checks raw (a JWT: signature against the provider's keys, issuer,
// audience, expiry) and returns the reviewer its claim names.
func (p *Provider) Verify(ctx context.Context, raw string) (string, error) {
	tok, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return "", fmt.Errorf("%w: %w (at %s)", hitlhttp.ErrUnauthenticated, ErrTokenExpired, expired.Expiry.UTC().Format(time.RFC3339))
		}
		return "", refuse(err)
	}
	if !p.audienceOK(tok.Audience) {
		return "", refuse(fmt.Errorf("audience %q is not this application's (want %s)", tok.Audience, p.wantAudience()))
	}
	return p.reviewer(tok)
}

func (p *Provider) audienceOK(aud []string) bool {
	for _, a := range aud {
		if (a != "" && a == p.cfg.ClientID) || slices.Contains(p.cfg.Audiences, a) {
			return true
		}
	}
	return false
}

func (p *Provider) wantAudience() string {
	want := p.cfg.Audiences
	if p.cfg.ClientID != "" {
		want = append([]string{p.cfg.ClientID}, want...)
	}
	return strings.Join(want, " or ")
}

// reviewer maps the configured claim of a verified token to the reviewer.
func (p *Provider) reviewer(tok *oidc.IDToken) (string, error) {
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return "", refuse(err)
	}
	who, _ := claims[p.cfg.Claim].(string)
	if strings.TrimSpace(who) == "" {
		return "", refuse(fmt.Errorf("no string %q claim to name the reviewer: set Config.Claim to one the provider sends (sub, email, preferred_username)", p.cfg.Claim))
	}
	if p.cfg.Claim == "email" {
		if v, ok := claims["email_verified"]; ok && (v == false || v == "false") {
			return "", refuse(fmt.Errorf("the email %q is not verified by the provider", who))
		}
	}
	return strings.TrimSpace(who), nil
}

func refuse(err error) error {
	return fmt.Errorf("%w: %w: %w", hitlhttp.ErrUnauthenticated, ErrInvalidToken, err)
}
