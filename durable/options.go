package durable

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RetryPolicy returns a [temporal.RetryPolicy] with every field set explicitly,
// so the test environment and a real server apply the same policy (the test
// environment fills unset fields differently: MaximumAttempts 10, MaximumInterval
// equal to the initial interval).
//
// attempts counts the first try; 0 means unlimited (bound the activity with a
// ScheduleToCloseTimeout then). nonRetryable lists [temporal.ApplicationError]
// types that end the retries at once.
func RetryPolicy(initial, maximum time.Duration, attempts int32, nonRetryable ...string) *temporal.RetryPolicy {
	if initial <= 0 {
		initial = time.Second
	}
	if maximum < initial {
		maximum = initial
	}
	return &temporal.RetryPolicy{
		InitialInterval:        initial,
		BackoffCoefficient:     2.0,
		MaximumInterval:        maximum,
		MaximumAttempts:        attempts,
		NonRetryableErrorTypes: append([]string(nil), nonRetryable...),
	}
}

// Quick is the preset for short calls to fast services (a database write, a
// cache, a notification): 10 s per attempt, 2 min in all, 5 attempts from
// 200 ms backoff up to 10 s. summary is the single-line text the Web UI shows
// for the activity.
func Quick(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy:            RetryPolicy(200*time.Millisecond, 10*time.Second, 5),
		Summary:                summary,
	}
}

// Standard is the preset for ordinary remote calls: 1 min per attempt, 10 min in
// all, 10 attempts from 1 s backoff up to 1 min.
func Standard(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            RetryPolicy(time.Second, time.Minute, 10),
		Summary:                summary,
	}
}

// Long is the preset for long activities that heartbeat (a streamed LLM answer,
// a file render): 10 min per attempt, 1 h in all, heartbeats expected every
// 30 s, 5 attempts from 2 s backoff up to 2 min. The activity must call
// [activity.RecordHeartbeat] more often than every 30 s or it is timed out and retried.
func Long(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    10 * time.Minute,
		ScheduleToCloseTimeout: time.Hour,
		HeartbeatTimeout:       30 * time.Second,
		RetryPolicy:            RetryPolicy(2*time.Second, 2*time.Minute, 5),
		Summary:                summary,
	}
}

// Local is the preset for local activities: 5 s per attempt, 30 s in all,
// 3 attempts from 100 ms backoff up to 1 s.
func Local(summary string) workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Second,
		RetryPolicy:            RetryPolicy(100*time.Millisecond, time.Second, 3),
		Summary:                summary,
	}
}

// WithSummary returns opts with its UI summary replaced. It is a convenience for
// presets held in variables: durable.WithSummary(opts, "llm: draft v3").
func WithSummary(opts workflow.ActivityOptions, summary string) workflow.ActivityOptions {
	opts.Summary = summary
	return opts
}
