package hitlhttp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// Mount the reviewer pages and API under /review for a demo: HeaderAuth
// and the demo login let anyone act as any reviewer.
func ExampleNew() {
	serve := func(c client.Client) error {
		h, err := hitlhttp.New(c, hitlhttp.Options{
			Auth:      hitlhttp.HeaderAuth{},
			Prefix:    "/review",
			Filter:    "WorkflowType = 'DocReview'",
			DemoLogin: true,
		})
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/review/", h)
		return http.ListenAndServe("127.0.0.1:8080", mux)
	}
	_ = serve
}

// In production: sessions and review links signed with a key ring from the
// environment, and an authenticator that verifies real identities (see
// package oidcauth for OpenID Connect).
func ExampleNew_production() {
	serve := func(c client.Client, auth hitlhttp.Authenticator, signIn hitlhttp.SignIn) error {
		ring, err := hitlhttp.KeyRingFromEnv() // HITL_SIGNING_KEYS="k2:base64,k1:base64"
		if err != nil {
			return err
		}
		h, err := hitlhttp.New(c, hitlhttp.Options{Auth: auth, SignIn: signIn, Keys: ring, Prefix: "/review"})
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/review/", h)
		return http.ListenAndServeTLS(":8443", "cert.pem", "key.pem", mux)
	}
	_ = serve
}

// Mint a review link for a notification: it signs alice in for one
// review, version 2 only, for the default 72 hours, once.
func ExampleLinks_URL() {
	ring, err := hitlhttp.RandomKeyRing("k1") // use KeyRingFromEnv where the handler runs elsewhere
	if err != nil {
		log.Fatal(err)
	}
	links := hitlhttp.Links{Keys: ring, BaseURL: "https://reviews.example.com/review"}
	u, err := links.URL(hitlhttp.Link{Reviewer: "alice", Review: "docapproval-launch-memo", Version: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.SplitAfter(u, "token=")[0])
	// Output: https://reviews.example.com/review/link?token=
}

// Let auditors read every review, and reviewers the ones they take part in.
func ExampleAccessFunc() {
	access := hitlhttp.AccessFunc(func(reviewer string, rv hitlhttp.ReviewInfo) bool {
		return reviewer == "auditor@example.com" || hitlhttp.Participants.CanRead(reviewer, rv)
	})
	rv := hitlhttp.ReviewInfo{WorkflowID: "doc-1", Status: hitl.Status{Participants: []string{"alice"}}}
	fmt.Println(access.CanRead("auditor@example.com", rv), access.CanRead("alice", rv), access.CanRead("mallory", rv))
	// Output: true true false
}

// Use your own identity: here, the user an authenticating proxy verified.
func ExampleAuthenticatorFunc() {
	auth := hitlhttp.AuthenticatorFunc(func(r *http.Request) (string, error) {
		if u := r.Header.Get("X-Forwarded-User"); u != "" {
			return u, nil
		}
		return "", hitlhttp.ErrUnauthenticated
	})
	r := httptest.NewRequest(http.MethodGet, "/api/reviews", nil)
	r.Header.Set("X-Forwarded-User", "carol")
	who, err := auth.Reviewer(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(who)
	// Output: carol
}

// How refusals map to HTTP status codes.
func ExampleStatus() {
	for _, typ := range []string{hitl.ErrTypeStaleVersion, hitl.ErrTypeUnauthorized, hitl.ErrTypeEmptyEdit} {
		code, _ := hitlhttp.Status(&hitl.DecisionError{Type: typ})
		fmt.Println(typ, code)
	}
	code, typ := hitlhttp.Status(fmt.Errorf("lookup: %w", hitl.ErrNotFound))
	fmt.Println(typ, code)
	code, typ = hitlhttp.Status(errors.New("connection refused"))
	fmt.Println(typ, code)
	// Output:
	// HITLStaleVersion 409
	// HITLUnauthorized 403
	// HITLEmptyEdit 422
	// NotFound 404
	// Internal 500
}

// Show the revision being written live and let reviewers stop or redirect
// it. The review workflow hosts a stream (stream.New) and its Revise
// activity streams the model's answer into topic "draft"
// (llm.Request.StreamTopic); Steer forwards the buttons to the workflow,
// here to llm's steering update.
func ExampleOptions_live() {
	serve := func(c client.Client, ring *hitlhttp.KeyRing, steer func(ctx context.Context, workflowID, by string, redirect bool, message string) error) error {
		h, err := hitlhttp.New(c, hitlhttp.Options{
			Keys: ring, Prefix: "/review",
			Live: &hitlhttp.Live{Topics: []string{"draft"}},
			Steer: func(ctx context.Context, s hitlhttp.Steering) error {
				return steer(ctx, s.Review, s.Reviewer, s.Action == hitlhttp.SteerRedirect, s.Message)
			},
		})
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/review/", h)
		return http.ListenAndServe("127.0.0.1:8080", mux)
	}
	_ = serve
}

// The policy of a page that shows a revision being written adds only the
// handler's own script and event stream to the strict one.
func ExampleContentSecurityPolicyLive() {
	fmt.Println(strings.TrimPrefix(hitlhttp.ContentSecurityPolicyLive, hitlhttp.ContentSecurityPolicy))
	// Output: ; script-src 'self'; connect-src 'self'
}
