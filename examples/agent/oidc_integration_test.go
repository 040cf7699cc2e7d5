package supportagent

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
)

// TestIntegrationOIDCReview: the refund's review refuses a request without
// credentials (API 401, page sent to sign in, no demo login) and accepts a
// reviewer signed in through the local OpenID Connect issuer, who approves
// the refund through the API with a bearer token; the refund runs once.
func TestIntegrationOIDCReview(t *testing.T) {
	w, dw, iss, links := startDemo(t)
	base := links.BaseURL
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := durabletest.Server(t).Client()
	const lead = "lead@example.com"

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "support-oidc-" + uuid.NewString()[:8], TaskQueue: dw.TaskQueue},
		WorkflowName, Ticket{ID: "oidc", Text: ticketText, Reviewers: []string{lead}})
	require.NoError(t, err)
	review, err := waitReview(ctx, c, run.GetID())
	require.NoError(t, err)

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status := func(u string, header http.Header) (int, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	code, _ := status(base+"/api/reviews/"+url.PathEscape(review), nil)
	assert.Equal(t, http.StatusUnauthorized, code, "the API refuses a request without credentials")
	code, _ = status(base+"/api/reviews/"+url.PathEscape(review), http.Header{"X-Reviewer": {lead}})
	assert.Equal(t, http.StatusUnauthorized, code, "the X-Reviewer header counts for nothing without -demo-login")
	code, loc := status(base+"/reviews/"+url.PathEscape(review), nil)
	assert.Equal(t, http.StatusSeeOther, code, "the page sends a browser without a session to sign in")
	assert.Contains(t, loc, ReviewPrefix+"/signin")
	code, _ = status(base+"/login", nil)
	assert.Equal(t, http.StatusNotFound, code, "no demo login unless asked for")

	other, err := signIn(ctx, base, Reviewer{Name: "mallory", Token: iss.Sign(iss.Claims("mallory@example.com", oidcauthtest.ClientID))}, review)
	require.NoError(t, err)
	_, err = other.get(ctx, review)
	require.ErrorContains(t, err, "404", "a signed-in reviewer the review does not name cannot see it")

	api, err := signIn(ctx, base, Reviewer{Name: lead, Token: iss.Sign(iss.Claims(lead, oidcauthtest.ClientID))}, review)
	require.NoError(t, err)
	rv, err := api.get(ctx, review)
	require.NoError(t, err)
	assert.Contains(t, rv.Draft, `"amount_cents": 4999`)
	rc, err := api.decide(ctx, review, hitl.Decision{Action: hitl.ActionApprove, Version: rv.Status.Version, Comment: "approved over OIDC"})
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseApproved, rc.Phase)

	res := DemoResult{WorkflowID: run.GetID(), RunID: run.GetRunID(), Review: review}
	require.NoError(t, run.Get(ctx, &res.Result))
	require.NoError(t, res.ledger(w.Backend))
	assert.Equal(t, agent.StopAnswered, res.Result.Stop)
	assert.Equal(t, 1, res.Refunds)
	assert.Equal(t, int64(4999), res.RefundedCents)
	assert.Equal(t, 1, res.Emails)
}
