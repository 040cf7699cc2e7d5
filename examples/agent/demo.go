package supportagent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
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
	// Name is the reviewer.
	Name string
	// Links, when set, signs Name in with a signed review link for the
	// refund's review (minted with the handler's key ring), as a reviewer
	// who follows the link in a notification would.
	Links *hitlhttp.Links
	// Token, when set and Links is not, is an OpenID Connect bearer token
	// sent on every API call (the handler's ReviewAuth.OIDC verifies it).
	// With neither, the calls carry no credentials and are refused.
	Token string
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
// TaskQueue, and r must carry credentials the handler accepts (Links with
// the handler's key ring, or Token for its OIDC provider).
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
	api, err := signIn(ctx, strings.TrimRight(reviewURL, "/"), r, res.Review)
	if err != nil {
		return res, err
	}
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
	base, token string
	hc          *http.Client
}

// signIn returns an API client for r on review: with r.Links it redeems a
// signed link for the review (POST {base}/link) and keeps the session
// cookie; with r.Token it sends the bearer token.
func signIn(ctx context.Context, base string, r Reviewer, review string) (*reviewAPI, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	api := &reviewAPI{base: base, hc: &http.Client{Jar: jar}}
	if r.Links == nil {
		api.token = r.Token
		return api, nil
	}
	tok, err := r.Links.Token(hitlhttp.Link{Reviewer: r.Name, Review: review})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/link", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := api.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("supportagent: open review link: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("supportagent: review link for %s on %s refused: %s: %s", r.Name, review, resp.Status, strings.TrimSpace(string(body)))
	}
	return api, nil
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
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
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
