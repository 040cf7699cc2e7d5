package docapproval_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/examples/docapproval"
)

func TestStorePersistOnce(t *testing.T) {
	dir := t.TempDir()
	s, err := docapproval.NewStore(dir)
	require.NoError(t, err)

	first, created, err := s.Persist(docapproval.Record{DocID: "doc-123", Version: 3, Content: "final text", ApprovedBy: "alice"})
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, filepath.Join(dir, "doc-123_3.json"), s.Path("doc-123", 3), "the seed's layout")
	assert.Equal(t, docapproval.StatusFinal, first.Status)
	before, err := os.ReadFile(s.Path("doc-123", 3))
	require.NoError(t, err)

	again, created, err := s.Persist(docapproval.Record{DocID: "doc-123", Version: 3, Content: "final text", ApprovedBy: "bob"})
	require.NoError(t, err)
	assert.False(t, created, "a second persist returns the existing record")
	assert.Equal(t, first, again)
	assert.Equal(t, "alice", again.ApprovedBy)
	after, err := os.ReadFile(s.Path("doc-123", 3))
	require.NoError(t, err)
	assert.Equal(t, before, after, "never rewritten")

	got, err := s.Get("doc-123", 3)
	require.NoError(t, err)
	assert.Equal(t, first, got)
	_, err = s.Get("doc-123", 4)
	require.ErrorIs(t, err, docapproval.ErrNotFound)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files left behind")
}

func TestStoreConflict(t *testing.T) {
	s, err := docapproval.NewStore(t.TempDir())
	require.NoError(t, err)
	_, _, err = s.Persist(docapproval.Record{DocID: "d", Version: 1, Content: "one"})
	require.NoError(t, err)

	existing, created, err := s.Persist(docapproval.Record{DocID: "d", Version: 1, Content: "other"})
	require.ErrorIs(t, err, docapproval.ErrConflict)
	var ce *docapproval.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "one", ce.Existing.Content)
	assert.Equal(t, "one", existing.Content)
	assert.False(t, created)
	got, err := s.Get("d", 1)
	require.NoError(t, err)
	assert.Equal(t, "one", got.Content)
}

func TestStoreConcurrentPersistCreatesOnce(t *testing.T) {
	s, err := docapproval.NewStore(t.TempDir())
	require.NoError(t, err)
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		creates int
		errs    []error
	)
	for range n {
		wg.Go(func() {
			_, created, err := s.Persist(docapproval.Record{DocID: "race", Version: 2, Content: "same"})
			mu.Lock()
			defer mu.Unlock()
			if created {
				creates++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	assert.Empty(t, errs)
	assert.Equal(t, 1, creates)
	recs, err := s.List("race")
	require.NoError(t, err)
	assert.Len(t, recs, 1)
}

func TestStoreRejectsBadKeys(t *testing.T) {
	s, err := docapproval.NewStore(t.TempDir())
	require.NoError(t, err)
	_, _, err = s.Persist(docapproval.Record{DocID: "../x", Version: 1, Content: "c"})
	require.ErrorIs(t, err, docapproval.ErrInvalidInput)
	_, _, err = s.Persist(docapproval.Record{DocID: "x", Version: 0, Content: "c"})
	require.Error(t, err)
	_, err = docapproval.NewStore(" ")
	require.Error(t, err)
}
