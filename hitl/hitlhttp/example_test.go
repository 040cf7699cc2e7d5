package hitlhttp_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// Mount the reviewer pages and API under /review. HeaderAuth and the demo
// login are for demos only.
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
