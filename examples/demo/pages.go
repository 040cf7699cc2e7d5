package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// reviewPages serves the docapproval review pages on a free local port,
// with review links as the only way in (no demo login), and returns the
// link minter and a stop function.
func reviewPages(ctx context.Context, c client.Client) (hitlhttp.Links, func(), error) {
	ring, err := hitlhttp.RandomKeyRing("demo")
	if err != nil {
		return hitlhttp.Links{}, nil, err
	}
	h, err := docapproval.ReviewHandler(ctx, c, docapproval.ReviewAuth{Keys: ring})
	if err != nil {
		return hitlhttp.Links{}, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return hitlhttp.Links{}, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "demo: review pages:", err)
		}
	}()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return hitlhttp.Links{Keys: ring, BaseURL: "http://" + ln.Addr().String()}, stop, nil
}
