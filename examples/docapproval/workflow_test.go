package docapproval_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm"
)

const prompt = "Draft a two-paragraph product summary for ACME TurboWidget."

// offline returns activities on the offline model with a fresh store. They
// stream nothing (Config.Live is off): the test environment's client
// cannot take signals.
func offline(t *testing.T) *docapproval.Activities {
	t.Helper()
	acts, err := docapproval.NewActivities(docapproval.Config{
		Dir: t.TempDir(),
		LLM: llm.Config{Models: map[string]llm.Model{"default": llm.Offline()}},
	})
	require.NoError(t, err)
	return acts
}

// harness is a test workflow environment running Review on real activities
// (offline model), counting activity starts by name and attempt.
type harness struct {
	env    *testsuite.TestWorkflowEnvironment
	acts   *docapproval.Activities
	mu     sync.Mutex
	starts map[string][]int32
	at     map[string][]time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	h := &harness{env: s.NewTestWorkflowEnvironment(), acts: offline(t), starts: map[string][]int32{}, at: map[string][]time.Time{}}
	docapproval.Register(h.env, h.acts)
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.starts[info.ActivityType.Name] = append(h.starts[info.ActivityType.Name], info.Attempt)
		h.at[info.ActivityType.Name] = append(h.at[info.ActivityType.Name], h.env.Now())
	})
	return h
}

func (h *harness) attempts(name string) []int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int32(nil), h.starts[name]...)
}

func (h *harness) total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, a := range h.starts {
		n += len(a)
	}
	return n
}

// decide sends a decision as an update at workflow time after, and checks
// its receipt with check (nil: the update must succeed).
func (h *harness) decide(t *testing.T, after time.Duration, d hitl.Decision, check func(hitl.Receipt, error)) {
	t.Helper()
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(hitl.UpdateDecide, d.Reviewer+"-"+string(d.Action)+"-"+after.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) {
				if check != nil {
					check(hitl.Receipt{}, err)
					return
				}
				assert.NoError(t, err, "decision %+v refused", d)
			},
			OnComplete: func(v any, err error) {
				rc, _ := v.(hitl.Receipt)
				if check != nil {
					check(rc, err)
					return
				}
				assert.NoError(t, err, "decision %+v failed", d)
			},
		}, d)
	}, after)
}

func (h *harness) result(t *testing.T) docapproval.Result {
	t.Helper()
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var res docapproval.Result
	require.NoError(t, h.env.GetWorkflowResult(&res))
	return res
}

func TestReviewApprovedFirstTime(t *testing.T) {
	h := newHarness(t)
	h.decide(t, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1, Comment: "ship it"}, nil)
	h.env.ExecuteWorkflow(docapproval.WorkflowName, docapproval.Input{DocID: "doc-123", Prompt: prompt})

	res := h.result(t)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, "alice", res.By)
	assert.Equal(t, 1, res.Document.Version)
	assert.Equal(t, docapproval.SourceDraft, res.Document.Source)
	assert.True(t, res.Persisted.Created)
	assert.Equal(t, []int32{1}, h.attempts(docapproval.ActivityDraft))
	assert.Empty(t, h.attempts(docapproval.ActivityRevise))
	assert.Equal(t, []int32{1}, h.attempts(docapproval.ActivityPersist))

	rec, err := h.acts.Store().Get("doc-123", 1)
	require.NoError(t, err)
	assert.Equal(t, res.Document.Text, rec.Content)
	assert.Equal(t, "alice", rec.ApprovedBy)
	assert.Equal(t, h.acts.Store().Path("doc-123", 1), res.Persisted.Path)
}

