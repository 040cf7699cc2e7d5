package docapproval

import (
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/llm"
)

// ErrTypeStopped is the application error type of a revision a reviewer
// stopped: the review stays on the version it revised (hitl records it as
// revise_failed, and the edit's update returns hitl's ReviseFailed error
// quoting it). Non-retryable: send the edit again, or another one.
const ErrTypeStopped = "DocApprovalStopped"

// IsStopped reports whether err is, or wraps, an [ErrTypeStopped]
// application error.
func IsStopped(err error) bool { return isType(err, ErrTypeStopped) }

// CallLabel is the steering label (and the activity summary) of the
// model call that writes version v: the first draft for v = 1, else the
// revision of version v-1. [Steer] names it, so a reviewer's stop reaches
// that call (or its redirects) only, never the revision after it.
func CallLabel(v int) string {
	if v <= 1 {
		return "llm: draft v1"
	}
	return fmt.Sprintf("llm: revise v%d", v)
}

// generated is the outcome of a steerable draft or revision.
type generated struct {
	// doc is the answer: whole, or what the model had written when a
	// reviewer stopped it (doc.Stopped).
	doc Document
	// interrupted is the usage of the generations redirected before doc's.
	interrupted llm.Usage
	// stop is the steer that stopped doc, nil when it was not stopped.
	stop *llm.SteerRequest
}

// callFunc runs one draft or revise activity on ctx, the redirect
// messages so far added to its input, with summary as its UI summary.
type callFunc func(ctx workflow.Context, redirects []string, summary string) (Document, error)

// generate runs call, steerable by st (llm.Steering.Run), until it is
// neither stopped nor redirected, or is stopped. A redirect cancels the
// call and runs it again with the reviewer's message added; a stop
// cancels it and returns what it had written. A call whose answer had come
// before the steer reached it keeps its whole answer (a redirect still
// asks again). The activity reports what it had written as the details of
// its cancellation (see [Activities.Draft]).
func generate(ctx workflow.Context, st *llm.Steering, label string, call callFunc) (generated, error) {
	var (
		out       generated
		redirects []string
	)
	for n := 0; ; n++ {
		summary := label
		if n > 0 {
			summary = fmt.Sprintf("%s (redirect %d)", label, n)
		}
		var doc Document
		steer, err := st.Run(ctx, summary, func(ctx workflow.Context) (llm.Usage, error) {
			var err error
			doc, err = call(ctx, redirects, summary)
			if err != nil {
				partial, _ := partialOf(err) // none: cancelled before it ran, lost with its worker, or failed
				return partial.Call, err
			}
			return doc.Call, nil
		})
		if steer == nil { // an answer, a failure, or the workflow's own cancellation
			out.doc = doc
			return out, err
		}
		finished := err == nil
		if !finished {
			// A cancelled activity whose worker died times out instead of
			// reporting; any other failure is the call's own, from before the
			// cancellation reached it.
			if !temporal.IsCanceledError(err) && !temporal.IsTimeoutError(err) {
				return out, err
			}
			doc, _ = partialOf(err) // none: cancelled before it ran, or lost with its worker
			doc.Stopped = true
		}
		if steer.Action == llm.SteerStop {
			out.doc = doc
			if !finished {
				out.stop = steer
			}
			return out, nil
		}
		out.interrupted = addUsage(out.interrupted, doc.Call)
		redirects = append(slices.Clip(redirects), steer.Message)
	}
}

// partialOf returns the [Document] a stopped activity reported with its
// cancellation (see [Activities.Draft]).
func partialOf(err error) (Document, bool) {
	var ce *temporal.CanceledError
	if !errors.As(err, &ce) || !ce.HasDetails() {
		return Document{}, false
	}
	var d Document
	if ce.Details(&d) != nil {
		return Document{}, false
	}
	return d, true
}

// stoppedError is the error of a revision a reviewer stopped.
func stoppedError(from int, g generated) error {
	why := ""
	if g.stop.Reason != "" {
		why = " (" + g.stop.Reason + ")"
	}
	u := addUsage(g.interrupted, g.doc.Call)
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"docapproval: %s stopped the revision of version %d%s after %d characters (%d tokens billed); the review stays on version %d: send an edit again",
		g.stop.By, from, why, g.doc.Size(), u.TotalTokens(), from), ErrTypeStopped, nil)
}
