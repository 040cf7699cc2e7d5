package docapproval_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// The steered generation: one piece per word, paused before the last, so
// a steer always finds the first five words generated and billed.
const (
	steeredText    = "alpha beta gamma delta epsilon zeta"
	steeredPartial = "alpha beta gamma delta epsilon "
)

// steerSetup is a review served by docapproval's workers and pages, with
// the model on s through api.
type steerSetup struct {
	c    client.Client
	ts   *httptest.Server
	acts *docapproval.Activities
	tq   string
}

func newSteerSetup(t *testing.T, s *llmtest.Server, api llm.API, live bool) *steerSetup {
	t.Helper()
	srv := durabletest.Server(t)
	cfg := viaServerConfig(s)
	m := cfg.Models["default"]
	m.API = api
	cfg.Models["default"] = m
	acts, err := docapproval.NewActivities(docapproval.Config{Dir: t.TempDir(), LLM: cfg, Live: live})
	require.NoError(t, err)
	// The worker options deliver a steer's cancellation within one
	// heartbeat interval.
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { docapproval.Register(r, acts) }, acts.WorkerOptions(worker.Options{}))
	c := srv.Client()
	h, err := docapproval.ReviewHandler(t.Context(), c, docapproval.ReviewAuth{DemoLogin: true, Drafts: acts.Drafts()})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &steerSetup{c: c, ts: ts, acts: acts, tq: w.TaskQueue}
}

// open starts a review in two stages: alice decides in the first, bob in
// the second (he may read the review before, not steer it).
func (ss *steerSetup) open(ctx context.Context, t *testing.T, docID string) string {
	t.Helper()
	id := "docapproval-steer-" + uuid.NewString()[:8]
	st, err := hitl.Open(ctx, ss.c, client.StartWorkflowOptions{ID: id, TaskQueue: ss.tq}, docapproval.WorkflowName,
		docapproval.Input{DocID: docID, Prompt: prompt, Stages: []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}, {Name: "legal", Reviewers: []string{"bob"}}}})
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)
	return id
}

// steer posts body to the page's steering API as reviewer.
func (ss *steerSetup) steer(ctx context.Context, t *testing.T, id, reviewer, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ss.ts.URL+"/api/reviews/"+id+"/steer", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(hitlhttp.DefaultHeader, reviewer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := ss.ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// page returns the review page as reviewer sees it.
func (ss *steerSetup) page(ctx context.Context, t *testing.T, id, reviewer string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ss.ts.URL+"/reviews/"+id, nil)
	require.NoError(t, err)
	req.Header.Set(hitlhttp.DefaultHeader, reviewer)
	resp, err := ss.ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return string(b)
}

// holdReply is the steered generation's reply and the function that lets
// it finish.
func holdReply(t *testing.T) (llmtest.Reply, func()) {
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	return llmtest.Reply{Content: steeredText, Hold: hold}, release
}

// waitHeld waits until generation n (from 0) is paused at its hold.
func waitHeld(t *testing.T, s *llmtest.Server, n int) llmtest.Call {
	t.Helper()
	var call llmtest.Call
	require.Eventually(t, func() bool {
		calls := s.Calls()
		if len(calls) <= n {
			return false
		}
		call = calls[n]
		return call.Held
	}, time.Minute, 10*time.Millisecond, "generation %d reaches its hold", n)
	return call
}

// canceledDocs returns the Documents the run's cancelled activities
// reported.
func canceledDocs(ctx context.Context, t *testing.T, c client.Client, id string) []docapproval.Document {
	t.Helper()
	var out []docapproval.Document
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		a := ev.GetActivityTaskCanceledEventAttributes()
		if a == nil {
			continue
		}
		var d docapproval.Document
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(a.GetDetails(), &d))
		out = append(out, d)
	}
	return out
}