func TestReviewTwoEditsThenApprove(t *testing.T) {
	h := newHarness(t)
	receipt := func(want int) func(hitl.Receipt, error) {
		return func(rc hitl.Receipt, err error) {
			assert.NoError(t, err)
			assert.Equal(t, want, rc.Version)
		}
	}
	h.decide(t, 1*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "Emphasize safety and warranty."}, receipt(2))
	// A decision about a version that is no longer current is refused.
	h.decide(t, 2*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionApprove, Version: 1}, func(_ hitl.Receipt, err error) {
		if de := hitl.AsDecisionError(err); assert.NotNil(t, de, "got %v", err) {
			assert.ErrorIs(t, de, hitl.ErrStaleVersion)
		}
	})
	h.decide(t, 3*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionEdit, Version: 2, Instructions: "Remove pricing details."}, receipt(3))
	h.decide(t, 4*time.Minute, hitl.Decision{Reviewer: "carol", Action: hitl.ActionApprove, Version: 3}, receipt(3))
	h.env.ExecuteWorkflow(docapproval.WorkflowName, docapproval.Input{DocID: "doc-7", Prompt: prompt})

	res := h.result(t)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 3, res.Document.Version)
	assert.Equal(t, docapproval.SourceRevision, res.Document.Source)
	assert.Equal(t, 3, res.Document.Usage.Calls, "1 draft + 2 revisions")
	assert.Equal(t, []int32{1}, h.attempts(docapproval.ActivityDraft))
	assert.Equal(t, []int32{1, 1}, h.attempts(docapproval.ActivityRevise))
	assert.Equal(t, []int32{1}, h.attempts(docapproval.ActivityPersist))

	recs, err := h.acts.Store().List("doc-7")
	require.NoError(t, err)
	require.Len(t, recs, 1, "persisted exactly once")
	assert.Equal(t, 3, recs[0].Version)
	assert.Equal(t, res.Document.Text, recs[0].Content)
	assert.Contains(t, recs[0].Content, llm.OfflineLabel)

	// The result counts the audit entries; the status query, answered for
	// the closed review, lists them.
	assert.Equal(t, 6, res.AuditCount)
	v, err := h.env.QueryWorkflow(hitl.QueryStatus)
	require.NoError(t, err)
	var st hitl.Status
	require.NoError(t, v.Get(&st))
	var actions []hitl.Action
	for _, e := range st.Audit {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []hitl.Action{hitl.ActionDrafted, hitl.ActionEdit, hitl.ActionRevised, hitl.ActionEdit, hitl.ActionRevised, hitl.ActionApprove}, actions)
}

func TestReviewSeedSignals(t *testing.T) {
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(hitl.SignalSubmitEdit, "Please emphasize safety and warranty; remove pricing details.")
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hitl.SignalApprove, nil) }, 2*time.Minute)
	h.env.ExecuteWorkflow(docapproval.WorkflowName, docapproval.Input{DocID: "doc-123", Prompt: prompt})

	res := h.result(t)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 2, res.Document.Version)
	_, err := h.acts.Store().Get("doc-123", 2)
	assert.NoError(t, err)
}

func TestReviewRejected(t *testing.T) {
	h := newHarness(t)
	h.decide(t, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionReject, Version: 1, Comment: "off-brand"}, nil)
	h.env.ExecuteWorkflow(docapproval.WorkflowName, docapproval.Input{DocID: "doc-9", Prompt: prompt})

	res := h.result(t)
	assert.Equal(t, hitl.PhaseRejected, res.Phase)
	assert.Equal(t, "off-brand", res.Reason)
	assert.Equal(t, "alice", res.By)
	assert.False(t, res.Approved())
	assert.Empty(t, h.attempts(docapproval.ActivityPersist))
	recs, err := h.acts.Store().List("")
	require.NoError(t, err)
	assert.Empty(t, recs)
}

func TestReviewInvalidInputFailsFast(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   docapproval.Input
		want string
	}{
		{"short prompt", docapproval.Input{DocID: "doc-1", Prompt: "  Hi there "}, "prompt"},
		{"missing doc_id", docapproval.Input{Prompt: prompt}, "doc_id"},
		{"path in doc_id", docapproval.Input{DocID: "../etc/passwd", Prompt: prompt}, "doc_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.env.ExecuteWorkflow(docapproval.WorkflowName, tc.in)

			require.True(t, h.env.IsWorkflowCompleted())
			err := h.env.GetWorkflowError()
			require.Error(t, err)
			assert.True(t, docapproval.IsInvalidInput(err), "got %v", err)
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			assert.True(t, ae.NonRetryable())
			assert.Contains(t, ae.Message(), tc.want)
			assert.Zero(t, h.total(), "no activity may run")
			assert.ErrorIs(t, tc.in.Validate(), docapproval.ErrInvalidInput, "the same check runs client-side")
		})
	}
}

