package hitlhttp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListQuery(t *testing.T) {
	h := &Handler{opts: Options{Filter: "WorkflowType = 'DocReview'"}}
	q, err := h.listQuery("", "o'brien")
	require.NoError(t, err)
	assert.Equal(t, `HITLStatus IN ('drafting', 'open', 'revising') AND HITLPendingReviewers = 'o\'brien' AND (WorkflowType = 'DocReview')`, q)
	q, err = h.listQuery("approved", "")
	require.NoError(t, err)
	assert.Equal(t, `HITLStatus = 'approved' AND (WorkflowType = 'DocReview')`, q)
	_, err = h.listQuery("bogus", "")
	require.ErrorIs(t, err, errBadRequest)
}
