package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// Attempt is one activity attempt a worker process started, as the
// [AttemptLog] of the worker wrote it. The harness reads them to explain
// the stall after a kill: when Temporal started the retry of an
// interrupted LLM call, which attempt it was, and the timeouts it ran with.
type Attempt struct {
	// Workflow is the workflow ID of the activity, ActivityID its id in
	// the workflow.
	Workflow   string `json:"workflow"`
	ActivityID string `json:"activity_id"`
	// Activity is the activity type.
	Activity string `json:"activity"`
	// Attempt is Temporal's attempt number, 1 for the first.
	Attempt int32 `json:"attempt"`
	// Started is when the server handed this attempt to the worker (the
	// server's clock, the same host as the harness).
	Started time.Time `json:"started"`
	// Received is when the worker process began running it.
	Received time.Time `json:"received"`
	// HeartbeatTimeout and the retry policy are the attempt's own.
	HeartbeatTimeout   time.Duration `json:"heartbeat_timeout"`
	InitialInterval    time.Duration `json:"initial_interval"`
	BackoffCoefficient float64       `json:"backoff_coefficient"`
	MaximumInterval    time.Duration `json:"maximum_interval"`
	// Identity is the worker process's identity.
	Identity string `json:"identity"`
	// HeartbeatSent and HeartbeatReturned are when the attempt's first
	// heartbeat was sent and when its call returned, zero when it sent
	// none: the server recorded it in between. The SDK sends the first
	// one at once and holds the next ones for a throttle interval (0.8 ×
	// HeartbeatTimeout on the harness's workers), so for an attempt killed
	// within that interval it is the last heartbeat the server received.
	HeartbeatSent     time.Time `json:"heartbeat_sent,omitzero"`
	HeartbeatReturned time.Time `json:"heartbeat_returned,omitzero"`
}

// Throttle is how long the SDK holds heartbeats after the first one on
// the harness's workers (its default: 0.8 × HeartbeatTimeout).
func (a Attempt) Throttle() time.Duration { return a.HeartbeatTimeout * 4 / 5 }

// attemptLine is one line of the attempt log: an attempt's start, or its
// first heartbeat (Attempt.HeartbeatSent and HeartbeatReturned set).
type attemptLine struct {
	Attempt
	Event string `json:"event"`
}

// Events of the attempt log.
const (
	eventStart     = "start"
	eventHeartbeat = "heartbeat"
)

// Backoff is the retry backoff Temporal waited before this attempt: 0 for
// the first, InitialInterval × BackoffCoefficient^(Attempt−2), capped at
// MaximumInterval, for a retry. A provider's retry-after or an error's
// NextRetryDelay would replace it; the interrupted calls of the harness
// have neither.
func (a Attempt) Backoff() time.Duration {
	if a.Attempt <= 1 {
		return 0
	}
	coef := max(a.BackoffCoefficient, 1)
	d := time.Duration(float64(a.InitialInterval) * math.Pow(coef, float64(a.Attempt-2)))
	if a.MaximumInterval > 0 && d > a.MaximumInterval {
		d = a.MaximumInterval
	}
	return d
}

// AttemptLog is a worker interceptor that appends, as JSON lines, an
// [Attempt] to a file for every activity attempt the worker starts, and
// the time its first heartbeat returned. Every worker process of a harness
// appends to the same file; each line is one write, so lines of different
// processes do not mix.
type AttemptLog struct {
	interceptor.WorkerInterceptorBase
	identity string
	mu       sync.Mutex
	f        *os.File
}

// NewAttemptLog opens (creating it when missing) the log at path for a
// worker of the given identity. Close it when the worker stops.
func NewAttemptLog(path, identity string) (*AttemptLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &AttemptLog{identity: identity, f: f}, nil
}

// Close closes the file.
func (l *AttemptLog) Close() error { return l.f.Close() }

// InterceptActivity logs the attempt (the SDK calls it for each one).
func (l *AttemptLog) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &attemptInterceptor{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, log: l}
}

// attemptInterceptor logs one attempt: its start, and its first heartbeat.
type attemptInterceptor struct {
	interceptor.ActivityInboundInterceptorBase
	log  *AttemptLog
	rec  Attempt
	once sync.Once
}

// Init puts the heartbeat logger on the attempt's outbound calls.
func (a *attemptInterceptor) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return a.Next.Init(&heartbeatInterceptor{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}, a: a})
}

// ExecuteActivity writes the attempt, then runs it. A failed write loses
// the line, never the attempt.
func (a *attemptInterceptor) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	a.rec = Attempt{
		Workflow: info.WorkflowExecution.ID, ActivityID: info.ActivityID, Activity: info.ActivityType.Name, Attempt: info.Attempt,
		Started: info.StartedTime, Received: time.Now(), HeartbeatTimeout: info.HeartbeatTimeout, Identity: a.log.identity,
	}
	if p := info.RetryPolicy; p != nil {
		a.rec.InitialInterval, a.rec.BackoffCoefficient, a.rec.MaximumInterval = p.InitialInterval, p.BackoffCoefficient, p.MaximumInterval
	}
	a.log.write(attemptLine{Attempt: a.rec, Event: eventStart})
	return a.Next.ExecuteActivity(ctx, in)
}

// heartbeatInterceptor logs when an attempt's first heartbeat returned:
// the SDK sends that one before RecordHeartbeat returns.
type heartbeatInterceptor struct {
	interceptor.ActivityOutboundInterceptorBase
	a *attemptInterceptor
}

// RecordHeartbeat heartbeats, and logs the first heartbeat of the attempt.
func (h *heartbeatInterceptor) RecordHeartbeat(ctx context.Context, details ...any) {
	sent := time.Now()
	h.Next.RecordHeartbeat(ctx, details...)
	h.a.once.Do(func() {
		rec := h.a.rec
		rec.HeartbeatSent, rec.HeartbeatReturned = sent, time.Now()
		h.a.log.write(attemptLine{Attempt: rec, Event: eventHeartbeat})
	})
}

func (l *AttemptLog) write(line attemptLine) {
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.f.Write(append(b, '\n'))
}

// readAttempts reads the attempt log at path, each attempt with its first
// heartbeat; a missing file is no attempts, and a line a kill cut short is
// skipped.
func readAttempts(path string) ([]Attempt, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	type key struct {
		workflow, activity string
		attempt            int32
	}
	var out []Attempt
	first := map[key]Attempt{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l attemptLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch l.Event {
		case eventStart:
			out = append(out, l.Attempt)
		case eventHeartbeat:
			first[key{l.Workflow, l.ActivityID, l.Attempt.Attempt}] = l.Attempt
		}
	}
	for i := range out {
		hb := first[key{out[i].Workflow, out[i].ActivityID, out[i].Attempt}]
		out[i].HeartbeatSent, out[i].HeartbeatReturned = hb.HeartbeatSent, hb.HeartbeatReturned
	}
	return out, sc.Err()
}
