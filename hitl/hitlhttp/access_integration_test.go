package hitlhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

func listed(api apiClient, reviewer, query string) []string {
	var list struct{ Reviews []hitlhttp.Summary }
	if api.do("GET", "/api/reviews"+query, reviewer, nil, &list) != http.StatusOK {
		return nil
	}
	ids := make([]string, len(list.Reviews))
	for i, s := range list.Reviews {
		ids[i] = s.WorkflowID
	}
	return ids
}

func TestIntegrationReadAccess(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) { hitltest.Register(r, &hitltest.Activities{}) })
	c := srv.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	mount := func(opts hitlhttp.Options) apiClient {
		opts.Auth, opts.Prefix = hitlhttp.HeaderAuth{}, "/review"
		h, err := hitlhttp.New(c, opts)
		require.NoError(t, err)
		mux := http.NewServeMux()
		mux.Handle("/review/", h)
		ts := httptest.NewServer(mux)
		t.Cleanup(ts.Close)
		return apiClient{t: t, base: ts.URL + "/review", http: ts.Client()}
	}
	api := mount(hitlhttp.Options{})

	staged := startReview(ctx, t, c, w.TaskQueue, []hitl.Stage{
		{Name: "editor", Reviewers: []string{"alice"}},
		{Name: "legal", Reviewers: []string{"bob"}, Deadline: time.Hour,
			Escalation: hitl.Escalation{Reviewers: []string{"erin"}, Deadline: time.Hour}},
	})
	open := startReview(ctx, t, c, w.TaskQueue, nil) // one stage anyone may decide in
	path := "/api/reviews/" + url.PathEscape(staged)

	for _, who := range []string{"alice", "bob", "erin"} {
		var rv hitlhttp.Review
		assert.Equal(t, http.StatusOK, api.do("GET", path, who, nil, &rv), "%s takes part (a later stage, an escalation)", who)
		assert.Equal(t, "Draft: press release", rv.Draft)
	}
	before, err := hitl.GetStatus(ctx, c, staged)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice", "bob", "erin"}, before.Participants)

	var eb hitlhttp.ErrorBody
	assert.Equal(t, http.StatusNotFound, api.do("GET", path, "carol", nil, &eb), "an outsider gets 404, not the draft")
	assert.Equal(t, "NotFound", eb.Error.Type)
	assert.NotContains(t, eb.Error.Message, "Draft")
	var missing hitlhttp.ErrorBody
	api.do("GET", "/api/reviews/no-such-review", "carol", nil, &missing)
	assert.Equal(t, missing.Error.Type, eb.Error.Type, "hidden and missing look alike")
	assert.Equal(t, http.StatusNotFound, api.do("POST", path+"/decisions", "carol",
		hitl.Decision{Action: hitl.ActionReject, Version: 1, Comment: "no"}, &eb), "no decisions on a review one cannot see")
	var rv hitlhttp.Review
	assert.Equal(t, http.StatusOK, api.do("GET", "/api/reviews/"+url.PathEscape(open), "carol", nil, &rv), "anyone reads an open-stage review")

	require.Eventually(t, func() bool { return slices.Contains(listed(api, "alice", ""), staged) }, 20*time.Second, 200*time.Millisecond,
		"alice's list shows her review")
	carols := listed(api, "carol", "")
	assert.NotContains(t, carols, staged, "the list hides what carol cannot read")
	assert.Contains(t, carols, open)

	after, err := hitl.GetStatus(ctx, c, staged)
	require.NoError(t, err)
	assert.Equal(t, before.AuditCount, after.AuditCount, "the outsider's attempts changed nothing")
	assert.Equal(t, before.Version, after.Version)

	// A policy hook widens (or narrows) reads.
	audit := mount(hitlhttp.Options{Access: hitlhttp.AccessFunc(func(reviewer string, rv hitlhttp.ReviewInfo) bool {
		return reviewer == "auditor" || hitlhttp.Participants.CanRead(reviewer, rv)
	})})
	assert.Equal(t, http.StatusOK, audit.do("GET", path, "auditor", nil, &rv))
	assert.Equal(t, http.StatusNotFound, audit.do("GET", path, "carol", nil, &eb))
	everyone := mount(hitlhttp.Options{Access: hitlhttp.Everyone})
	assert.Equal(t, http.StatusOK, everyone.do("GET", path, "carol", nil, &rv))

	// After her stage, alice still reads the review she took part in.
	_, err = hitl.Approve(ctx, c, staged, "alice", 1, "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, api.do("GET", path, "alice", nil, &rv))
	assert.Equal(t, "legal", rv.Status.Stage)
}
