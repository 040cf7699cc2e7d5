package durabletest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
)

// Worker is a worker on its own task queue and its own connection to a dev
// server. It is safe for concurrent use.
type Worker struct {
	// TaskQueue is unique to this worker (and its restarts).
	TaskQueue string

	t        testing.TB
	srv      *durable.DevServer
	register func(worker.Registry)
	cfg      Config

	mu sync.Mutex
	c  client.Client
	w  worker.Worker
}

// Config configures [StartWorkerConfig].
type Config struct {
	// Worker are the worker options.
	Worker worker.Options
	// Client, when set, adjusts the worker's client options (a codec, tracing,
	// for example durable.Encryption{Ring: r}.Apply).
	Client func(*client.Options) error
	// TaskQueue, when set, is used instead of a fresh one (to share a queue
	// between workers).
	TaskQueue string
}

// StartWorker starts a worker on a fresh task queue named after the test,
// registers what register registers, and stops it when the test ends. opts,
// when given, sets the worker options.
func StartWorker(t testing.TB, srv *durable.DevServer, register func(worker.Registry), opts ...worker.Options) *Worker {
	t.Helper()
	var cfg Config
	if len(opts) > 0 {
		cfg.Worker = opts[0]
	}
	return StartWorkerConfig(t, srv, register, cfg)
}

// StartWorkerConfig is [StartWorker] with client options and a chosen task queue.
func StartWorkerConfig(t testing.TB, srv *durable.DevServer, register func(worker.Registry), cfg Config) *Worker {
	t.Helper()
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	w := &Worker{
		TaskQueue: name + "-" + uuid.NewString()[:8],
		t:         t,
		srv:       srv,
		register:  register,
		cfg:       cfg,
	}
	if cfg.TaskQueue != "" {
		w.TaskQueue = cfg.TaskQueue
	}
	w.start()
	t.Cleanup(w.Stop)
	return w
}

func (w *Worker) start() {
	w.t.Helper()
	copts := client.Options{HostPort: w.srv.HostPort(), Namespace: w.srv.Namespace(), Logger: Logger()}
	if w.cfg.Client != nil {
		require.NoError(w.t, w.cfg.Client(&copts), "configure worker client")
	}
	c, err := client.Dial(copts)
	require.NoError(w.t, err, "dial dev server for worker")
	wopts := w.cfg.Worker
	if wopts.StickyScheduleToStartTimeout == 0 {
		// After a Kill the next workflow task would otherwise wait 5 s on the
		// dead worker's sticky queue.
		wopts.StickyScheduleToStartTimeout = time.Second
	}
	wk := worker.New(c, w.TaskQueue, wopts)
	w.register(wk)
	require.NoError(w.t, wk.Start(), "start worker")
	w.mu.Lock()
	w.c, w.w = c, wk
	w.mu.Unlock()
}

// Kill simulates a crashed worker process: it closes the worker's connection
// first, so results of activities still running are never delivered, then
// stops it. The server retries those activities after their timeouts.
func (w *Worker) Kill() {
	w.mu.Lock()
	c, wk := w.c, w.w
	w.c, w.w = nil, nil
	w.mu.Unlock()
	if wk == nil {
		return
	}
	c.Close()
	// Stop in the background: a body held at a crash point (or one that
	// ignores cancellation) would block Stop, and the worker is already cut off
	// from the server, which is all a crash means to it.
	go wk.Stop()
}

// Restart starts a new worker on the same task queue with the same
// registrations, after a [Worker.Kill] or [Worker.Stop].
func (w *Worker) Restart() {
	w.t.Helper()
	w.Kill()
	w.start()
}

// Stop stops the worker gracefully and closes its connection. It is called
// automatically when the test ends.
func (w *Worker) Stop() {
	w.mu.Lock()
	c, wk := w.c, w.w
	w.c, w.w = nil, nil
	w.mu.Unlock()
	if wk == nil {
		return
	}
	wk.Stop()
	c.Close()
}
