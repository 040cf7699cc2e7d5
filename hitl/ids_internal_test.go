package hitl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The remembered IDs are bounded by DecisionIDLimit, oldest dropped first;
// an edit whose revision failed is forgotten (it was never applied), and a
// finished one gets the receipt of its new version.
func TestDecisionIDMemory(t *testing.T) {
	r := &run[string]{cfg: Config[string]{DecisionIDLimit: 2}, s: &State[string]{}}
	r.index()
	for i, id := range []string{"a", "b", "c"} {
		r.remember(Decided{ID: id, Action: ActionApprove, Receipt: Receipt{Seq: i + 1}})
	}
	_, ok := r.remembered("a")
	assert.False(t, ok, "the oldest ID is dropped beyond the limit")
	c, ok := r.remembered("c")
	require.True(t, ok)
	assert.Equal(t, 3, c.Receipt.Seq)
	r.remember(Decided{})
	assert.Len(t, r.s.Decided, 2, "a decision without an ID is not remembered")

	r.remember(Decided{ID: "edit", Action: ActionEdit, Receipt: Receipt{Seq: 4, Version: 1}, Revising: true})
	r.settle("edit", Receipt{Seq: 4, Version: 2, Phase: PhaseOpen}, false)
	e, ok := r.remembered("edit")
	require.True(t, ok)
	assert.False(t, e.Revising)
	assert.Equal(t, 2, e.Receipt.Version, "the receipt of the new version")

	r.remember(Decided{ID: "failed", Action: ActionEdit, Receipt: Receipt{Seq: 5}, Revising: true})
	r.settle("failed", Receipt{}, true)
	_, ok = r.remembered("failed")
	assert.False(t, ok, "a failed revision does not use up its ID")
	e, ok = r.remembered("edit")
	require.True(t, ok, "the index is rebuilt after removal")
	assert.Equal(t, "edit", e.ID)
}