// attemptErrors records the error of every attempt of one activity type.
type attemptErrors struct {
	interceptor.WorkerInterceptorBase
	name string
	mu   sync.Mutex
	errs []error
}

func (a *attemptErrors) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &attemptInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, rec: a}
}

type attemptInbound struct {
	interceptor.ActivityInboundInterceptorBase
	rec *attemptErrors
}

func (i *attemptInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	out, err := i.Next.ExecuteActivity(ctx, in)
	if activity.GetInfo(ctx).ActivityType.Name == i.rec.name {
		i.rec.mu.Lock()
		i.rec.errs = append(i.rec.errs, err)
		i.rec.mu.Unlock()
	}
	return out, err
}

func TestReviewTransientFailureRetried(t *testing.T) {
	h := newHarness(t)
	rec := &attemptErrors{name: docapproval.ActivityPersist}
	h.env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{rec}})
	h.decide(t, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}, nil)
	h.env.ExecuteWorkflow(docapproval.WorkflowName, docapproval.Input{DocID: "doc-5", Prompt: prompt, InjectTransientFailure: true})

	res := h.result(t)
	assert.Equal(t, []int32{1, 2}, h.attempts(docapproval.ActivityPersist))
	assert.Equal(t, int32(2), res.Persisted.Attempt, "attempt 2 succeeded")
	assert.False(t, res.Persisted.Created, "attempt 1 wrote the record; attempt 2 found it")

	rec.mu.Lock()
	errs := append([]error(nil), rec.errs...)
	rec.mu.Unlock()
	require.Len(t, errs, 2)
	assert.True(t, docapproval.IsTransient(errs[0]), "got %v", errs[0])
	var ae *temporal.ApplicationError
	require.ErrorAs(t, errs[0], &ae)
	assert.False(t, ae.NonRetryable(), "the injected failure is retryable")
	assert.NoError(t, errs[1])

	h.mu.Lock()
	at := h.at[docapproval.ActivityPersist]
	h.mu.Unlock()
	require.Len(t, at, 2)
	assert.GreaterOrEqual(t, at[1].Sub(at[0]), time.Second, "the retry waits for the backoff")

	recs, err := h.acts.Store().List("doc-5")
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.True(t, strings.HasPrefix(recs[0].Content, llm.OfflineLabel))
}

// A review hitl.Open started (HITLStatus "drafting" in its start request)
// persists in a local activity, retried like the activity: attempt 1
// writes the record and fails, attempt 2 finds it.
func TestReviewOpenedPersistsLocally(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var local []int32
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		mu.Lock()
		defer mu.Unlock()
		local = append(local, info.Attempt)
	})
	require.NoError(t, h.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(hitl.StatusAttribute.ValueSet(string(hitl.PhaseDrafting)))))
	h.decide(t, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1}, nil)
	h.env.ExecuteWorkflow(docapproval.WorkflowName, docapproval.Input{DocID: "doc-6", Prompt: prompt, InjectTransientFailure: true})

	res := h.result(t)
	assert.True(t, res.Approved())
	assert.Empty(t, h.attempts(docapproval.ActivityPersist), "no persist activity")
	mu.Lock()
	assert.Equal(t, []int32{1, 2}, local, "the local activity, retried once")
	mu.Unlock()
	assert.Equal(t, int32(2), res.Persisted.Attempt)
	assert.False(t, res.Persisted.Created, "attempt 1 wrote the record; attempt 2 found it")
	recs, err := h.acts.Store().List("doc-6")
	require.NoError(t, err)
	require.Len(t, recs, 1, "persisted exactly once")
}
