package hitl_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// An edit signal that arrives while the approved review is persisted (in
// Config.Finish) is recorded as ignored in the result's trail, not lost.
func TestIntegrationSignalDuringPersistIsRecorded(t *testing.T) {
	c, w, a := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := openOpts("persist", w.TaskQueue)
	id := opts.ID
	reached, release := a.Hold(hitltest.ActivityPersist)
	defer release()
	_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo", Persist: true})
	require.NoError(t, err)
	rc, err := hitl.Approve(ctx, c, id, "alice", 1, "ship it")
	require.NoError(t, err)
	require.Equal(t, hitl.PhaseApproved, rc.Phase)
	<-reached
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalSubmitEdit, "one more thing"))
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, id)
		return err == nil && st.AuditCount == 3
	}, 20*time.Second, 50*time.Millisecond, "the late edit is recorded while Persist runs")
	_, err = hitl.Edit(ctx, c, id, "alice", 1, "and another")
	require.ErrorIs(t, err, hitl.ErrClosed, "an update during Persist is refused")
	release()

	res := waitResult(ctx, t, c, id)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, "Draft: memo", res.Artifact, "the late edit changed nothing")
	assert.Equal(t, []string{"Draft: memo"}, a.Persisted())
	late := entry(t, res.Audit, "anonymous", hitl.ActionEdit)
	assert.Contains(t, late.Ignored, hitl.ErrTypeClosed)
	assert.Equal(t, "one more thing", late.Comment)
	assert.Equal(t, 3, res.AuditCount, "drafted, approve, the ignored edit: the refused update wrote nothing")
	recordOrReplay(ctx, t, c, id, "late-signal-during-finish.json")
}

// An unversioned approve signal sent while version 1 is being revised
// never approves version 2, which its sender never saw.
func TestIntegrationUnversionedSignalNeverApprovesANewerVersion(t *testing.T) {
	c, w, a := startWorker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := openOpts("revising", w.TaskQueue)
	id := opts.ID
	reached, release := a.Hold(hitltest.ActivityRevise)
	defer release()
	_, err := hitl.Open(ctx, c, opts, hitltest.Workflow, hitltest.Input{Prompt: "memo"})
	require.NoError(t, err)
	edit := make(chan error, 1)
	go func() {
		_, err := hitl.Edit(ctx, c, id, "alice", 1, "shorter")
		edit <- err
	}()
	<-reached
	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalApprove, nil))
	require.Eventually(t, func() bool {
		st, err := hitl.GetStatus(ctx, c, id)
		return err == nil && st.AuditCount == 3
	}, 20*time.Second, 50*time.Millisecond, "the approve signal is recorded during the revision")
	release()
	require.NoError(t, <-edit)

	st, err := hitl.GetStatus(ctx, c, id)
	require.NoError(t, err)
	assert.Equal(t, hitl.PhaseOpen, st.Phase, "version 2 waits for an approval of its own")
	assert.Equal(t, 2, st.Version)
	app := entry(t, st.Audit, "anonymous", hitl.ActionApprove)
	assert.Contains(t, app.Ignored, hitl.ErrTypeStaleVersion)
	assert.Equal(t, 1, app.Version, "recorded against the version it arrived on")

	require.NoError(t, c.SignalWorkflow(ctx, id, "", hitl.SignalApprove, nil))
	res := waitResult(ctx, t, c, id)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, 2, res.Version)
}
