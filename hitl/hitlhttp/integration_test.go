package hitlhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

type apiClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func (a apiClient) do(method, path, reviewer string, body any, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(a.t, err)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	require.NoError(a.t, err)
	if reviewer != "" {
		req.Header.Set(hitlhttp.DefaultHeader, reviewer)
	}
	resp, err := a.http.Do(req)
	require.NoError(a.t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(a.t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

func startReview(ctx context.Context, t *testing.T, c client.Client, queue string, stages []hitl.Stage) string {
	t.Helper()
	id := "http-" + uuid.NewString()
	st, err := hitl.Open(ctx, c, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, hitltest.Workflow,
		hitltest.Input{Prompt: "press release", Stages: stages})
	require.NoError(t, err)
	require.Equal(t, 1, st.Version)
	return id
}

func TestIntegrationJSONAPI(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, &hitltest.Activities{}) })
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	h, err := hitlhttp.New(c, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, Prefix: "/review"})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/review/", h)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	api := apiClient{t: t, base: ts.URL + "/review", http: ts.Client()}

	id := startReview(ctx, t, c, w.TaskQueue, []hitl.Stage{
		{Name: "editor", Reviewers: []string{"alice"}},
		{Name: "legal", Reviewers: []string{"bob"}},
	})
	path := "/api/reviews/" + url.PathEscape(id)

	var errBody hitlhttp.ErrorBody
	assert.Equal(t, http.StatusUnauthorized, api.do("GET", "/api/reviews", "", nil, &errBody))
	assert.Equal(t, "Unauthenticated", errBody.Error.Type)

	require.Eventually(t, func() bool {
		var list struct{ Reviews []hitlhttp.Summary }
		if api.do("GET", "/api/reviews?reviewer=me", "alice", nil, &list) != http.StatusOK {
			return false
		}
		for _, s := range list.Reviews {
			if s.WorkflowID == id {
				return s.Stage == "editor" && s.Phase == "open" && assert.ObjectsAreEqual([]string{"alice"}, s.Pending)
			}
		}
		return false
	}, 20*time.Second, 200*time.Millisecond, "alice's open review is listed through the search attributes")

	var odd struct{ Reviews []hitlhttp.Summary }
	assert.Equal(t, http.StatusOK, api.do("GET", "/api/reviews?reviewer="+url.QueryEscape(`o'brien\`), "alice", nil, &odd),
		"quotes in a reviewer name are escaped in the visibility query")
	assert.Empty(t, odd.Reviews)
	var bad hitlhttp.ErrorBody
	assert.Equal(t, http.StatusBadRequest, api.do("GET", "/api/reviews?status=bogus", "alice", nil, &bad))

	var rv hitlhttp.Review
	require.Equal(t, http.StatusOK, api.do("GET", path, "alice", nil, &rv))
	assert.Equal(t, "Draft: press release", rv.Draft)
	assert.Equal(t, 1, rv.Status.Version)

	for _, tc := range []struct {
		name     string
		reviewer string
		d        hitl.Decision
		code     int
		errType  string
	}{
		{"stale", "alice", hitl.Decision{Action: hitl.ActionApprove, Version: 7}, http.StatusConflict, hitl.ErrTypeStaleVersion},
		{"unauthorized", "bob", hitl.Decision{Action: hitl.ActionApprove, Version: 1}, http.StatusForbidden, hitl.ErrTypeUnauthorized},
		// mallory takes no part in the review: she cannot see it, so it
		// answers as if it did not exist.
		{"outsider", "mallory", hitl.Decision{Action: hitl.ActionApprove, Version: 1}, http.StatusNotFound, "NotFound"},
		{"impersonation", "mallory", hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}, http.StatusForbidden, hitl.ErrTypeUnauthorized},
		{"empty edit", "alice", hitl.Decision{Action: hitl.ActionEdit, Version: 1}, http.StatusUnprocessableEntity, hitl.ErrTypeEmptyEdit},
		{"no reason", "alice", hitl.Decision{Action: hitl.ActionReject, Version: 1}, http.StatusUnprocessableEntity, hitl.ErrTypeInvalidDecision},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var eb hitlhttp.ErrorBody
			assert.Equal(t, tc.code, api.do("POST", path+"/decisions", tc.reviewer, tc.d, &eb))
			assert.Equal(t, tc.errType, eb.Error.Type)
			assert.NotEmpty(t, eb.Error.Message)
		})
	}
	var eb hitlhttp.ErrorBody
	assert.Equal(t, http.StatusNotFound, api.do("GET", "/api/reviews/nope-"+uuid.NewString(), "alice", nil, &eb))

	var ok struct{ Receipt hitl.Receipt }
	require.Equal(t, http.StatusOK, api.do("POST", path+"/decisions", "alice",
		hitl.Decision{Action: hitl.ActionEdit, Version: 1, Instructions: "add a quote"}, &ok))
	assert.Equal(t, 2, ok.Receipt.Version)
	// The same decision ID twice is applied once.
	approve := hitl.Decision{ID: "approve-" + uuid.NewString(), Action: hitl.ActionApprove, Version: 2}
	require.Equal(t, http.StatusOK, api.do("POST", path+"/decisions", "alice", approve, &ok))
	first := ok.Receipt
	require.Equal(t, http.StatusOK, api.do("POST", path+"/decisions", "alice", approve, &ok))
	assert.Equal(t, first, ok.Receipt)
	assert.Equal(t, "legal", ok.Receipt.Stage)
	require.Equal(t, http.StatusOK, api.do("POST", path+"/decisions", "bob",
		hitl.Decision{Action: hitl.ActionApprove, Version: 2}, &ok))
	assert.Equal(t, hitl.PhaseApproved, ok.Receipt.Phase)

	var res hitl.Result[string]
	require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 5, res.AuditCount, "drafted, edit, revised, approve (once), approve")
	assert.Equal(t, http.StatusConflict, api.do("POST", path+"/decisions", "bob",
		hitl.Decision{Action: hitl.ActionApprove, Version: 2}, &eb))
	assert.Equal(t, hitl.ErrTypeClosed, eb.Error.Type)
}

func TestIntegrationHTMLPages(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, &hitltest.Activities{}) })
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h, err := hitlhttp.New(c, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, DemoLogin: true})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	defer ts.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar}

	id := startReview(ctx, t, c, w.TaskQueue, []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}})
	get := func(path string) (int, string) {
		resp, err := browser.Get(ts.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	post := func(path string, form url.Values) (int, string) {
		resp, err := browser.PostForm(ts.URL+path, form)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	code, body := get("/")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `id="login"`, "unauthenticated browsers are sent to the demo login")
	code, body = post("/login", url.Values{"reviewer": {"alice"}})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `<strong id="reviewer">alice</strong>`)
	require.Eventually(t, func() bool {
		_, body := get("/?reviewer=me")
		return strings.Contains(body, `data-id="`+id+`"`)
	}, 20*time.Second, 200*time.Millisecond, "the list page shows the open review")

	page := "/reviews/" + url.PathEscape(id)
	code, body = get(page)
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{`id="draft" class="markdown"><p>Draft: press release</p>`, `id="draft-raw">Draft: press release</pre>`,
		`id="approve"`, `id="edit"`, `id="reject"`,
		`id="request-changes"`, `name="instructions"`, `id="audit"`, `<td>drafted</td>`} {
		assert.Contains(t, body, want)
	}

	assert.Contains(t, body, `name="stage" value="editor"`, "each form names the stage the reviewer saw")
	code, body = post(page, url.Values{"action": {"approve"}, "version": {"9"}})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body, `data-type="HITLStaleVersion"`)
	code, body = post(page, url.Values{"action": {"approve"}, "version": {"1"}, "stage": {"legal"}})
	assert.Equal(t, http.StatusConflict, code, "a form from another stage is refused")
	assert.Contains(t, body, `data-type="HITLStaleVersion"`)
	code, body = post(page, url.Values{"action": {"edit"}, "version": {"1"}, "instructions": {"warmer tone"}})
	require.Equal(t, http.StatusOK, code, "post/redirect/get")
	assert.Contains(t, body, `id="notice"`)
	require.Eventually(t, func() bool {
		_, body = get(page)
		return strings.Contains(body, `<dd id="version">2</dd>`)
	}, 20*time.Second, 100*time.Millisecond, "the edit's new version")
	assert.Contains(t, body, "[edit v1: warmer tone]")
	code, _ = post(page, url.Values{"action": {"approve"}, "version": {"2"}, "comment": {"lgtm"}})
	require.Equal(t, http.StatusOK, code)

	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		desc, err = c.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && desc.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 20*time.Second, 100*time.Millisecond)
	_, body = get(page)
	assert.Contains(t, body, `<dd id="phase">approved</dd>`)
	assert.NotContains(t, body, `id="approve"`, "a closed review offers no forms")
}
