package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// Defaults of [Config] and the fake provider's timing.
const (
	// DefaultBatch is how many runs of each flow share one batch.
	DefaultBatch = 5
	// DefaultKillsPerBatch is how many times a batch's worker is killed.
	DefaultKillsPerBatch = 2
	// DefaultMaxKillDelay bounds the seeded delay between a kill point's
	// LLM request and the kill.
	DefaultMaxKillDelay = 500 * time.Millisecond
	// DefaultRunTimeout bounds one run of a flow, kills included.
	DefaultRunTimeout = 4 * time.Minute
	// LLMQueueDelay is how long the fake LLM server keeps a request before
	// its generation starts (a background response waits "queued").
	LLMQueueDelay = 50 * time.Millisecond
	// LLMGenerationTime is how long a generation takes on the fake LLM
	// server, word by word, so that kills land during generations: the
	// provider finishes and bills a generation whatever happens to the
	// worker that asked for it.
	LLMGenerationTime = 400 * time.Millisecond
	// DefaultAPI is the llm API of the worker processes: background
	// Responses, whose generations a retry resumes instead of buying again.
	DefaultAPI = llm.APIResponsesBackground
	// OrderAttemptTimeout is the order saga's per-step attempt timeout in
	// the harness: a step cut by a kill is retried after it.
	OrderAttemptTimeout = 2 * time.Second
	// chaosSKU is the product every harness order reserves.
	chaosSKU = "chaos-part"
)

// ErrWorkerExited is returned by [Harness.StartWorker] when the worker
// process ends before it says it is ready; its log is in the harness
// directory.
var ErrWorkerExited = errors.New("chaos: worker exited before it was ready: read its log in the harness directory")

// BuildWorker compiles the harness worker (./chaos/worker of module root
// moduleDir) into dir and returns the binary's path.
func BuildWorker(ctx context.Context, moduleDir, dir string) (string, error) {
	bin := filepath.Join(dir, "chaosworker")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./chaos/worker")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("chaos: go build ./chaos/worker: %w\n%s", err, out)
	}
	return bin, nil
}

// Harness owns a dev server kept in a SQLite file, a fake LLM server and
// worker processes that all share one data directory.
type Harness struct {
	dir, bin, data, db string
	llm                *llmtest.Handler
	llmURL             string
	stopLLM            func(context.Context) error

	mu    sync.Mutex
	srv   *durable.DevServer
	n     int     // worker processes started, for their log names
	api   llm.API // of the workers started next
	kills []time.Time
	ready []time.Time // when each worker process said it polls
}

// New starts the fake LLM server and a dev server whose state is in
// dir/temporal.db, for worker binary bin. Close stops both.
func New(ctx context.Context, bin, dir string) (*Harness, error) {
	h := &Harness{dir: dir, bin: bin, data: filepath.Join(dir, "data"), db: filepath.Join(dir, "temporal.db"), api: DefaultAPI}
	h.llm = llmtest.NewHandler()
	h.llm.SetDefault(func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Delay: LLMQueueDelay, GenerationTime: LLMGenerationTime}
	})
	var err error
	if h.llmURL, h.stopLLM, err = llmtest.Listen("127.0.0.1:0", h.llm); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(h.data, "ordersaga"), 0o755); err != nil {
		return nil, err
	}
	st, err := ordersaga.NewFileStore(filepath.Join(h.data, "ordersaga"))
	if err != nil {
		return nil, err
	}
	if err := st.EnsureStock(ctx, map[string]int{chaosSKU: 1 << 30}); err != nil {
		return nil, err
	}
	if h.srv, err = h.startServer(ctx, ""); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

func (h *Harness) startServer(ctx context.Context, hostPort string) (*durable.DevServer, error) {
	return durable.StartDevServer(ctx, durable.DevServerOptions{
		HostPort: hostPort, DBFile: h.db, SearchAttributes: hitl.SearchAttributes(),
	})
}

