// Command worker is the chaos harness's worker process: one process that
// polls the task queues of the three examples (docapproval, research and
// ordersaga), with the LLM pointed at the harness's fake OpenAI server and
// every piece of state in files under -data, so that a process started
// after a SIGKILL sees the idempotency records, approved documents and
// payments of the one that died.
//
//	go run ./chaos/worker -address 127.0.0.1:7233 -llm-url http://127.0.0.1:9999/v1/ -data /tmp/chaos -api background
//
// -api picks the llm API of the calls (llm.API: "background", the
// default, resumes a generation after a kill; "chat" and "responses" buy
// it again). -attempts names a file to which the worker appends one JSON
// line per activity attempt it starts (chaos.AttemptLog), which the
// harness reads to explain the stall after a kill.
//
// It prints "ready" on stdout once every worker polls. The harness in
// package chaos builds and runs it; it is not meant for production.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/harness/chaos"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

func main() {
	address := flag.String("address", "127.0.0.1:7233", "Temporal frontend host:port")
	namespace := flag.String("namespace", "default", "Temporal namespace")
	llmURL := flag.String("llm-url", "", "base URL of the OpenAI-compatible server (required)")
	data := flag.String("data", "chaos-data", "directory shared by every worker process of the harness")
	identity := flag.String("identity", "", "worker identity (default: chaos-<pid>)")
	lease := flag.Duration("lease", 10*time.Second, "cap on idempotency claim leases, so a call cut by a kill is retried soon")
	api := flag.String("api", string(llm.APIResponsesBackground), `llm API of the calls: "background", "responses" or "chat"`)
	attempts := flag.String("attempts", "", "file to append a JSON line to for every activity attempt (none when empty)")
	flag.Parse()
	if *llmURL == "" {
		fmt.Fprintln(os.Stderr, "chaos worker: -llm-url is required")
		os.Exit(2)
	}
	if *identity == "" {
		*identity = fmt.Sprintf("chaos-%d", os.Getpid())
	}
	if err := run(*address, *namespace, *llmURL, *data, *identity, *lease, llm.API(*api), *attempts); err != nil {
		fmt.Fprintln(os.Stderr, "chaos worker:", err)
		os.Exit(1)
	}
}

// pollInterval is how often a background generation is polled: the fake
// provider generates in well under a second.
const pollInterval = 100 * time.Millisecond

func run(address, namespace, llmURL, data, identity string, lease time.Duration, api llm.API, attempts string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c, err := durable.DialOptions(ctx, client.Options{HostPort: address, Namespace: namespace, Identity: identity})
	if err != nil {
		return err
	}
	defer c.Close()

	models := map[string]llm.Model{"test": {ID: "test", BaseURL: llmURL, APIKey: "test", API: api}}

	// Document approval: the example's own idem store under data/docapproval/idem,
	// with leases capped.
	docDir := filepath.Join(data, "docapproval")
	docIdem, err := idem.NewFileStore(filepath.Join(docDir, "idem"))
	if err != nil {
		return err
	}
	docActs, err := docapproval.NewActivities(docapproval.Config{
		Dir: docDir,
		LLM: llm.Config{Models: models, PollInterval: pollInterval},
		// Idem is shared by every process through the file store.
		Idem: leaseCap{Store: docIdem, max: lease},
	})
	if err != nil {
		return err
	}

	// Research: the completion activity made idempotent with a shared store,
	// which the example's worker leaves to its configuration.
	resIdem, err := idem.NewFileStore(filepath.Join(data, "research", "idem"))
	if err != nil {
		return err
	}
	resLLM, err := llm.NewActivities(llm.Config{Models: models, PollInterval: pollInterval, Store: leaseCap{Store: resIdem, max: lease}})
	if err != nil {
		return err
	}
	resActs := &research.Activities{OutDir: filepath.Join(data, "research", "reports")}

	// Order saga: the file backend.
	backend, err := ordersaga.OpenBackend(ctx, filepath.Join(data, "ordersaga"), "")
	if err != nil {
		return err
	}
	defer backend.Close()
	orderActs, err := ordersaga.NewActivities(backend.Store, backend.Keys)
	if err != nil {
		return err
	}

	opts := worker.Options{Identity: identity}
	if attempts != "" {
		log, err := chaos.NewAttemptLog(attempts, identity)
		if err != nil {
			return err
		}
		defer func() { _ = log.Close() }()
		opts.Interceptors = []interceptor.WorkerInterceptor{log}
	}
	wd := worker.New(c, docapproval.TaskQueue, opts)
	docapproval.Register(wd, docActs)
	wr := worker.New(c, research.TaskQueue, opts)
	research.Register(wr, resActs)
	resLLM.Register(wr)
	wo := worker.New(c, ordersaga.TaskQueue, opts)
	ordersaga.Register(wo, orderActs)
	for _, w := range []worker.Worker{wd, wr, wo} {
		if err := w.Start(); err != nil {
			return err
		}
		defer w.Stop()
	}
	fmt.Println("ready")
	<-ctx.Done()
	return nil
}

// leaseCap is an idem.Store whose claims hold at most max. The examples
// claim for the attempt's whole start-to-close timeout (minutes for an LLM
// call), so a worker killed during a call would stall the retry that long;
// the fake LLM server answers in well under a second, so a short lease is
// safe here. Do not do this with a real provider.
type leaseCap struct {
	idem.Store
	max time.Duration
}

// Claim caps req.Lease and claims.
func (l leaseCap) Claim(ctx context.Context, req idem.ClaimRequest) (idem.Claim, error) {
	if l.max > 0 && req.Lease > l.max {
		req.Lease = l.max
	}
	return l.Store.Claim(ctx, req)
}
