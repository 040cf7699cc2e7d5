// Command worker runs the support agent's worker and serves the reviewer
// pages where refunds are approved, edited or rejected.
//
//	go run ./agent/worker -data /tmp/support-agent -http :8091 -link lead:support-T-1/approval/call_1   (from examples/)
//
// TEMPORAL_ADDRESS and the other TEMPORAL_* variables choose the server
// (a local `temporal server start-dev` by default); OPENAI_API_KEY,
// OPENAI_BASE_URL and OPENAI_MODEL choose the model (the offline model when
// neither is set). Reviewers sign in with OpenID Connect (-oidc-issuer,
// -oidc-client-id, OIDC_CLIENT_SECRET; register
// {-public-url}/review/signin/callback as its redirect URL; API clients
// send the provider's ID token as a bearer token) or through signed review
// links (-link reviewer:workflow-id prints one). Sessions and links are
// signed with HITL_SIGNING_KEYS (a random key that dies with the process
// when unset). -demo-login instead lets anyone act as any reviewer (login
// page or X-Reviewer header): for demos only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	supportagent "github.com/durable-llm/durable-llm/examples/agent"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/idemlinks"
	"github.com/durable-llm/durable-llm/llm"
)

func main() {
	data := flag.String("data", supportagent.DefaultDataDir(), "directory of the shop, idempotency records and messages")
	addr := flag.String("http", ":8091", "address of the reviewer pages (empty: none)")
	queue := flag.String("task-queue", supportagent.TaskQueue, "task queue to poll")
	var sf signInFlags
	sf.register(flag.CommandLine)
	flag.Parse()
	if err := run(*data, *addr, *queue, sf); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(data, addr, queue string, sf signInFlags) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts, err := durable.LoadClientOptions()
	if err != nil {
		return err
	}
	c, err := durable.DialOptions(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := hitl.RegisterSearchAttributes(ctx, c, opts.Namespace); err != nil {
		slog.Warn("the review list needs the HITL* search attributes", "error", err)
	}

	llmCfg := llm.FromEnv()
	fmt.Println(llmCfg.Describe())
	w, err := supportagent.NewWorker(supportagent.Config{Dir: data, LLM: llmCfg})
	if err != nil {
		return err
	}
	wk := worker.New(c, queue, worker.Options{})
	w.Register(wk)
	if err := wk.Start(); err != nil {
		return err
	}
	defer wk.Stop()
	fmt.Printf("worker polling task queue %q; shop, idempotency records and messages in %s\n", queue, data)
	if addr == "" {
		<-ctx.Done()
		return nil
	}
	auth, err := sf.auth(addr)
	if err != nil {
		return err
	}
	auth.Links = idemlinks.New(w.Idem) // every worker's pages refuse a link another already opened
	h, err := supportagent.ReviewHandler(ctx, c, auth)
	if err != nil {
		return err
	}
	if err := sf.printLinks(os.Stdout, auth, addr); err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("reviewer pages on %s/ (%s)\n", sf.publicURL(addr), sf.describe())
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve %s: %w", addr, err)
		}
	case <-ctx.Done():
	}
	return nil
}
