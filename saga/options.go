package saga

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
)

// Options configures a [Saga]. The zero value is ready to use: compensations
// run one at a time in reverse order, a failing compensation does not stop the
// others, and compensation activities use [CompensationOptions].
type Options struct {
	// Parallel starts every compensation at once instead of one at a time in
	// reverse order. Use it only when the compensations do not depend on each
	// other (releasing stock does not need the refund to have happened).
	Parallel bool

	// StopOnError stops at the first failing compensation and leaves the
	// remaining ones undone (marked [StatusSkipped] in the ledger and listed in
	// [Error.Skipped]). The default, false, runs every compensation even when
	// an earlier one failed: a failed refund should not keep stock reserved.
	// StopOnError has no effect with Parallel, where all compensations have
	// already started when one fails.
	StopOnError bool

	// ActivityOptions are the options of compensation activities that do not
	// carry their own (see [Compensation.WithOptions]), and the default
	// activity options on the context a [Func] compensation receives. When it
	// sets neither StartToCloseTimeout nor ScheduleToCloseTimeout,
	// [CompensationOptions] is used. An empty Summary becomes "undo <step>".
	ActivityOptions workflow.ActivityOptions
}

// CompensationOptions is the default preset for compensation activities. An
// undo must outlast the outage that made the saga fail, so it is generous:
// 1 min per attempt, retried for up to 24 h, up to 300 attempts from 1 s
// backoff up to 5 min. Every retry field is set (see [durable.RetryPolicy]).
// summary is the text the Web UI shows for the activity.
func CompensationOptions(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            durable.RetryPolicy(time.Second, 5*time.Minute, 300),
		Summary:                summary,
	}
}

// activityOptions picks the options for the compensation of step name: its
// own, else the saga's, else the preset.
func activityOptions(own *workflow.ActivityOptions, sagaOpts workflow.ActivityOptions, name string) workflow.ActivityOptions {
	opts := sagaOpts
	if own != nil {
		opts = *own
	}
	if opts.StartToCloseTimeout == 0 && opts.ScheduleToCloseTimeout == 0 {
		opts = CompensationOptions(opts.Summary)
	}
	if opts.Summary == "" {
		opts.Summary = "undo " + name
	}
	return opts
}
