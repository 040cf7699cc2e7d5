package oidcauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
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

// flowTTL bounds the time between Begin and the callback.
const flowTTL = 10 * time.Minute

// Login is the browser sign-in of a [Provider]: the OpenID Connect
// authorization-code flow with PKCE, state and nonce. It implements
// hitlhttp.SignIn; the handler turns its result into a signed session.
// Safe for concurrent use.
type Login struct{ p *Provider }

// Login returns the browser sign-in for hitlhttp.Options.SignIn, or nil
// when Config.RedirectURL is empty.
func (p *Provider) Login() hitlhttp.SignIn {
	if p.oauth == nil {
		return nil
	}
	return &Login{p: p}
}

// flow is what the browser keeps between Begin and Complete, in an
// HttpOnly cookie it alone can send back.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

// cookieName is __Host- prefixed over HTTPS, so a sibling subdomain cannot
// plant a flow of its own.
func (l *Login) cookieName() string {
	if l.secure() {
		return "__Host-hitl_oidc"
	}
	return "hitl_oidc"
}

func (l *Login) secure() bool { return strings.HasPrefix(l.p.cfg.RedirectURL, "https://") }

func (l *Login) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: l.cookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: l.secure(), SameSite: http.SameSiteLaxMode,
	})
}

// Begin implements hitlhttp.SignIn: it redirects to the provider's
// authorization endpoint.
func (l *Login) Begin(w http.ResponseWriter, r *http.Request, next string) {
	f := flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next}
	b, err := json.Marshal(f)
	if err != nil {
		http.Error(w, "oidcauth: cannot start sign-in", http.StatusInternalServerError)
		return
	}
	l.setCookie(w, base64.RawURLEncoding.EncodeToString(b), int(flowTTL/time.Second))
	http.Redirect(w, r, l.p.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// Complete implements hitlhttp.SignIn: it checks the state against the
// browser's cookie, exchanges the code (with the PKCE verifier), verifies
// the ID token (signature, issuer, audience = ClientID, expiry, nonce)
// and returns the reviewer its claim names.
func (l *Login) Complete(w http.ResponseWriter, r *http.Request) (string, string, error) {
	c, err := r.Cookie(l.cookieName())
	if err != nil {
		return "", "", errors.New("oidcauth: no sign-in in progress in this browser (or it took over 10 minutes)")
	}
	l.setCookie(w, "", -1)
	var f flow
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" {
		return "", "", errors.New("oidcauth: unreadable sign-in cookie")
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", "", fmt.Errorf("oidcauth: the provider refused: %s %s", e, q.Get("error_description"))
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return "", "", errors.New("oidcauth: the callback's state does not match this browser's sign-in")
	}
	if q.Get("code") == "" {
		return "", "", errors.New("oidcauth: the callback carries no code")
	}
	ctx := oidc.ClientContext(r.Context(), l.p.client)
	tok, err := l.p.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return "", "", fmt.Errorf("oidcauth: exchange the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "", errors.New("oidcauth: the token response has no id_token (request the openid scope)")
	}
	idt, err := l.p.verifier.Verify(ctx, raw)
	if err != nil {
		return "", "", refuse(err)
	}
	switch {
	case !slices.Contains(idt.Audience, l.p.cfg.ClientID):
		return "", "", refuse(fmt.Errorf("the ID token is for %q, not this client", idt.Audience))
	case subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1:
		return "", "", refuse(errors.New("the ID token's nonce does not match this sign-in"))
	}
	who, err := l.p.reviewer(idt)
	return who, f.Next, err
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
