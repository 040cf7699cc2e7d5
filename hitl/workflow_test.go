package hitl_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

func TestApproveFirstTime(t *testing.T) {
	env, _ := newEnv(t)
	ok := decideAt(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1, Comment: "ship it"})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "launch note"})

	res := result(t, env)
	assert.True(t, ok.accepted)
	require.NoError(t, ok.err)
	assert.Equal(t, hitl.Receipt{Seq: 2, Version: 1, Phase: hitl.PhaseApproved, Stage: "review"}, ok.receipt)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, "Draft: launch note", res.Artifact)
	assert.Equal(t, 1, res.Version)
	assert.Equal(t, "alice", res.By)
	assert.Equal(t, []hitl.Action{hitl.ActionDrafted, hitl.ActionApprove}, actions(res.Audit))
	assert.Equal(t, "ship it", res.Audit[1].Comment)
	assert.Equal(t, hitl.ViaUpdate, res.Audit[1].Via)
}

func TestTwoEditsThenApprove(t *testing.T) {
	env, _ := newEnv(t)
	e1 := decideAt(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "stress safety"})
	e2 := decideAt(env, 2*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionEdit, Version: 2, Instructions: "drop pricing"})
	var mid hitl.Status
	statusAt(t, env, 150*time.Second, &mid)
	ok := decideAt(env, 3*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 3})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "turbo widget"})

	res := result(t, env)
	require.NoError(t, e1.err)
	require.NoError(t, e2.err)
	require.NoError(t, ok.err)
	assert.Equal(t, 2, e1.receipt.Version, "an edit's update returns the new version")
	assert.Equal(t, 3, e2.receipt.Version)
	assert.Equal(t, 3, mid.Version)
	assert.Equal(t, hitl.PhaseOpen, mid.Phase)
	assert.Contains(t, mid.Excerpt, "Draft: turbo widget")
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 3, res.Version)
	assert.Equal(t, "Draft: turbo widget\n[edit v1: stress safety]\n[edit v2: drop pricing]", res.Artifact)
	assert.Equal(t, []hitl.Action{
		hitl.ActionDrafted, hitl.ActionEdit, hitl.ActionRevised, hitl.ActionEdit, hitl.ActionRevised, hitl.ActionApprove,
	}, actions(res.Audit))
	assert.Equal(t, 2, res.Audit[2].Version, "the revised entry names the new version")
}

func TestReject(t *testing.T) {
	env, _ := newEnv(t)
	noReason := decideAt(env, time.Minute, hitl.Decision{Reviewer: "carol", Action: hitl.ActionReject, Version: 1})
	rej := decideAt(env, 2*time.Minute, hitl.Decision{Reviewer: "carol", Action: hitl.ActionReject, Version: 1, Comment: "off brand"})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x"})

	res := result(t, env)
	requireRefused(t, noReason, hitl.ErrInvalidDecision)
	require.NoError(t, rej.err)
	assert.Equal(t, hitl.PhaseRejected, res.Phase)
	assert.False(t, res.Approved())
	assert.Equal(t, "carol", res.By)
	assert.Equal(t, "off brand", res.Reason)
	assert.Equal(t, 2, res.AuditCount, "the refused rejection wrote nothing")
}

// twoStages is editor (alice) then legal (bob).
func twoStages() []hitl.Stage {
	return []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}, {Name: "legal", Reviewers: []string{"bob"}}}
}

func TestRefusedDecisionsWriteNothing(t *testing.T) {
	env, _ := newEnv(t)
	env.OnActivity(hitltest.ActivityPersist, mock.Anything, mock.Anything).After(time.Hour).Return(nil)
	refusals := []struct {
		name string
		d    hitl.Decision
		want error
	}{
		{"stale version", hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2}, hitl.ErrStaleVersion},
		{"unknown reviewer", hitl.Decision{Reviewer: "mallory", Action: hitl.ActionApprove, Version: 1}, hitl.ErrUnknownReviewer},
		{"no reviewer", hitl.Decision{Action: hitl.ActionApprove, Version: 1}, hitl.ErrUnknownReviewer},
		{"wrong stage", hitl.Decision{Reviewer: "bob", Action: hitl.ActionApprove, Version: 1}, hitl.ErrUnauthorized},
		{"empty edit", hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "  "}, hitl.ErrEmptyEdit},
		{"no version", hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove}, hitl.ErrInvalidDecision},
		{"unknown action", hitl.Decision{Reviewer: "alice", Action: "merge", Version: 1}, hitl.ErrInvalidDecision},
	}
	outcomes := make([]*outcome, len(refusals))
	for i, r := range refusals {
		outcomes[i] = decideAt(env, time.Duration(i+1)*time.Minute, r.d)
	}
	var before hitl.Status
	statusAt(t, env, 30*time.Minute, &before)
	a1 := decideAt(env, 31*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1})
	dup := decideAt(env, 32*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1})
	b1 := decideAt(env, 33*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionApprove, Version: 1})
	// The review is approved; the workflow still persists for an hour.
	late := decideAt(env, 40*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionReject, Version: 1, Comment: "too late"})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: twoStages(), Persist: true})

	res := result(t, env)
	for i, r := range refusals {
		t.Run(r.name, func(t *testing.T) { requireRefused(t, outcomes[i], r.want) })
	}
	assert.Equal(t, 1, before.AuditCount, "refused updates wrote no audit entry")
	require.NoError(t, a1.err)
	assert.Equal(t, "legal", a1.receipt.Stage)
	// alice is no longer a reviewer of the current stage (legal).
	requireRefused(t, dup, hitl.ErrUnauthorized)
	require.NoError(t, b1.err)
	requireRefused(t, late, hitl.ErrClosed)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 3, res.AuditCount)
}

