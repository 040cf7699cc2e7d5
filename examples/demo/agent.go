package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	supportagent "github.com/durable-llm/durable-llm/examples/agent"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/llm"
)

// agentTicket is the demo's support ticket; it names the tools, so the
// offline model calls them.
const agentTicket = "Order A-1001 arrived broken. Please lookup order A-1001, issue refund for it and send email to the customer."

// runAgent is step 4: the support agent's worker and the hitlhttp reviewer
// API on a local port; a scripted reviewer halves the refund through the
// API and approves it. It returns the summary line.
func runAgent(ctx context.Context, c client.Client, dir string, llmCfg llm.Config, w io.Writer) (summary, error) {
	sw, err := supportagent.NewWorker(supportagent.Config{Dir: dir, LLM: llmCfg})
	if err != nil {
		return summary{}, err
	}
	wk := worker.New(c, supportagent.TaskQueue, worker.Options{})
	sw.Register(wk)
	if err := wk.Start(); err != nil {
		return summary{}, fmt.Errorf("start worker on %s: %w", supportagent.TaskQueue, err)
	}
	defer wk.Stop()

	ring, err := hitlhttp.RandomKeyRing("demo")
	if err != nil {
		return summary{}, err
	}
	h, err := supportagent.ReviewHandler(ctx, c, supportagent.ReviewAuth{Keys: ring}) // signed links only, no demo login
	if err != nil {
		return summary{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return summary{}, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer func() { _ = hs.Close() }()
	reviewURL := "http://" + ln.Addr().String() + supportagent.ReviewPrefix

	res, err := supportagent.RunDemo(ctx, c, reviewURL, sw.Backend,
		supportagent.Ticket{ID: "A-1001-broken", Text: agentTicket},
		supportagent.Reviewer{Name: "lead", Links: &hitlhttp.Links{Keys: ring, BaseURL: reviewURL}, Edit: `{"amount_cents": 2500}`})
	if err != nil {
		return summary{}, err
	}
	var tools []string
	for _, call := range res.Result.Calls {
		tools = append(tools, fmt.Sprintf("%s (%s: %s)", call.Tool, call.Policy, call.Outcome))
	}
	fmt.Fprintf(w, "      %s: %s after %d turns; calls: %s\n", res.WorkflowID, res.Result.Stop, res.Result.Turns, strings.Join(tools, ", "))
	fmt.Fprintf(w, "      review %s via hitlhttp (signed in by a signed review link): lead edited the refund to 2500 cents and approved it\n", res.Review)
	fmt.Fprintf(w, "      refunds %d (%d cents), emails %d; shop ledger in %s\n", res.Refunds, res.RefundedCents, res.Emails, rel(filepath.Join(dir, "shop")))
	return summary{"agent", res.WorkflowID, fmt.Sprintf("%s; refunded %d cents once, %d email", res.Result.Stop, res.RefundedCents, res.Emails)}, nil
}