// Client is a client of the current dev server.
func (h *Harness) Client() client.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srv.Client()
}

// Billed is how many LLM answers the fake server sold so far.
func (h *Harness) Billed() int { return h.llm.Billed() }

// SetAPI sets the llm API ("chat", "responses" or "background") of the
// worker processes started after it; [DefaultAPI] until then. On "chat"
// and "responses" a kill during a generation buys it again: Run counts
// those answers ([Result.Rebought]) instead of reporting violations.
func (h *Harness) SetAPI(api llm.API) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.api = api
}

// API returns the llm API of the workers started next.
func (h *Harness) API() llm.API {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.api
}

// attemptLog is the file every worker process appends its activity
// attempts to ([AttemptLog]).
func (h *Harness) attemptLog() string { return filepath.Join(h.dir, "attempts.jsonl") }

// killedBetween returns the kills from t0 to t1, in order.
func (h *Harness) killedBetween(t0, t1 time.Time) []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Time
	for _, k := range h.kills {
		if !k.Before(t0) && !k.After(t1) {
			out = append(out, k)
		}
	}
	return out
}

// readyAfter returns when the first worker process started after t said
// it polls, zero when none did.
func (h *Harness) readyAfter(t time.Time) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.ready {
		if r.After(t) {
			return r
		}
	}
	return time.Time{}
}

// RestartServer stops the dev server and starts it again on the same
// address with the same database file.
func (h *Harness) RestartServer(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	hp := h.srv.HostPort()
	if err := h.srv.Stop(); err != nil {
		return fmt.Errorf("chaos: stop dev server: %w", err)
	}
	srv, err := h.startServer(ctx, hp)
	if err != nil {
		return fmt.Errorf("chaos: restart dev server on %s: %w", hp, err)
	}
	h.srv = srv
	return nil
}

// Close stops the dev server and the fake LLM server.
func (h *Harness) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv != nil {
		_ = h.srv.Stop()
		h.srv = nil
	}
	h.llm.Close()
	if h.stopLLM != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.stopLLM(ctx)
	}
}

// Worker is one worker process.
type Worker struct {
	h    *Harness
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartWorker starts a worker process called name and waits until it polls.
func (h *Harness) StartWorker(ctx context.Context, name string) (*Worker, error) {
	w := &Worker{h: h, name: name}
	return w, w.start(ctx)
}

func (w *Worker) start(ctx context.Context) error {
	h := w.h
	h.mu.Lock()
	h.n++
	logPath := filepath.Join(h.dir, fmt.Sprintf("worker-%s-%d.log", w.name, h.n))
	hp, api := h.srv.HostPort(), h.api
	h.mu.Unlock()
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(w.h.bin, "-address", hp, "-llm-url", h.llmURL, "-data", h.data, "-identity", w.name,
		"-api", string(api), "-attempts", h.attemptLog())
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		_ = logf.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("chaos: start worker %s: %w", w.name, err)
	}
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = logf.Close() }()
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(logf, out)
		_ = cmd.Wait()
	}()
	w.cmd, w.done = cmd, done
	select {
	case <-ready:
		h.mu.Lock()
		h.ready = append(h.ready, time.Now())
		h.mu.Unlock()
		return nil
	case <-done:
		return fmt.Errorf("%w (%s)", ErrWorkerExited, logPath)
	case <-ctx.Done():
		w.Kill()
		return ctx.Err()
	}
}

// Kill sends SIGKILL to the process and waits until it is gone. The
// harness notes the time, to measure the stall that follows.
func (w *Worker) Kill() {
	if w.cmd == nil {
		return
	}
	w.h.mu.Lock()
	w.h.kills = append(w.h.kills, time.Now())
	w.h.mu.Unlock()
	_ = w.cmd.Process.Kill()
	<-w.done
	w.cmd = nil
}

// Restart starts a new process in place of the killed one.
func (w *Worker) Restart(ctx context.Context) error {
	w.Kill()
	return w.start(ctx)
}
