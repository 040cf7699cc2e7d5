package hitl_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/hitl"
)

// meteredDoc is a draft that reports how it was written.
type meteredDoc struct {
	Text  string `json:"text"`
	Model string `json:"model"`
}

func (d meteredDoc) Generation() hitl.Generation {
	return hitl.Generation{Model: d.Model, Calls: 1, PromptTokens: int64(len(d.Text)), CompletionTokens: 7, CostUSD: 0.5, CostKnown: true}
}

// versionsWorkflow revises in workflow code (no activity): each edit
// appends its instructions; keep is Config.KeepVersionBytes.
func versionsWorkflow(ctx workflow.Context, keep int) (hitl.Result[meteredDoc], error) {
	return hitl.Run(ctx, hitl.Config[meteredDoc]{
		Initial: meteredDoc{Text: "v1 " + strings.Repeat("x", 40), Model: "m1"},
		Revise: func(_ workflow.Context, cur meteredDoc, d hitl.Decision) (meteredDoc, error) {
			return meteredDoc{Text: cur.Text + " +" + d.Instructions, Model: "m2"}, nil
		},
		KeepVersionBytes: keep,
	}, nil)
}

func versionsEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(versionsWorkflow)
	return env
}

type versionSnapshot struct {
	infos  []hitl.VersionInfo
	drafts map[int]hitl.VersionDraft[meteredDoc]
}

func snapshotAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, delay time.Duration, upto int) *versionSnapshot {
	s := &versionSnapshot{drafts: map[int]hitl.VersionDraft[meteredDoc]{}}
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(hitl.QueryVersions)
		require.NoError(t, err)
		require.NoError(t, v.Get(&s.infos))
		for n := 0; n <= upto; n++ {
			v, err := env.QueryWorkflow(hitl.QueryVersion, n)
			require.NoError(t, err)
			var d hitl.VersionDraft[meteredDoc]
			require.NoError(t, v.Get(&d))
			s.drafts[n] = d
		}
	}, delay)
	return s
}

func TestVersionsRecordWhoAskedAndWhatItCost(t *testing.T) {
	env := versionsEnv(t)
	e1 := decideAt(env, time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "shorter"})
	e2 := decideAt(env, 2*time.Minute, hitl.Decision{Reviewer: "bob", Action: hitl.ActionEdit, Version: 2, Text: "new ending"})
	snap := snapshotAt(t, env, 150*time.Second, 4)
	ok := decideAt(env, 3*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: 3})
	env.ExecuteWorkflow(versionsWorkflow, 0)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, e1.err)
	require.NoError(t, e2.err)
	require.NoError(t, ok.err)

	require.Len(t, snap.infos, 3)
	v1, v2, v3 := snap.infos[0], snap.infos[1], snap.infos[2]
	assert.Equal(t, 1, v1.Version)
	assert.Equal(t, hitl.ActionDrafted, v1.Action)
	assert.Empty(t, v1.Reviewer, "nobody asked for version 1")
	assert.Equal(t, hitl.ActionRevised, v2.Action)
	assert.Equal(t, "alice", v2.Reviewer)
	assert.Equal(t, "shorter", v2.Instructions)
	assert.False(t, v2.TextEdit)
	assert.Equal(t, e1.receipt.Seq, v2.Seq, "the version names the edit's audit entry")
	assert.Equal(t, "bob", v3.Reviewer)
	assert.True(t, v3.TextEdit)
	assert.True(t, v3.Time.After(v2.Time))
	require.NotNil(t, v1.Generation)
	assert.Equal(t, "m1", v1.Generation.Model)
	require.NotNil(t, v3.Generation)
	assert.Equal(t, "m2", v3.Generation.Model)
	assert.Equal(t, int64(7), v3.Generation.CompletionTokens)
	assert.InDelta(t, 0.5, v3.Generation.CostUSD, 1e-9)

	for _, v := range snap.infos {
		assert.True(t, v.Kept, "version %d is kept", v.Version)
	}
	assert.False(t, snap.drafts[0].Kept, "there is no version 0")
	assert.False(t, snap.drafts[4].Kept, "nor a version from the future")
	for n := 1; n <= 3; n++ {
		assert.True(t, snap.drafts[n].Kept, "version %d is kept", n)
	}
	assert.Equal(t, "v1 "+strings.Repeat("x", 40), snap.drafts[1].Draft.Text)
	assert.Equal(t, snap.drafts[1].Draft.Text+" +shorter", snap.drafts[2].Draft.Text)
	assert.Equal(t, snap.drafts[2].Draft.Text+" +", snap.drafts[3].Draft.Text)
}

func TestVersionsKeepWithinBytes(t *testing.T) {
	for _, tc := range []struct {
		keep int
		kept []int // past versions still kept once version 4 is current
	}{
		{keep: 0, kept: []int{1, 2, 3}},
		{keep: -1, kept: nil},
		{keep: 150, kept: []int{2, 3}}, // each past draft is about 60-75 bytes of JSON
		{keep: 10, kept: nil},          // a draft larger than the budget is not kept
	} {
		t.Run(fmt.Sprint(tc.keep), func(t *testing.T) {
			env := versionsEnv(t)
			for i := 1; i <= 3; i++ {
				decideAt(env, time.Duration(i)*time.Minute, hitl.Decision{Reviewer: "r", Action: hitl.ActionEdit, Version: i, Instructions: "e"})
			}
			snap := snapshotAt(t, env, 210*time.Second, 4)
			decideAt(env, 4*time.Minute, hitl.Decision{Reviewer: "r", Action: hitl.ActionApprove, Version: 4})
			env.ExecuteWorkflow(versionsWorkflow, tc.keep)
			require.NoError(t, env.GetWorkflowError())

			var kept []int
			for n := 1; n <= 3; n++ {
				if snap.drafts[n].Kept {
					kept = append(kept, n)
				}
			}
			assert.Equal(t, tc.kept, kept)
			var listed []int
			for _, v := range snap.infos {
				if v.Kept && v.Version < 4 {
					listed = append(listed, v.Version)
				}
			}
			assert.Equal(t, tc.kept, listed, "the version list says which drafts are kept")
			assert.True(t, snap.drafts[4].Kept, "the current version is always there")
			assert.Len(t, snap.infos, 4, "every version is described whatever is kept")
		})
	}
}
