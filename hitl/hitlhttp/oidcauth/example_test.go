package oidcauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
)

// Put the review pages behind your identity provider: bearer tokens for
// the API, the authorization-code flow for browsers, signed sessions.
func ExampleNew() {
	serve := func(ctx context.Context, c client.Client) error {
		p, err := oidcauth.New(ctx, oidcauth.Config{
			Issuer:       "https://login.example.com",
			ClientID:     "hitl-reviews",
			ClientSecret: "from-your-secret-store",
			RedirectURL:  "https://reviews.example.com/review/signin/callback",
		})
		if err != nil {
			return err
		}
		ring, err := hitlhttp.KeyRingFromEnv()
		if err != nil {
			return err
		}
		h, err := hitlhttp.New(c, hitlhttp.Options{Auth: p, SignIn: p.Login(), Keys: ring, Prefix: "/review"})
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/review/", h)
		return http.ListenAndServe(":8443", mux)
	}
	_ = serve
}

// Verify a bearer token from a local test provider.
func ExampleProvider_Reviewer() {
	iss := oidcauthtest.NewIssuer()
	defer iss.Close()
	p, err := oidcauth.New(context.Background(), oidcauth.Config{Issuer: iss.URL(), ClientID: iss.ClientID})
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/review/api/reviews", nil)
	r.Header.Set("Authorization", "Bearer "+iss.Sign(iss.Claims("alice@example.com", iss.ClientID)))
	who, err := p.Reviewer(r)
	fmt.Println(who, err)

	r.Header.Set("Authorization", "Bearer "+iss.Sign(iss.Claims("alice@example.com", "another-app")))
	_, err = p.Reviewer(r)
	code, _ := hitlhttp.Status(err)
	fmt.Println(code)
	// Output:
	// alice@example.com <nil>
	// 401
}