// A reviewer stops a revision from the page's API while the model writes
// it: on the background Responses API the provider's response is
// cancelled (the provider stops billing at the words written), the
// partial text and the usage billed are recorded, the review stays on
// version 1 and goes on; the next version counts the stopped call.
func TestIntegrationSteerStopFromPage(t *testing.T) {
	for _, tc := range []struct {
		name string
		live bool
	}{
		{"polled", false},
		{"live", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.NewServer(t)
			held, release := holdReply(t)
			s.Enqueue(llmtest.Text("ACME TurboWidget, draft one."), held, llmtest.Text("ACME TurboWidget, safe and warranted."))
			ss := newSteerSetup(t, s, llm.APIResponsesBackground, tc.live)
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			id := ss.open(ctx, t, "doc-stop-"+tc.name)

			code, body := ss.steer(ctx, t, id, "alice", `{"action":"stop"}`)
			assert.Equal(t, http.StatusConflict, code, "nothing is being written: %s", body)
			assert.Contains(t, body, "NotRevising")
			assert.True(t, llm.IsNotSteerable(llm.Stop(ctx, ss.c, id, "alice", "")), "the workflow refuses it too, before it reaches history")

			edited := make(chan error, 1)
			go func() {
				_, err := hitl.Edit(ctx, ss.c, id, "alice", 1, "Emphasize safety.")
				edited <- err
			}()
			waitHeld(t, s, 1)
			page := ss.page(ctx, t, id, "alice")
			assert.Contains(t, page, "Version 2 is being written")
			assert.Contains(t, page, `id="stop"`, "alice may stop it")
			if tc.live {
				require.Eventually(t, func() bool {
					return strings.Contains(ss.page(ctx, t, id, "alice"), `<pre id="live-text" class="live">`+steeredPartial+`</pre>`)
				}, time.Minute, 50*time.Millisecond, "the page shows the text being written")
			} else {
				assert.NotContains(t, page, "alpha", "without Live no text reaches the workflow")
			}
			code, _ = ss.steer(ctx, t, id, "bob", `{"action":"stop"}`)
			assert.Equal(t, http.StatusForbidden, code, "only the stage's reviewers steer")

			code, body = ss.steer(ctx, t, id, "alice", `{"action":"stop","message":"off track","version":1}`)
			require.Equal(t, http.StatusOK, code, body)
			var got struct{ Steering hitlhttp.Steering }
			require.NoError(t, json.Unmarshal([]byte(body), &got))
			assert.Equal(t, hitlhttp.Steering{Review: id, Reviewer: "alice", Action: hitlhttp.SteerStop, Message: "off track", Version: 1}, got.Steering)

			// The edit that asked for the revision learns it was stopped.
			err := <-edited
			de := hitl.AsDecisionError(err)
			require.NotNil(t, de, "got %v", err)
			assert.Equal(t, hitl.ErrTypeReviseFailed, de.Type)
			assert.Contains(t, de.Message, "alice stopped the revision of version 1 (off track) after 31 characters")

			// The provider was told to stop: the response is cancelled and
			// billed for the words written before the cancel only.
			call := s.Calls()[1]
			assert.True(t, call.Cancelled, "the background response was cancelled")
			assert.Equal(t, llmtest.StatusCancelled, call.Status)
			assert.True(t, call.Billed)
			assert.Equal(t, 5, call.OutputTokens, "billed for the five words written")
			assert.Equal(t, 1, s.Stats().Cancelled)

			// The partial text and its usage are in the cancelled activity's record.
			docs := canceledDocs(ctx, t, ss.c, id)
			require.Len(t, docs, 1)
			assert.True(t, docs[0].Stopped)
			assert.Equal(t, steeredPartial, docs[0].Text)
			assert.Equal(t, 2, docs[0].Version)
			assert.Equal(t, 1, docs[0].Call.Calls)
			assert.Equal(t, int64(5), docs[0].Call.CompletionTokens)

			// The review stays on version 1, open, and goes on.
			st, err := hitl.GetStatus(ctx, ss.c, id)
			require.NoError(t, err)
			assert.Equal(t, hitl.PhaseOpen, st.Phase)
			assert.Equal(t, 1, st.Version)
			last := st.Audit[len(st.Audit)-1]
			assert.Equal(t, hitl.ActionReviseFailed, last.Action)
			assert.Contains(t, last.Comment, "alice stopped the revision")

			rc, err := hitl.Edit(ctx, ss.c, id, "alice", 1, "Emphasize safety, briefly.")
			require.NoError(t, err)
			assert.Equal(t, 2, rc.Version)
			res, err := docapproval.RunDemo(ctx, ss.c, docapproval.Input{DocID: "doc-stop-" + tc.name, Prompt: prompt},
				[]docapproval.Step{{Reviewer: "alice", Action: hitl.ActionApprove}, {Reviewer: "bob", Action: hitl.ActionApprove}},
				docapproval.WithTaskQueue(ss.tq), docapproval.WithWorkflowID(id))
			require.NoError(t, err)
			require.Equal(t, hitl.PhaseApproved, res.Phase)
			doc := res.Result.Document
			assert.Equal(t, "ACME TurboWidget, safe and warranted.", doc.Text)
			assert.False(t, doc.Stopped)
			assert.Equal(t, 1, doc.Interrupted.Calls, "version 2 counts the stopped call")
			assert.Equal(t, int64(5), doc.Interrupted.CompletionTokens)
			assert.Equal(t, 3, res.LLMCalls, "draft, stopped revision, revision")
			assert.Equal(t, 3, s.Billed())
			release()
			if !tc.live {
				recordSteered(ctx, t, ss.c, id, "review-stopped.json")
			}
		})
	}
}

