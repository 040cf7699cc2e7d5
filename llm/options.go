package llm

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
)

// Defaults of [RetryPolicy], [ActivityOptions] and [CompleteJSON].
const (
	// DefaultAttempts bounds the attempts of one completion activity that
	// may have been billed (answers cut or timed out after the provider
	// accepted the request); it is the default of [Config.MaxPaidAttempts].
	DefaultAttempts = 4
	// DefaultMaxAttempts bounds all the attempts of one completion
	// activity, those the provider refused without billing (429 rate
	// limits, error statuses) included.
	DefaultMaxAttempts = 10
	// DefaultHeartbeatTimeout is the heartbeat timeout of [ActivityOptions]:
	// the retry of an attempt whose worker died starts this long after its
	// last heartbeat (plus the retry backoff), and the claim the dead
	// attempt held in [Config.Store] expires with it.
	DefaultHeartbeatTimeout = 10 * time.Second
	// DefaultMaxRepairs is how many times [CompleteJSON] re-asks after an
	// invalid answer.
	DefaultMaxRepairs = 2
)

// RetryPolicy is the retry policy of LLM activities: up to
// [DefaultMaxAttempts] attempts from 2 s backoff up to 1 min (a provider's
// retry-after overrides the backoff), and every non-retryable error type of
// this package listed, so a quota or context-length failure is never paid
// for twice. Attempts that may have been billed are bounded separately, on
// the worker, by [Config.MaxPaidAttempts]: a storm of 429s does not use up
// the paid attempts, and cut or timed-out answers stay bounded. Every field
// is set.
func RetryPolicy() *temporal.RetryPolicy {
	return durable.RetryPolicy(2*time.Second, time.Minute, DefaultMaxAttempts, NonRetryableErrorTypes()...)
}

// ActivityOptions is the preset of the completion activity: 5 min per
// attempt, 20 min in all, a [DefaultHeartbeatTimeout] heartbeat timeout
// (the activity heartbeats every [Config.HeartbeatInterval] while it waits,
// so the retry after a worker crash starts within the heartbeat timeout plus
// the backoff, seconds rather than minutes), and [RetryPolicy]. summary is
// the text the Web UI shows, for example "llm: draft v3".
func ActivityOptions(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: 20 * time.Minute,
		HeartbeatTimeout:       DefaultHeartbeatTimeout,
		RetryPolicy:            RetryPolicy(),
		Summary:                summary,
	}
}

// CallOption tweaks one [Complete] or [CompleteJSON] call.
type CallOption func(*callConfig)

type callConfig struct {
	opts       *workflow.ActivityOptions
	budget     *Budget
	maxRepairs int
	steering   *Steering
}

func newCallConfig(opts []CallOption) callConfig {
	c := callConfig{maxRepairs: DefaultMaxRepairs}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// activityOptions returns the options for req: the given ones or the preset,
// with the request's label as summary when none is set.
func (c callConfig) activityOptions(req Request) workflow.ActivityOptions {
	if c.opts == nil {
		return ActivityOptions(req.label())
	}
	o := *c.opts
	if o.Summary == "" {
		o.Summary = req.label()
	}
	return o
}

// WithActivityOptions replaces the [ActivityOptions] preset for the call. An
// empty Summary is filled from the request. Keep a HeartbeatTimeout well
// above [Config.HeartbeatInterval], and list [NonRetryableErrorTypes] in the
// retry policy.
func WithActivityOptions(o workflow.ActivityOptions) CallOption {
	return func(c *callConfig) { c.opts = &o }
}

// WithBudget charges the call to b: it is refused with
// [ErrTypeBudgetExceeded] when it could exceed b's limits, and its usage is
// added to b afterwards (see [Budget]).
func WithBudget(b *Budget) CallOption {
	return func(c *callConfig) { c.budget = b }
}

// WithMaxRepairs sets how many times [CompleteJSON] re-asks after an
// invalid answer (default [DefaultMaxRepairs]; 0 asks once).
func WithMaxRepairs(n int) CallOption {
	return func(c *callConfig) {
		if n >= 0 {
			c.maxRepairs = n
		}
	}
}
