package agent

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// The crash tests run their worker in a child process (this test binary,
// started again with envChildWorker set), so that SIGKILL kills a real
// process: its connections, goroutines and memory. Everything that must
// outlive it is in a directory the processes share: the idem FileStore,
// the message store, and the shop's log of effects.

// envChildWorker makes the test binary a worker process; its value is a
// childConfig in JSON.
const envChildWorker = "AGENT_TEST_CHILD_WORKER"

// childConfig is what a worker process needs to join a test.
type childConfig struct {
	HostPort, Namespace, TaskQueue string
	// Dir is shared by the test and its worker processes.
	Dir string
	// Block names a tool whose body, after its effect, writes its marker
	// (see waitReached) and blocks: the process dies in the middle of it.
	Block string `json:",omitempty"`
	// HoldAfter names a tool whose activity is held after its body
	// returned (and idem recorded the result), before the worker reports
	// it; the marker is written then.
	HoldAfter string `json:",omitempty"`
	// Fail names a tool that refuses every call with a ToolError.
	Fail string `json:",omitempty"`
}

// effect is one line of the shop's log: what the outside world saw.
type effect struct {
	Kind string          `json:"kind"` // refund, reserve, email, undo, reconciled-<kind>
	Key  string          `json:"key"`  // the idempotency key the call ran under
	Args json.RawMessage `json:"args,omitempty"`
	PID  int             `json:"pid"`
}

// fileShop is the support backend of the worker processes: every effect
// is appended to dir/effects.log, so it is counted outside the process
// that caused it.
type fileShop struct{ cfg childConfig }