// A reviewer redirects a revision from the page's API: the call is
// cancelled and asked again with the reviewer's message in its prompt,
// and that answer is the new version.
func TestIntegrationSteerRedirectFromPage(t *testing.T) {
	s := llmtest.NewServer(t)
	held, release := holdReply(t)
	s.Enqueue(llmtest.Text("ACME TurboWidget, draft one."), held, llmtest.Text("ACME TurboWidget. Short."))
	ss := newSteerSetup(t, s, llm.APIResponsesBackground, false)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	id := ss.open(ctx, t, "doc-redirect")

	edited := make(chan hitl.Receipt, 1)
	go func() {
		rc, err := hitl.Edit(ctx, ss.c, id, "alice", 1, "Emphasize safety.")
		assert.NoError(t, err)
		edited <- rc
	}()
	waitHeld(t, s, 1)
	code, body := ss.steer(ctx, t, id, "alice", `{"action":"redirect","message":"Keep it under 50 words."}`)
	require.Equal(t, http.StatusOK, code, body)
	rc := <-edited
	assert.Equal(t, 2, rc.Version, "the redirected call wrote version 2")

	reqs := s.Requests()
	var prompts []string
	for _, r := range reqs {
		if r.Endpoint != llmtest.EndpointResponses {
			continue
		}
		var b strings.Builder
		for _, m := range r.Messages {
			b.WriteString(m.Content)
		}
		prompts = append(prompts, b.String())
	}
	require.Len(t, prompts, 3, "draft, the redirected revision, its replacement")
	assert.NotContains(t, prompts[1], "Keep it under 50 words.")
	assert.Contains(t, prompts[2], "Emphasize safety.")
	assert.Contains(t, prompts[2], docapproval.RedirectHeading+"\nKeep it under 50 words.\n")
	assert.True(t, s.Calls()[1].Cancelled, "the redirected response was cancelled at the provider")

	doc, err := hitl.GetDraft[docapproval.Document](ctx, ss.c, id)
	require.NoError(t, err)
	assert.Equal(t, 2, doc.Version)
	assert.Equal(t, "ACME TurboWidget. Short.", doc.Text)
	assert.Equal(t, 1, doc.Interrupted.Calls, "the redirected call is counted")
	assert.Equal(t, 3, doc.Usage.Calls)
	release()

	res, err := docapproval.RunDemo(ctx, ss.c, docapproval.Input{DocID: "doc-redirect", Prompt: prompt},
		[]docapproval.Step{{Reviewer: "alice", Action: hitl.ActionApprove}, {Reviewer: "bob", Action: hitl.ActionApprove}},
		docapproval.WithTaskQueue(ss.tq), docapproval.WithWorkflowID(id))
	require.NoError(t, err)
	require.Equal(t, hitl.PhaseApproved, res.Phase)
	recordSteered(ctx, t, ss.c, id, "review-redirected.json")
}

// recordSteered saves the history of review id as testdata/name, for
// TestReplay, when the tests run with -record.
func recordSteered(ctx context.Context, t *testing.T, c client.Client, id, name string) {
	t.Helper()
	if !*record {
		return
	}
	path := filepath.Join("testdata", name)
	require.NoError(t, durabletest.SaveHistory(ctx, c, id, "", path))
	t.Logf("recorded %s", path)
}

// The first draft can be stopped too (with llm.Stop: the page steers
// revisions): version 1 is then what the model had written, marked
// Stopped, and reviewers go on from it.
func TestIntegrationSteerStopDraft(t *testing.T) {
	s := llmtest.NewServer(t)
	held, release := holdReply(t)
	s.Enqueue(held)
	ss := newSteerSetup(t, s, llm.APIResponsesBackground, false)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	id := "docapproval-steer-" + uuid.NewString()[:8]
	_, err := ss.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: ss.tq}, docapproval.WorkflowName,
		docapproval.Input{DocID: "doc-draft-stop", Prompt: prompt})
	require.NoError(t, err)
	waitHeld(t, s, 0)
	require.NoError(t, llm.Stop(ctx, ss.c, id, "ops", "enough"))

	doc, err := hitl.GetDraft[docapproval.Document](ctx, ss.c, id)
	require.NoError(t, err)
	assert.Equal(t, 1, doc.Version)
	assert.True(t, doc.Stopped)
	assert.Equal(t, steeredPartial, doc.Text)
	assert.Equal(t, int64(5), doc.Call.CompletionTokens)
	assert.True(t, s.Calls()[0].Cancelled)
	st, err := hitl.GetStatus(ctx, ss.c, id)
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseOpen, st.Phase)
	release()
}