func TestQuorumTwoOfThree(t *testing.T) {
	env, _ := newEnv(t)
	stages := []hitl.Stage{{Name: "board", Reviewers: []string{"ann", "ben", "cat"}, Quorum: 2}}
	a := decideAt(env, time.Minute, hitl.Decision{Reviewer: "ann", Action: hitl.ActionApprove, Version: 1})
	var mid hitl.Status
	statusAt(t, env, 90*time.Second, &mid)
	dup := decideAt(env, 2*time.Minute, hitl.Decision{Reviewer: "ann", Action: hitl.ActionApprove, Version: 1})
	c := decideAt(env, 3*time.Minute, hitl.Decision{Reviewer: "cat", Action: hitl.ActionApprove, Version: 1})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: stages})

	res := result(t, env)
	require.NoError(t, a.err)
	assert.Equal(t, hitl.PhaseOpen, a.receipt.Phase, "one approval of two keeps the stage open")
	assert.Equal(t, []string{"ann"}, mid.Approvals)
	assert.Equal(t, []string{"ben", "cat"}, mid.Pending)
	assert.Equal(t, 2, mid.Quorum)
	requireRefused(t, dup, hitl.ErrDuplicate)
	require.NoError(t, c.err)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, "cat", res.By)
}

func TestRequestChangesGoesBackToFirstStage(t *testing.T) {
	env, _ := newEnv(t)
	decideAt(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 1})
	rc := decideAt(env, 2*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionRequestChanges, Version: 1, Comment: "cite the policy"})
	var mid hitl.Status
	statusAt(t, env, 150*time.Second, &mid)
	decideAt(env, 3*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "cite policy 7"})
	decideAt(env, 4*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2})
	final := decideAt(env, 5*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionApprove, Version: 2})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: twoStages()})

	res := result(t, env)
	require.NoError(t, rc.err)
	assert.Equal(t, "editor", rc.receipt.Stage)
	assert.Equal(t, "cite the policy", mid.ChangesRequested)
	assert.Equal(t, []string{"alice"}, mid.Pending)
	require.NoError(t, final.err)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 2, res.Version)
}

func TestReviseFailureKeepsTheReviewOpen(t *testing.T) {
	env, a := newEnv(t)
	env.RegisterDelayedCallback(func() { a.SetFailRevise(true) }, 0)
	failed := decideAt(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "x"})
	env.RegisterDelayedCallback(func() { a.SetFailRevise(false) }, 90*time.Second)
	retried := decideAt(env, 2*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "y"})
	decideAt(env, 3*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 2})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x"})

	res := result(t, env)
	assert.True(t, failed.accepted)
	require.ErrorIs(t, hitl.AsDecisionError(failed.err), hitl.ErrReviseFailed)
	assert.False(t, hitl.IsRefusal(failed.err))
	require.NoError(t, retried.err)
	assert.Equal(t, 2, retried.receipt.Version)
	assert.Equal(t, 2, res.Version)
	assert.Contains(t, actions(res.Audit), hitl.ActionReviseFailed)
}

