package supportagent

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth/oidcauthtest"
)

var record = flag.Bool("record", false, "record testdata/*.json from the dev server (TestRecordHistory)")

// startDemo runs a worker and the reviewer pages on the dev server, with
// sign-in through a local OpenID Connect issuer and signed review links
// (no demo login), and returns what RunDemo needs.
func startDemo(t *testing.T) (*Worker, *durabletest.Worker, *oidcauthtest.Issuer, hitlhttp.Links) {
	t.Helper()
	srv := durabletest.Server(t)
	w := newTestWorker(t)
	dw := durabletest.StartWorker(t, srv, w.Register)
	iss := oidcauthtest.Start(t)
	ring, err := hitlhttp.RandomKeyRing("test")
	require.NoError(t, err)
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err = ReviewHandler(ctx, srv.Client(), ReviewAuth{Keys: ring, OIDC: oidcauth.Config{
		Issuer: iss.URL(), ClientID: oidcauthtest.ClientID, ClientSecret: oidcauthtest.ClientSecret,
		RedirectURL: ts.URL + ReviewPrefix + "/signin/callback",
	}})
	require.NoError(t, err)
	return w, dw, iss, hitlhttp.Links{Keys: ring, BaseURL: ts.URL + ReviewPrefix}
}

// TestIntegrationDemo: on a real dev server, a reviewer signed in by a
// signed review link edits the refund through the hitlhttp API and
// approves it; the edited refund runs once, the email goes out once.
func TestIntegrationDemo(t *testing.T) {
	w, dw, _, links := startDemo(t)
	reviewURL := links.BaseURL
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := durabletest.Server(t).Client()

	res, err := runTicket(ctx, c, dw.TaskQueue, reviewURL, w.Backend, Ticket{ID: "it-" + uuid.NewString()[:8], Text: ticketText},
		Reviewer{Name: "lead", Links: &links, Edit: `{"amount_cents": 2500}`})
	require.NoError(t, err)
	assert.Equal(t, agent.StopAnswered, res.Result.Stop)
	assert.Contains(t, res.Proposed, `"amount_cents": 4999`, "the model asked for the full amount")
	assert.Contains(t, res.Approved, `"amount_cents": 2500`)
	assert.Equal(t, 1, res.Refunds)
	assert.Equal(t, int64(2500), res.RefundedCents)
	assert.Equal(t, 1, res.Emails)
	assert.Equal(t, agent.ApprovalID(res.WorkflowID, res.Result.Calls[1].ID), res.Review)

	res, err = runTicket(ctx, c, dw.TaskQueue, reviewURL, w.Backend, Ticket{ID: "it-" + uuid.NewString()[:8], Text: ticketText},
		Reviewer{Name: "lead", Links: &links, Reject: "send a replacement instead"})
	require.NoError(t, err)
	assert.Zero(t, res.Refunds)
	assert.Equal(t, 1, res.Emails)
	assert.Contains(t, res.Result.Answer, "denied by lead: send a replacement instead")

	_, err = runTicket(ctx, c, dw.TaskQueue, reviewURL, w.Backend, Ticket{ID: "it-" + uuid.NewString()[:8], Text: ticketText},
		Reviewer{Name: "mallory", Links: &links})
	require.ErrorContains(t, err, "review link for mallory", "a link for a reviewer the review does not name is refused")
	assert.ErrorContains(t, err, "refused")
}

// TestRecordHistory records the history TestReplay replays. Re-record
// after an intended change to the workflow:
//
//	DURABLE_INTEGRATION=1 go test ./agent -run TestRecordHistory -record   (from examples/)
func TestRecordHistory(t *testing.T) {
	if !*record {
		t.Skip("re-record testdata/*.json with: go test ./agent -run TestRecordHistory -record (from examples/)")
	}
	w, dw, _, links := startDemo(t)
	reviewURL := links.BaseURL
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := durabletest.Server(t).Client()
	res, err := runTicket(ctx, c, dw.TaskQueue, reviewURL, w.Backend, Ticket{ID: "replay", Text: ticketText}, Reviewer{Name: "lead", Links: &links, Edit: `{"amount_cents": 2500}`})
	require.NoError(t, err)
	require.Equal(t, replayed["approval.json"], res.Review, "update replayed with the review's ID")
	require.NoError(t, durabletest.SaveHistory(ctx, c, res.WorkflowID, res.RunID, filepath.Join("testdata", "edited_refund.json")))
	require.NoError(t, durabletest.SaveHistory(ctx, c, res.Review, "", filepath.Join("testdata", "approval.json")))
}

// replayed maps each recorded history to the workflow ID it ran under.
// The agent's child reviews are named after its workflow ID
// (agent.ApprovalID), so its history replays only under that ID; a
// replayer's default ID ("ReplayId") would name another child.
var replayed = map[string]string{
	"edited_refund.json": "support-replay",
	"approval.json":      "support-replay/approval/call_offline_83b31adf2e87461ceb59",
}

// TestReplay replays the recorded histories (the agent and its approval
// review) against the current workflow code.
func TestReplay(t *testing.T) {
	durabletest.ReplayWith(t, "testdata", durabletest.ReplayOptions{WorkflowIDs: replayed},
		func(r worker.WorkflowReplayer) { RegisterWorkflows(r) })
}
