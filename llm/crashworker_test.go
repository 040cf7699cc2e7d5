package llm

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/idem"
)

// The crash tests run their worker in a child process (this test binary,
// started again with envChild set), so that SIGKILL kills a real process:
// its connections, its goroutines and its in-memory state.
const (
	envChild     = "LLM_TEST_CHILD_WORKER"
	envHostPort  = "LLM_TEST_HOSTPORT"
	envNamespace = "LLM_TEST_NAMESPACE"
	envQueue     = "LLM_TEST_QUEUE"
	envProvider  = "LLM_TEST_PROVIDER"
	envStore     = "LLM_TEST_STORE"
)

// crashHeartbeatTimeout is the heartbeat timeout of crashFlow: short, so a
// killed worker is noticed in seconds.
const crashHeartbeatTimeout = 3 * time.Second

// crashFlow asks "main" with "backup" as fallback, with the preset options
// but a short heartbeat timeout.
func crashFlow(ctx workflow.Context, req Request) (Response, error) {
	o := ActivityOptions("")
	o.HeartbeatTimeout = crashHeartbeatTimeout
	req.Model, req.Fallback = "main", []string{"backup"}
	return Complete(ctx, req, WithActivityOptions(o))
}

// childConfig is the llm configuration of the child worker: both models on
// the provider, in background mode, with a file store shared by the
// processes.
func childConfig(provider string, store idem.Store) Config {
	m := func(id string) Model {
		return Model{ID: id, BaseURL: provider, APIKey: "sk-test-secret-key-123456", API: APIResponsesBackground}
	}
	return Config{
		Models:            map[string]Model{"main": m(testModelID), "backup": m("backup-model")},
		DefaultModel:      "main",
		HeartbeatInterval: 250 * time.Millisecond,
		PollInterval:      50 * time.Millisecond,
		Store:             store,
	}
}

// runChildWorker is the child process: a worker for crashFlow until it is
// killed. It prints "ready" once it polls, and "recorded <duration>" each
// time it records a background generation's id.
func runChildWorker() int {
	store, err := idem.NewFileStore(os.Getenv(envStore))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	a, err := NewActivities(childConfig(os.Getenv(envProvider), store))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	a.onRecorded = func(d time.Duration) { fmt.Printf("recorded %s\n", d) }
	c, err := durable.DialOptions(context.Background(), client.Options{
		HostPort: os.Getenv(envHostPort), Namespace: os.Getenv(envNamespace), Identity: fmt.Sprintf("child-%d", os.Getpid()),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	w := worker.New(c, os.Getenv(envQueue), worker.Options{StickyScheduleToStartTimeout: time.Second})
	a.Register(w)
	w.RegisterWorkflow(crashFlow)
	if err := w.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "child worker:", err)
		return 1
	}
	fmt.Println("ready")
	select {} // until killed
}

// child is a running child worker.
type child struct {
	cmd      *exec.Cmd
	recorded chan time.Duration
}

// startChild starts a child worker on queue and waits until it polls.
func startChild(t *testing.T, srv *durable.DevServer, queue, provider, storeDir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1", envHostPort+"="+srv.HostPort(), envNamespace+"="+srv.Namespace(),
		envQueue+"="+queue, envProvider+"="+provider, envStore+"="+storeDir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, recorded: make(chan time.Duration, 16)}
	t.Cleanup(func() { c.kill() })
	ready := make(chan struct{})
	go c.read(out, ready)
	select {
	case <-ready:
	case <-time.After(time.Minute):
		t.Fatal("the child worker did not start polling within a minute")
	}
	return c
}

func (c *child) read(out io.Reader, ready chan struct{}) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "ready":
			close(ready)
		case strings.HasPrefix(line, "recorded "):
			if d, err := time.ParseDuration(strings.TrimPrefix(line, "recorded ")); err == nil {
				select {
				case c.recorded <- d:
				default:
				}
			}
		}
	}
}

// kill sends SIGKILL and reaps the process.
func (c *child) kill() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}
