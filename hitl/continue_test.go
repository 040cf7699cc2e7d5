package hitl_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
)

// TestThreeHundredEditsAcrossContinueAsNew runs 300 edit rounds with a run
// limit of 40 decisions: eight runs, each resumed from the state the last
// one carried, then an approval.
func TestThreeHundredEditsAcrossContinueAsNew(t *testing.T) {
	const edits, perRun, auditLimit = 300, 40, 50
	in := hitltest.Input{Prompt: "long review", MaxDecisionsPerRun: perRun, AuditLimit: auditLimit}
	sent, runs := 0, 0
	var res hitl.Result[string]
	var final hitl.Status
	for {
		runs++
		require.LessOrEqual(t, runs, 10, "too many runs")
		env, _ := newEnv(t)
		version := 1
		if in.State != nil {
			version = in.State.Version
		}
		var outs []*outcome
		n := min(perRun, edits-sent)
		for i := range n {
			outs = append(outs, decideAt(env, time.Duration(i+1)*time.Minute, hitl.Decision{
				Reviewer: "alice", Action: hitl.ActionEdit, Version: version + i, Instructions: fmt.Sprint("round ", sent+i+1),
			}))
		}
		sent += n
		if sent == edits {
			decideAt(env, time.Duration(n+1)*time.Minute, hitl.Decision{Reviewer: "alice", Action: hitl.ActionApprove, Version: version + n})
		}
		env.ExecuteWorkflow(hitltest.Workflow, in)
		require.True(t, env.IsWorkflowCompleted())
		for i, o := range outs {
			require.NoError(t, o.err, "edit %d of run %d", i, runs)
			require.Equal(t, version+i+1, o.receipt.Version)
		}
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			var next hitltest.Input
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			require.NotNil(t, next.State)
			assert.Equal(t, version+n, next.State.Version, "the carried state has every version")
			in = next
			continue
		}
		require.NoError(t, err)
		require.NoError(t, env.GetWorkflowResult(&res))
		v, qerr := env.QueryWorkflow(hitl.QueryStatus)
		require.NoError(t, qerr)
		require.NoError(t, v.Get(&final))
		break
	}
	assert.Equal(t, 8, runs)
	assert.Equal(t, hitl.PhaseApproved, res.Phase)
	assert.Equal(t, edits+1, res.Version)
	// drafted + 300 edits + 300 revisions + approve
	assert.Equal(t, 1+2*edits+1, res.AuditCount)
	require.Len(t, res.Audit, auditLimit, "the trail in memory is capped")
	assert.Equal(t, res.AuditCount, res.Audit[auditLimit-1].Seq)
	assert.Equal(t, res.AuditCount-auditLimit+1, res.Audit[0].Seq, "entries are contiguous")
	assert.Equal(t, 8, final.Runs)
	assert.Equal(t, map[hitl.Action]int{
		hitl.ActionDrafted: 1, hitl.ActionEdit: edits, hitl.ActionRevised: edits, hitl.ActionApprove: 1,
	}, final.Tally, "the tally summarizes the entries dropped from memory")
}

// stateOnly takes the carried state as its only argument, so Run's default
// continue-as-new (nil Config.ContinueAsNew) restarts it.
func stateOnly(ctx workflow.Context, s *hitl.State[string]) (hitl.Result[string], error) {
	return hitl.Run(ctx, hitl.Config[string]{
		Initial:            "v1",
		Revise:             func(_ workflow.Context, cur string, d hitl.Decision) (string, error) { return cur + "+", nil },
		MaxDecisionsPerRun: 1,
	}, s)
}

func TestDefaultContinueAsNew(t *testing.T) {
	env, _ := newEnv(t)
	env.RegisterWorkflow(stateOnly)
	decideAt(env, time.Minute, hitl.Decision{Reviewer: "a", Action: hitl.ActionEdit, Version: 1, Instructions: "x"})
	env.ExecuteWorkflow(stateOnly, nil)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	assert.Equal(t, "stateOnly", can.WorkflowType.Name)
	var s hitl.State[string]
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &s))
	assert.Equal(t, 2, s.Version)
	assert.Equal(t, "v1+", s.Current)
	assert.Equal(t, 1, s.Runs)
	assert.Equal(t, 3, s.AuditCount)
}
