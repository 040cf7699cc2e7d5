package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/idem"
)

// pickModel returns the model of this attempt and its index in names: the
// model of the pending background generation when it is one of names (the
// retry resumes it), else the one the model failures so far have moved to
// along [Request.Fallback]. Attempts lost with their worker are not model
// failures, so their retry stays on the same model.
func pickModel(names []string, failures int, pendingModel string, resuming bool) (string, int) {
	if resuming {
		for i, n := range names {
			if n == pendingModel {
				return n, i
			}
		}
	}
	i := min(max(failures, 0), len(names)-1)
	return names[i], i
}

// account books a failed attempt in its last heartbeat, which the next
// attempt reads: a classified provider failure counts against the model
// (the next attempt moves along the fallback list), and a billed one
// against [Config.MaxPaidAttempts]. When the billed failures reach that
// bound the error is returned non-retryable. A failure caused by the
// worker stopping, or by another attempt taking the call over, is not the
// model's.
func (a *Activities) account(ctx context.Context, err error, hb *heartbeat) error {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.NonRetryable() || isNonRetryableType(ae.Type()) {
		hb.end() // no attempt follows
		return err
	}
	d, _ := Details(err)
	modelFailure := d.ModelName != "" && !workerStopping(ctx) && !errors.Is(context.Cause(ctx), idem.ErrLeaseLost) &&
		(d.ResponseID == "" || d.Billed) // a resumable background generation is not a failure of its model
	var paid int
	hb.stop(func(p *Progress) {
		if modelFailure {
			p.ModelFailures++
		}
		if d.Billed {
			p.PaidFailures++
		}
		paid = p.PaidFailures
	})
	if !d.Billed || paid < a.cfg.MaxPaidAttempts {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("%s; not retried: %d attempts that may have been billed failed (llm.Config.MaxPaidAttempts is %d)",
			strings.TrimSuffix(ae.Message(), "; retryable"), paid, a.cfg.MaxPaidAttempts),
		ae.Type(), temporal.ApplicationErrorOptions{NonRetryable: true, Cause: errors.Unwrap(err), Details: []any{d}})
}

// workerStopping reports whether the attempt's worker is shutting down.
func workerStopping(ctx context.Context) bool {
	if !activity.IsActivity(ctx) {
		return false
	}
	select {
	case <-activity.GetWorkerStopChannel(ctx):
		return true
	default:
		return false
	}
}

// estimateUsage fills the token counts of an answer that came without
// usage: 4 characters a token of the prompt (with schema and tools) and of
// the answer (with its tool calls). The cost is then an estimate too.
func estimateUsage(req Request, resp *Response) {
	prompt := req.promptChars() + len(req.Schema)
	for _, t := range req.Tools {
		prompt += len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	answer := len(resp.Text)
	for _, c := range resp.ToolCalls {
		answer += len(c.Name) + len(c.Arguments)
	}
	resp.PromptTokens, resp.CompletionTokens = int64(estimateTokens(prompt)), int64(estimateTokens(answer))
}
