package idem_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
)

// attemptSeen is one attempt of "Generate" in the test process.
type attemptSeen struct {
	attempt int32
	at      time.Time
	err     error
}

type attemptLog struct {
	mu       sync.Mutex
	attempts []attemptSeen
	bodyAt   time.Time // when the body started (the takeover)
}

func (l *attemptLog) add(a attemptSeen) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts = append(l.attempts, a)
}

// A worker process SIGKILLed while it holds a key (a generation started and
// recorded as pending) stalls the retry for the activity's heartbeat timeout
// plus its backoff, not for a fixed lease: Wrap heartbeats and renews a lease
// as long as the heartbeat timeout, both stop with the process, and the
// first retry after the server's heartbeat timeout takes the key over (or,
// when the server saw the last heartbeat earlier than the store saw the last
// renewal, waits once for exactly the rest of the lease). The retry resumes
// the generation: one generation is bought.
func TestKilledHolderIsTakenOverAfterItsHeartbeatTimeout(t *testing.T) {
	if raw := os.Getenv(envKillChild); raw != "" {
		runKillChild(t, raw)
		return
	}
	for _, store := range []string{"file", "postgres"} {
		t.Run(store, func(t *testing.T) {
			srv := durabletest.Server(t)
			cfg := killConfig{HostPort: srv.HostPort(), Namespace: srv.Namespace(), Dir: t.TempDir(),
				TaskQueue: "idem-kill-" + store + "-" + uuid.NewString()[:8]}
			if store == "postgres" {
				pool := postgresPool(t)
				_, table := postgresTableStore(t, pool)
				cfg.DSN, cfg.Table = pool.Config().ConnString(), table
			}
			killedHolder(t, srv, cfg)
		})
	}
}

func killedHolder(t *testing.T, srv *durable.DevServer, cfg killConfig) {
	ctx := testContext(t)
	child, lines := startKillChild(t, cfg)
	expect := func(prefix string) string {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "the worker process ended early")
				if rest, found := strings.CutPrefix(l, prefix); found {
					return rest
				}
			case <-ctx.Done():
				t.Fatalf("the worker process never reported %q", prefix)
			}
		}
	}
	expect("ready")
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: cfg.TaskQueue}, GenerateWorkflow, Prompt{Text: "hello"})
	require.NoError(t, err)
	first := strings.Fields(expect("attempt "))
	require.Equal(t, "1", first[0], "the worker process runs attempt 1")
	deadline1, err := time.Parse(time.RFC3339Nano, first[1])
	require.NoError(t, err)
	bought := expect("holding ")
	for range 3 { // a heartbeat timeout of holding, kept alive by Wrap's heartbeats alone
		expect("renewed")
	}
	killedAt := time.Now()
	require.NoError(t, child.Process.Kill()) // SIGKILL: no deferred cleanup, no release
	_ = child.Wait()
	var more []string
	for l := range lines {
		more = append(more, l)
	}
	assert.NotContains(t, strings.Join(more, "\n"), "attempt ", "the live holder was never timed out")

	// This process is the restarted worker, on the same task queue and store.
	log := &attemptLog{}
	gen := generate(cfg.Dir, func(context.Context, string) {})
	wrapped := idem.Wrap(openStore(t, cfg), func(ctx context.Context, p Prompt) (Answer, error) {
		log.mu.Lock()
		log.bodyAt = time.Now()
		log.mu.Unlock()
		return gen(ctx, p)
	})
	durabletest.StartWorkerConfig(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(GenerateWorkflow)
		r.RegisterActivityWithOptions(func(ctx context.Context, p Prompt) (Answer, error) {
			a := attemptSeen{attempt: activity.GetInfo(ctx).Attempt, at: time.Now()}
			out, err := wrapped(ctx, p)
			a.err = err
			log.add(a)
			return out, err
		}, activity.RegisterOptions{Name: "Generate"})
	}, durabletest.Config{TaskQueue: cfg.TaskQueue})
	var got Answer
	require.NoError(t, run.Get(ctx, &got))

	assert.Equal(t, Answer{ResponseID: bought, Text: "answer to hello", Resumed: true}, got,
		"the retry resumed the killed worker's generation")
	assert.Equal(t, []string{bought}, generations(t, cfg.Dir), "one generation bought")

	log.mu.Lock()
	attempts, bodyAt := log.attempts, log.bodyAt
	log.mu.Unlock()
	require.NotEmpty(t, attempts)
	assert.Equal(t, int32(2), attempts[0].attempt, "attempt 1 died with the worker process")
	assert.True(t, attempts[0].at.Before(deadline1),
		"attempt 2 began before attempt 1's start-to-close deadline: the server retried on the heartbeat timeout")
	last := attempts[len(attempts)-1]
	require.NoError(t, last.err, "the last attempt took the key over")
	waits := attempts[:len(attempts)-1]
	assert.LessOrEqual(t, len(waits), 1, "at most one retry found the dead holder's lease running, and it waited out exactly the rest")
	var waited time.Duration
	for _, w := range waits {
		var ae *temporal.ApplicationError
		require.ErrorAs(t, w.err, &ae)
		require.Equal(t, idem.ErrTypeInProgress, ae.Type())
		waited = ae.NextRetryDelay()
		assert.LessOrEqual(t, waited, killHeartbeat, "the rest of a lease is at most the heartbeat timeout")
	}
	ev := lastActivityStarted(ctx, t, srv.Client(), run)
	assert.Equal(t, last.attempt, ev.GetAttempt(), "the server's last attempt is the takeover")
	if len(waits) == 0 {
		assert.Equal(t, enums.TIMEOUT_TYPE_HEARTBEAT, ev.GetLastFailure().GetTimeoutFailureInfo().GetTimeoutType(),
			"the attempt before the takeover ended on its heartbeat timeout")
	} else {
		assert.Equal(t, idem.ErrTypeInProgress, ev.GetLastFailure().GetApplicationFailureInfo().GetType())
	}
	t.Logf("SIGKILL -> first retry (attempt %d) %v, -> takeover (attempt %d, body resumed) %v; heartbeat timeout %v, backoff 100ms; retries sent back to wait on the server: %d (%v)",
		attempts[0].attempt, attempts[0].at.Sub(killedAt).Round(time.Millisecond), last.attempt, bodyAt.Sub(killedAt).Round(time.Millisecond),
		killHeartbeat, len(waits), waited.Round(time.Millisecond))
}

// lastActivityStarted returns the last ActivityTaskStarted event of run.
func lastActivityStarted(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun) *historypb.ActivityTaskStartedEventAttributes {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var last *historypb.ActivityTaskStartedEventAttributes
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			last = a
		}
	}
	require.NotNil(t, last, "no activity started")
	return last
}

// startKillChild starts the worker process and returns its stdout lines
// without childPrefix; the channel closes when the process ends.
func startKillChild(t *testing.T, cfg killConfig) (*exec.Cmd, <-chan string) {
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderIsTakenOverAfterItsHeartbeatTimeout$", "-test.count=1")
	cmd.Env = append(os.Environ(), envKillChild+"="+string(raw))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		if t.Failed() {
			t.Logf("worker process stderr:\n%s", stderr.String())
		}
	})
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), childPrefix); ok {
				lines <- l
			}
		}
	}()
	return cmd, lines
}