func TestSeedSignals(t *testing.T) {
	env, _ := newEnv(t)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(hitl.SignalSubmitEdit, "emphasize warranty") }, time.Minute)
	// Stale: version 1 is gone once the edit is applied; recorded as ignored.
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(hitl.SignalApprove, hitl.Decision{Reviewer: "zed", Version: 1})
	}, 2*time.Minute)
	// Malformed: neither a string nor a Decision; recorded as ignored, not applied.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(hitl.SignalReject, 42) }, 150*time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(hitl.SignalApprove, nil) }, 3*time.Minute)
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x"})

	res := result(t, env)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 2, res.Version)
	assert.Equal(t, "anonymous", res.By)
	var ignored []hitl.Entry
	for _, e := range res.Audit {
		if e.Ignored != "" {
			ignored = append(ignored, e)
		}
	}
	require.Len(t, ignored, 2)
	assert.Equal(t, "zed", ignored[0].Reviewer)
	assert.Contains(t, ignored[0].Ignored, hitl.ErrTypeStaleVersion)
	assert.Equal(t, hitl.ViaSignal, ignored[0].Via)
	assert.Equal(t, hitl.ActionReject, ignored[1].Action)
	assert.Contains(t, ignored[1].Ignored, hitl.ErrTypeInvalidDecision)
}

func TestDeadlineReminderEscalationTimeout(t *testing.T) {
	stage := hitl.Stage{
		Name: "legal", Reviewers: []string{"carol"}, Deadline: 48 * time.Hour,
		Escalation: hitl.Escalation{Reviewers: []string{"dave"}, Deadline: 24 * time.Hour},
	}
	t.Run("reject", func(t *testing.T) {
		env, a := newEnv(t)
		early := decideAt(env, time.Hour, hitl.Decision{Reviewer: "dave", Action: hitl.ActionApprove, Version: 1})
		var escalated hitl.Status
		statusAt(t, env, 49*time.Hour, &escalated)
		start := env.Now()
		env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: []hitl.Stage{stage}, Notify: true})

		res := result(t, env)
		requireRefused(t, early, hitl.ErrUnauthorized)
		assert.True(t, escalated.Escalated)
		assert.Equal(t, []string{"carol", "dave"}, escalated.Pending)
		assert.WithinDuration(t, start.Add(72*time.Hour), escalated.Due, 0)
		assert.Equal(t, hitl.PhaseTimedOut, res.Phase)
		assert.Contains(t, res.Reason, `stage "legal" passed its deadline`)
		assert.Equal(t, []hitl.Action{hitl.ActionDrafted, hitl.ActionReminded, hitl.ActionEscalated, hitl.ActionTimedOut}, actions(res.Audit))
		assert.WithinDuration(t, start.Add(48*time.Hour), res.Audit[1].Time, 0)
		assert.WithinDuration(t, start.Add(72*time.Hour), res.Audit[3].Time, 0)
		notices := a.Notices()
		require.Len(t, notices, 4)
		assert.Equal(t, hitl.NoticeOpened, notices[0].Kind)
		assert.Equal(t, []string{"carol"}, notices[0].Reviewers)
		assert.WithinDuration(t, start.Add(48*time.Hour), notices[0].Due, 0)
		assert.Equal(t, hitl.NoticeReminder, notices[1].Kind)
		assert.Equal(t, []string{"carol"}, notices[1].Reviewers)
		assert.Equal(t, hitl.NoticeEscalation, notices[2].Kind)
		assert.Equal(t, []string{"dave"}, notices[2].Reviewers)
		assert.Equal(t, hitl.NoticeTimeout, notices[3].Kind)
		assert.Equal(t, hitl.TimeoutReject, notices[3].Policy)
	})
	t.Run("escalation reviewer approves", func(t *testing.T) {
		env, _ := newEnv(t)
		ok := decideAt(env, 50*time.Hour, hitl.Decision{Reviewer: "dave", Action: hitl.ActionApprove, Version: 1})
		env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: []hitl.Stage{stage}})
		res := result(t, env)
		require.NoError(t, ok.err)
		assert.Equal(t, hitl.PhaseApproved, res.Phase)
		assert.Equal(t, "dave", res.By)
	})
	t.Run("grace period", func(t *testing.T) {
		env, a := newEnv(t)
		grace := hitl.Stage{Name: "legal", Reviewers: []string{"carol"}, Deadline: time.Hour, Escalation: hitl.Escalation{Deadline: time.Hour}}
		ok := decideAt(env, 90*time.Minute, hitl.Decision{Reviewer: "carol", Action: hitl.ActionApprove, Version: 1})
		env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: []hitl.Stage{grace}, Notify: true})
		res := result(t, env)
		require.NoError(t, ok.err)
		assert.Equal(t, hitl.PhaseApproved, res.Phase)
		assert.Equal(t, []hitl.Action{hitl.ActionDrafted, hitl.ActionReminded, hitl.ActionEscalated, hitl.ActionApprove}, actions(res.Audit))
		require.Len(t, a.Notices(), 2, "opened, then a reminder only: no escalation reviewers to notify")
		assert.Equal(t, hitl.NoticeOpened, a.Notices()[0].Kind)
		assert.Equal(t, hitl.NoticeReminder, a.Notices()[1].Kind)
	})
	t.Run("auto-approve then next stage", func(t *testing.T) {
		env, _ := newEnv(t)
		first := hitl.Stage{Name: "editor", Reviewers: []string{"alice"}, Deadline: time.Hour, OnTimeout: hitl.TimeoutApprove}
		ok := decideAt(env, 2*time.Hour, hitl.Decision{Reviewer: "carol", Action: hitl.ActionApprove, Version: 1})
		env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: []hitl.Stage{first, stage}})
		res := result(t, env)
		require.NoError(t, ok.err)
		assert.Equal(t, hitl.PhaseApproved, res.Phase)
		assert.Equal(t, []hitl.Action{hitl.ActionDrafted, hitl.ActionReminded, hitl.ActionAutoApproved, hitl.ActionApprove}, actions(res.Audit))
	})
	t.Run("fail", func(t *testing.T) {
		env, _ := newEnv(t)
		failing := hitl.Stage{Name: "exec", Reviewers: []string{"eve"}, Deadline: 7 * 24 * time.Hour, OnTimeout: hitl.TimeoutFail}
		env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: []hitl.Stage{failing}})
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var ae *temporal.ApplicationError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, hitl.ErrTypeDeadline, ae.Type())
		v, qerr := env.QueryWorkflow(hitl.QueryStatus)
		require.NoError(t, qerr)
		var st hitl.Status
		require.NoError(t, v.Get(&st))
		assert.Equal(t, hitl.PhaseFailed, st.Phase)
	})
}

