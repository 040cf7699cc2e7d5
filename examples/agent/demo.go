package supportagent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
)

// Reviewer scripts the human who reviews the refund through the hitlhttp
// JSON API, as a reviewer's browser or tool would.
type Reviewer struct {
	// Name is the reviewer, sent as the X-Reviewer header (hitlhttp.HeaderAuth).
	Name string
	// Edit, when set, is a JSON object of argument fields to change before
	// approving, for example {"amount_cents": 2500}.
	Edit string
	// Reject, when set, rejects the refund with this reason instead of
	// approving it.
	Reject string
}

// DemoResult is how a demo ticket ended.
type DemoResult struct {
	WorkflowID string
	RunID      string
	// Review is the workflow ID of the refund's review.
	Review string
	// Proposed is the refund the model asked for, Approved the one that ran.
	Proposed, Approved string
	// Result is the agent's result.
	Result agent.Result
	// RefundedCents and Emails are what the shop's ledger and outbox hold
	// for the run.
	RefundedCents int64
	Refunds       int
	Emails        int
}

// RunDemo starts [SupportWorkflow] for t on [TaskQueue], reviews its refund
// through the hitlhttp API at reviewURL (for example
// "http://127.0.0.1:8090/review") as r, waits for the agent and reports
// what happened, reading the shop's ledger in b. A worker must be polling
// TaskQueue and the handler must use hitlhttp.HeaderAuth.
func RunDemo(ctx context.Context, c client.Client, reviewURL string, b *Backend, t Ticket, r Reviewer) (DemoResult, error) {
	return runTicket(ctx, c, TaskQueue, reviewURL, b, t, r)
}

func runTicket(ctx context.Context, c client.Client, queue, reviewURL string, b *Backend, t Ticket, r Reviewer) (DemoResult, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "support-" + t.ID, TaskQueue: queue}, WorkflowName, t)
	if err != nil {
		return DemoResult{}, fmt.Errorf("supportagent: start ticket %q: %w", t.ID, err)
	}
	res := DemoResult{WorkflowID: run.GetID(), RunID: run.GetRunID()}
	if res.Review, err = waitReview(ctx, c, run.GetID()); err != nil {
		return res, err
	}
	api := &reviewAPI{base: strings.TrimRight(reviewURL, "/"), reviewer: r.Name}
	rv, err := api.get(ctx, res.Review)
	if err != nil {
		return res, err
	}
	res.Proposed = rv.Draft
	version := rv.Status.Version
	switch {
	case r.Reject != "":
		_, err = api.decide(ctx, res.Review, hitl.Decision{Action: hitl.ActionReject, Version: version, Comment: r.Reject})
	default:
		if r.Edit != "" {
			rc, err := api.decide(ctx, res.Review, hitl.Decision{Action: hitl.ActionEdit, Version: version, Text: r.Edit})
			if err != nil {
				return res, err
			}
			version = rc.Version
		}
		if rv, err = api.get(ctx, res.Review); err != nil {
			return res, err
		}
		res.Approved = rv.Draft
		_, err = api.decide(ctx, res.Review, hitl.Decision{Action: hitl.ActionApprove, Version: version, Comment: "approved in the demo"})
	}
	if err != nil {
		return res, err
	}
	if err := run.Get(ctx, &res.Result); err != nil {
		return res, fmt.Errorf("supportagent: ticket %q: %w", t.ID, err)
	}
	if b != nil {
		if err := res.ledger(b); err != nil {
			return res, err
		}
	}
	return res, nil
}

// ledger counts the refunds and emails of the run's calls.
func (res *DemoResult) ledger(b *Backend) error {
	keys := map[string]bool{}
	for _, c := range res.Result.Calls {
		if c.Key != "" {
			keys[c.Key] = true
		}
	}
	refunds, err := b.Refunds()
	if err != nil {
		return err
	}
	for _, r := range refunds {
		if keys[r.Key] {
			res.Refunds++
			res.RefundedCents += r.AmountCents
		}
	}
	emails, err := b.Emails()
	if err != nil {
		return err
	}
	for _, e := range emails {
		if keys[e.Key] {
			res.Emails++
		}
	}
	return nil
}

// waitReview polls the agent's status until it has an open review.
func waitReview(ctx context.Context, c client.Client, id string) (string, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if v, err := c.QueryWorkflow(ctx, id, "", agent.QueryStatus); err == nil {
			var st agent.Status
			if v.Get(&st) == nil {
				if len(st.Reviews) > 0 {
					if hs, err := hitl.GetStatus(ctx, c, st.Reviews[0]); err == nil && hs.Phase == hitl.PhaseOpen {
						return st.Reviews[0], nil
					}
				}
				if st.Phase == agent.PhaseDone {
					return "", fmt.Errorf("supportagent: %s finished without asking for a review (stop %s)", id, st.Stop)
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("supportagent: waiting for the refund's review of %s: %w", id, ctx.Err())
		case <-tick.C:
		}
	}
}

// reviewAPI is a client of the hitlhttp JSON API.
type reviewAPI struct {
	base, reviewer string
}

func (a *reviewAPI) get(ctx context.Context, id string) (hitlhttp.Review, error) {
	var rv hitlhttp.Review
	err := a.do(ctx, http.MethodGet, "/api/reviews/"+url.PathEscape(id), nil, &rv)
	return rv, err
}

func (a *reviewAPI) decide(ctx context.Context, id string, d hitl.Decision) (hitl.Receipt, error) {
	var out struct {
		Receipt hitl.Receipt `json:"receipt"`
	}
	err := a.do(ctx, http.MethodPost, "/api/reviews/"+url.PathEscape(id)+"/decisions", d, &out)
	return out.Receipt, err
}

func (a *reviewAPI) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set(hitlhttp.DefaultHeader, a.reviewer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("supportagent: review API: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("supportagent: review API %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	return json.Unmarshal(data, out)
}
