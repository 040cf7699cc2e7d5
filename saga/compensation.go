package saga

import (
	"reflect"
	"runtime"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// Compensation is what undoes one step: an activity with its arguments
// ([Activity]) or a function run in workflow code ([Func]).
//
// The zero Compensation undoes nothing: pass it to [Step] for a step that has
// nothing to undo (a read, a notification). A Compensation is an immutable
// value; its methods return modified copies.
type Compensation struct {
	label    string
	activity any
	args     []any
	fn       func(ctx workflow.Context) error
	opts     *workflow.ActivityOptions
	before   bool
}

// Activity returns a Compensation that executes activity with args.
// activity is an activity function or its registered name (a string), as for
// [workflow.ExecuteActivity]. args are recorded now, so they must be the
// values the undo needs (an order ID, a payment ID), not pointers to state that
// changes later.
func Activity(activity any, args ...any) Compensation {
	return Compensation{label: activityName(activity), activity: activity, args: append([]any(nil), args...)}
}

// Func returns a Compensation that calls fn in workflow code. fn receives a
// disconnected context (see the package documentation) whose default activity
// options are the saga's compensation options, so it may execute activities,
// child workflows or timers; it must be deterministic like any workflow code.
func Func(fn func(ctx workflow.Context) error) Compensation {
	return Compensation{label: "func", fn: fn}
}

// WithOptions returns c with its own activity options, used instead of
// [Options.ActivityOptions] for this compensation. The same defaulting
// applies: no timeouts means [CompensationOptions]; an empty Summary becomes
// "undo <step>".
func (c Compensation) WithOptions(opts workflow.ActivityOptions) Compensation {
	c.opts = &opts
	return c
}

// BeforeStep returns c marked to be registered before [Step] runs its
// activity rather than after it succeeds. Use it for steps whose outcome can be
// ambiguous: a charge that timed out after the request was sent may have
// happened. The compensation then runs even when the step failed, so it must
// tolerate undoing something that never happened (refund by order ID: "no
// charge found" is success).
func (c Compensation) BeforeStep() Compensation {
	c.before = true
	return c
}

// IsZero reports whether c undoes nothing.
func (c Compensation) IsZero() bool { return c.activity == nil && c.fn == nil }

// activityName returns the name the SDK registers activity under by default,
// for the ledger only: a string as is, a function's or method's short name.
func activityName(activity any) string {
	switch a := activity.(type) {
	case nil:
		return ""
	case string:
		return a
	}
	v := reflect.ValueOf(activity)
	if v.Kind() != reflect.Func {
		return v.Type().String()
	}
	fn := runtime.FuncForPC(v.Pointer())
	if fn == nil {
		return "activity"
	}
	name := fn.Name()
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSuffix(name, "-fm")
}