func TestCancellation(t *testing.T) {
	t.Run("while waiting", func(t *testing.T) {
		env, _ := newEnv(t)
		env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
		env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: []hitl.Stage{{Name: "s", Deadline: 24 * time.Hour}}})
		require.True(t, env.IsWorkflowCompleted())
		require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "got %v", env.GetWorkflowError())
		v, err := env.QueryWorkflow(hitl.QueryStatus)
		require.NoError(t, err)
		var st hitl.Status
		require.NoError(t, v.Get(&st))
		assert.Equal(t, hitl.PhaseCanceled, st.Phase)
		assert.Equal(t, hitl.ActionCanceled, st.Audit[len(st.Audit)-1].Action)
	})
	t.Run("while revising", func(t *testing.T) {
		env, _ := newEnv(t)
		env.OnActivity(hitltest.ActivityRevise, mock.Anything, mock.Anything).After(time.Hour).Return("never", nil)
		edit := decideAt(env, time.Minute, hitl.Decision{Reviewer: "a", Action: hitl.ActionEdit, Version: 1, Instructions: "x"})
		env.RegisterDelayedCallback(env.CancelWorkflow, 10*time.Minute)
		env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x"})
		require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "got %v", env.GetWorkflowError())
		assert.True(t, edit.accepted)
		assert.True(t, edit.done, "the edit's update finished before the workflow ended")
		require.Error(t, edit.err)
	})
}

func TestInvalidConfig(t *testing.T) {
	for name, stages := range map[string][]hitl.Stage{
		"quorum above reviewers":   {{Name: "s", Reviewers: []string{"a"}, Quorum: 2}},
		"escalation without limit": {{Name: "s", Reviewers: []string{"a"}, Deadline: time.Hour, Escalation: hitl.Escalation{Reviewers: []string{"b"}}}},
		"duplicate names":          {{Name: "s"}, {Name: "s"}},
		"unknown policy":           {{Name: "s", OnTimeout: "shrug"}},
	} {
		t.Run(name, func(t *testing.T) {
			env, _ := newEnv(t)
			env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x", Stages: stages})
			err := env.GetWorkflowError()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "hitl: invalid config")
		})
	}
}

func TestAttachWaitsForTheFirstDraft(t *testing.T) {
	env, _ := newEnv(t)
	env.OnActivity(hitltest.ActivityDraft, mock.Anything, mock.Anything).After(time.Minute).Return("slow draft", nil)
	var st hitl.Status
	var attachErr error
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(hitl.UpdateAttach, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { attachErr = err },
			OnComplete: func(v any, err error) {
				attachErr = errors.Join(attachErr, err)
				st, _ = v.(hitl.Status)
			},
		})
	}, 0)
	decideAt(env, 2*time.Minute, hitl.Decision{Reviewer: "a", Action: hitl.ActionApprove, Version: 1})
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "x"})
	result(t, env)
	require.NoError(t, attachErr)
	assert.Equal(t, 1, st.Version)
	assert.Equal(t, "slow draft", st.Excerpt)
}
