package idem_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
)

// A resumable paid effect, as an LLM provider's background generation: the
// body starts a generation, records its id with idem.SetPending, and waits
// for it; an attempt that takes the key over resumes the id instead of
// buying a second generation.

// envKillChild makes the test binary a worker process that the test kills
// (its value is a killConfig in JSON).
const envKillChild = "IDEM_TEST_KILL_CHILD"

// childPrefix starts the lines the worker process reports on stdout.
const childPrefix = "idem-child: "

// killHeartbeat is the activity's HeartbeatTimeout, and so the lease.
const killHeartbeat = 2 * time.Second

// killConfig is what the worker process needs to join the test.
type killConfig struct {
	HostPort, Namespace, TaskQueue string
	// Dir holds the provider's generation log and, without DSN, the FileStore.
	Dir string
	// DSN and Table select a PostgresStore instead.
	DSN, Table string
}

// Prompt asks for a generation.
type Prompt struct{ Text string }

// Answer is a finished generation.
type Answer struct {
	ResponseID string
	Text       string
	Resumed    bool
}

// background is the pending marker: the provider's id of the generation.
type background struct {
	ResponseID string `json:"response_id"`
}

// createGeneration is the paid call: it logs a new generation in dir, as a
// provider's bill would, and returns its id.
func createGeneration(dir string) (string, error) {
	f, err := os.OpenFile(filepath.Join(dir, "generations.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	id := fmt.Sprintf("resp_%d_%d", os.Getpid(), time.Now().UnixNano())
	_, err = fmt.Fprintln(f, id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return id, err
}

func generations(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "generations.log"))
	require.NoError(t, err)
	return strings.Fields(string(b))
}

// generate is the activity body; wait stands for waiting on the generation.
func generate(dir string, wait func(ctx context.Context, id string)) func(context.Context, Prompt) (Answer, error) {
	return func(ctx context.Context, p Prompt) (Answer, error) {
		bg, ok, err := idem.Pending[background](ctx)
		if err != nil {
			return Answer{}, err
		}
		if ok { // a previous attempt started it: resume, do not buy again
			return Answer{ResponseID: bg.ResponseID, Text: "answer to " + p.Text, Resumed: true}, nil
		}
		id, err := createGeneration(dir)
		if err != nil {
			return Answer{}, err
		}
		if err := idem.SetPending(ctx, background{ResponseID: id}); err != nil {
			return Answer{}, err
		}
		wait(ctx, id)
		return Answer{ResponseID: id, Text: "answer to " + p.Text}, nil
	}
}

// GenerateWorkflow runs "Generate" with a heartbeat timeout.
func GenerateWorkflow(ctx workflow.Context, p Prompt) (Answer, error) {
	return durable.Execute[Answer](ctx, "Generate", p, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:       killHeartbeat,
		RetryPolicy:            durable.RetryPolicy(100*time.Millisecond, time.Second, 10),
	})
}

// openStore opens the store of cfg.
func openStore(t *testing.T, cfg killConfig) idem.Store {
	if cfg.DSN == "" {
		s, err := idem.NewFileStore(filepath.Join(cfg.Dir, "idem"))
		require.NoError(t, err)
		return s
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, cfg.DSN)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s, err := idem.NewPostgresStore(ctx, pool, idem.WithTable(cfg.Table), idem.WithoutMigration())
	require.NoError(t, err)
	return s
}

// announcer reports every renewal of the worker process's lease.
type announcer struct{ idem.Store }

func (a announcer) Renew(ctx context.Context, key, owner string, lease, ttl time.Duration) error {
	err := a.Store.Renew(ctx, key, owner, lease, ttl)
	if err == nil {
		fmt.Println(childPrefix + "renewed")
	}
	return err
}

// runKillChild is the worker process: it reports each attempt it starts,
// holds the key from the generation on, and never finishes; the test
// kills it with SIGKILL.
func runKillChild(t *testing.T, raw string) {
	var cfg killConfig
	require.NoError(t, json.Unmarshal([]byte(raw), &cfg))
	c, err := client.Dial(client.Options{HostPort: cfg.HostPort, Namespace: cfg.Namespace, Logger: durabletest.Logger()})
	require.NoError(t, err)
	held := make(chan struct{}) // never closed
	wrapped := idem.Wrap(announcer{openStore(t, cfg)}, generate(cfg.Dir, func(_ context.Context, id string) {
		fmt.Println(childPrefix + "holding " + id)
		<-held
	}))
	w := worker.New(c, cfg.TaskQueue, worker.Options{StickyScheduleToStartTimeout: time.Second})
	w.RegisterWorkflow(GenerateWorkflow)
	w.RegisterActivityWithOptions(func(ctx context.Context, p Prompt) (Answer, error) {
		info := activity.GetInfo(ctx)
		fmt.Printf("%sattempt %d %s\n", childPrefix, info.Attempt, info.Deadline.Format(time.RFC3339Nano))
		return wrapped(ctx, p)
	}, activity.RegisterOptions{Name: "Generate"})
	require.NoError(t, w.Start())
	fmt.Println(childPrefix + "ready")
	<-held
}
