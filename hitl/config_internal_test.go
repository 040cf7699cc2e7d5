package hitl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// Config.SearchAttributes takes hitl's keys only, with their types.
func TestConfigSearchAttributes(t *testing.T) {
	for _, bad := range []temporal.SearchAttributeKey{
		temporal.NewSearchAttributeKeyKeywordList("HITLStatus"), // hitl's name, another type
		temporal.NewSearchAttributeKeyKeyword("CustomKeywordField"),
	} {
		_, err := Config[string]{SearchAttributes: []temporal.SearchAttributeKey{bad}}.withDefaults()
		require.ErrorIs(t, err, ErrInvalidConfig, bad.GetName())
		assert.Contains(t, err.Error(), bad.GetName())
	}
	cfg, err := Config[string]{SearchAttributes: []temporal.SearchAttributeKey{StageAttribute, StatusAttribute}}.withDefaults()
	require.NoError(t, err)
	r := &run[string]{cfg: cfg}
	assert.True(t, r.chosen(StatusAttribute))
	assert.False(t, r.chosen(PendingReviewersAttribute))
	r.cfg.SearchAttributes = nil
	assert.True(t, r.chosen(PendingReviewersAttribute), "nil chooses all")
}
