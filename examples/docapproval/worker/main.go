// Command worker runs the document-approval worker and serves the reviewer
// pages.
//
//	go run ./examples/docapproval/worker -data ./docapproval-data -http :8090
//
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the other TEMPORAL_* variables
// choose the server (a local `temporal server start-dev` by default);
// OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL choose the model (the
// offline model when neither is set).
//
// Reviewers sign in to the pages with your OpenID Connect provider
// (-oidc-issuer, -oidc-client-id, OIDC_CLIENT_SECRET; register
// {-public-url}/signin/callback as its redirect URL) or through signed
// review links (-link reviewer:workflow-id prints one). Sessions and links
// are signed with $HITL_SIGNING_KEYS ("id:base64key,..."; a random key
// when unset). -demo-login instead lets anyone act as any reviewer: for
// demos only.
//
// Reviewers who may decide can stop or redirect a version while the model
// writes it, from the pages. -live also streams the model's text to the
// review workflow so the pages show it word by word; it writes every
// draft's text to the workflow's history a second time (see the README),
// so it is off by default.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/idemlinks"
)

func main() {
	data := flag.String("data", "docapproval-data", "directory of approved documents, long drafts and LLM idempotency records (share it between workers)")
	addr := flag.String("http", ":8090", "address of the reviewer pages (empty: none)")
	queue := flag.String("task-queue", docapproval.TaskQueue, "task queue to poll")
	register := flag.Bool("register-search-attributes", true, "register the HITL* search attributes on the namespace at start")
	live := flag.Bool("live", false, "stream the model's text to the review pages as it is written (costs a second copy of every draft in workflow history)")
	var sf signInFlags
	sf.register(flag.CommandLine)
	flag.Parse()
	if err := run(*data, *addr, *queue, *register, *live, sf); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(data, addr, queue string, register, live bool, sf signInFlags) error {
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
	if register {
		if err := hitl.RegisterSearchAttributes(ctx, c, opts.Namespace); err != nil {
			slog.Warn("the review list needs the HITL* search attributes", "error", err)
		}
	}

	acts, err := docapproval.NewActivities(docapproval.Config{Dir: data, Live: live})
	if err != nil {
		return err
	}
	fmt.Println(acts.Describe())
	fmt.Println("approved documents go to", acts.Store().Dir())

	// A reviewer's stop reaches the model call within a heartbeat interval.
	w := worker.New(c, queue, acts.WorkerOptions(worker.Options{}))
	docapproval.Register(w, acts)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	fmt.Println("worker polling task queue", queue)

	if addr != "" {
		auth, err := sf.auth(addr)
		if err != nil {
			return err
		}
		auth.Drafts = acts.Drafts()
		auth.Links = idemlinks.New(acts.Idem()) // every worker's pages refuse a link another already opened
		h, err := docapproval.ReviewHandler(ctx, c, auth)
		if err != nil {
			return err
		}
		if err := sf.printLinks(os.Stdout, auth, addr); err != nil {
			return err
		}
		srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		fmt.Printf("review pages on %s (%s)\n", sf.publicURL(addr), sf.describe())
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
	<-ctx.Done()
	return nil
}

// pageURL is the browser address of the pages served on addr.
func pageURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