func (f fileShop) log(kind, key string, args any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return err
	}
	line, err := json.Marshal(effect{Kind: kind, Key: key, Args: b, PID: os.Getpid()})
	if err != nil {
		return err
	}
	file, err := os.OpenFile(filepath.Join(f.cfg.Dir, "effects.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err = file.Write(append(line, '\n')); err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return err
}

// readEffects reads the shop's log in dir (none yet is an empty log).
func readEffects(dir string) ([]effect, error) {
	b, err := os.ReadFile(filepath.Join(dir, "effects.log"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []effect
	for line := range strings.Lines(string(b)) {
		var e effect
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return nil, fmt.Errorf("effects.log: %q: %w", line, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// marker is the file a tool writes when it reached its crash point.
func marker(dir, tool string) string { return filepath.Join(dir, "reached-"+tool) }

// reached writes tool's marker and blocks when tool is the one to block in.
func (f fileShop) reached(ctx context.Context, tool string) error {
	if f.cfg.Block != tool {
		return nil
	}
	if err := os.WriteFile(marker(f.cfg.Dir, tool), []byte(fmt.Sprint(os.Getpid())), 0o600); err != nil {
		return err
	}
	<-ctx.Done() // the test kills this process first
	return ctx.Err()
}

// refundID names a refund after its key, so a lookup finds the same id.
func refundID(key string) string {
	h := sha256.Sum256([]byte(key))
	return "R-" + hex.EncodeToString(h[:4])
}

// take is the body of issue_refund and reserve: the money moves, keyed by
// the idempotency key like a payment API's Idempotency-Key header.
func (f fileShop) take(kind string) func(context.Context, refundArgs) (refund, error) {
	return func(ctx context.Context, in refundArgs) (refund, error) {
		tool := map[string]string{"refund": "issue_refund", "reserve": "reserve"}[kind]
		if f.cfg.Fail == tool {
			return refund{}, ToolError("%s is closed", tool)
		}
		key, _ := idem.KeyFrom(ctx)
		if err := f.log(kind, key, in); err != nil {
			return refund{}, err
		}
		if err := f.reached(ctx, tool); err != nil {
			return refund{}, err
		}
		return refund{RefundID: refundID(key), AmountCents: in.AmountCents}, nil
	}
}

// lookup reconciles a call whose worker died: it looks the effect up by
// key in the shop's log.
func (f fileShop) lookup(kind string) func(context.Context, string, refundArgs) (refund, bool, error) {
	return func(_ context.Context, key string, in refundArgs) (refund, bool, error) {
		effects, err := readEffects(f.cfg.Dir)
		if err != nil {
			return refund{}, false, err
		}
		for _, e := range effects {
			if e.Kind == kind && e.Key == key {
				return refund{RefundID: refundID(key), AmountCents: in.AmountCents}, true, f.log("reconciled-"+kind, key, in)
			}
		}
		return refund{}, false, nil
	}
}

func (f fileShop) undo(ctx context.Context, in refundArgs, out refund) error {
	key, _ := idem.KeyFrom(ctx)
	return f.log("undo", key, out)
}

func (f fileShop) email(ctx context.Context, in emailArgs) (sent, error) {
	if f.cfg.Fail == "send_email" {
		return sent{}, ToolError("mailbox full")
	}
	key, _ := idem.KeyFrom(ctx)
	if err := f.log("email", key, in); err != nil {
		return sent{}, err
	}
	return sent{Sent: true}, f.reached(ctx, "send_email")
}

func (f fileShop) emailSent(_ context.Context, key string, in emailArgs) (sent, bool, error) {
	effects, err := readEffects(f.cfg.Dir)
	if err != nil {
		return sent{}, false, err
	}
	for _, e := range effects {
		if e.Kind == "email" && e.Key == key {
			return sent{Sent: true}, true, f.log("reconciled-email", key, in)
		}
	}
	return sent{}, false, nil
}

// hold writes its marker and runs until it is cancelled, heartbeating so
// that it learns of the cancellation.
func (f fileShop) hold(ctx context.Context, in orderArgs) (string, error) {
	if err := os.WriteFile(marker(f.cfg.Dir, "hold"), nil, 0o600); err != nil {
		return "", err
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
			activity.RecordHeartbeat(ctx)
		}
	}
}

func (f fileShop) tools() []Tool {
	return []Tool{
		NewTool("lookup_order", "Look up an order by its id", func(_ context.Context, in orderArgs) (order, error) {
			return order{OrderID: in.OrderID, AmountCents: 4999, Email: "ada@example.com"}, nil
		}, ReadOnly),
		NewTool("issue_refund", "Refund an order, in cents", f.take("refund"), NeedsApproval,
			WithUndo(f.undo), WithReconcile(f.lookup("refund"))),
		NewTool("reserve", "Reserve stock for an order", f.take("reserve"), SideEffect,
			WithUndo(f.undo), WithReconcile(f.lookup("reserve"))),
		NewTool("send_email", "Email the customer", f.email, SideEffect, WithReconcile(f.emailSent)),
		NewTool("hold", "Wait for the warehouse", f.hold, ReadOnly),
	}
}

// runChildWorker is the worker process: it serves testAgent with the
// fileShop's tools and the offline model until it is killed. It prints
// "ready" once it polls.
func runChildWorker(raw string) error {
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	store, err := idem.NewFileStore(filepath.Join(cfg.Dir, "idem"))
	if err != nil {
		return err
	}
	msgs, err := NewFileMessages(filepath.Join(cfg.Dir, "messages"))
	if err != nil {
		return err
	}
	tools, err := NewTools(ToolsConfig{Store: store, Messages: msgs, InlineLimit: 64}, fileShop{cfg}.tools()...)
	if err != nil {
		return err
	}
	acts, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{"offline": llm.Offline()}, Messages: msgs})
	if err != nil {
		return err
	}
	c, err := durable.DialOptions(context.Background(), client.Options{
		HostPort: cfg.HostPort, Namespace: cfg.Namespace, Logger: durabletest.Logger(), Identity: fmt.Sprintf("agent-child-%d", os.Getpid()),
	})
	if err != nil {
		return err
	}
	wopts := worker.Options{StickyScheduleToStartTimeout: time.Second}
	if cfg.HoldAfter != "" {
		cp := durabletest.NewCrashPoint(ToolActivity(cfg.HoldAfter))
		wopts.Interceptors = []interceptor.WorkerInterceptor{cp}
		go func() {
			<-cp.Reached()
			if err := os.WriteFile(marker(cfg.Dir, cfg.HoldAfter), nil, 0o600); err != nil {
				fmt.Fprintln(os.Stderr, "agent child worker:", err)
			}
		}()
	}
	w := worker.New(c, cfg.TaskQueue, wopts)
	tools.Register(w)
	acts.Register(w)
	w.RegisterWorkflow(testAgent)
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Println("ready")
	select {} // until killed
}

// childWorker is a running worker process.
type childWorker struct{ cmd *exec.Cmd }

// startChildWorker starts a worker process for cfg on srv and waits until
// it polls. It is killed when the test ends.
func startChildWorker(t *testing.T, srv *durable.DevServer, cfg childConfig) *childWorker {
	t.Helper()
	cfg.HostPort, cfg.Namespace = srv.HostPort(), srv.Namespace()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildWorker+"="+string(raw))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &childWorker{cmd: cmd}
	t.Cleanup(c.kill)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case <-ready:
	case <-time.After(time.Minute):
		t.Fatal("the worker process did not start polling within a minute")
	}
	return c
}

// kill sends SIGKILL and reaps the process.
func (c *childWorker) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

// waitReached waits until tool wrote its marker in dir.
func waitReached(t *testing.T, dir, tool string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, err := os.Stat(marker(dir, tool))
		return err == nil
	}, 2*time.Minute, 20*time.Millisecond, "%s never reached its crash point", tool)
}

// effects returns the effects of kind in dir's log, by key.
func effects(t *testing.T, dir, kind string) map[string]int {
	t.Helper()
	all, err := readEffects(dir)
	require.NoError(t, err)
	out := map[string]int{}
	for _, e := range all {
		if e.Kind == kind {
			out[e.Key]++
		}
	}
	return out
}
