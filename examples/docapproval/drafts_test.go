package docapproval_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// longText is a model answer above the default inline limit.
var longText = strings.Repeat("ACME TurboWidget keeps its promises: safe, warranted, and quiet. ", 100)

func TestFileDrafts(t *testing.T) {
	ctx := context.Background()
	s, err := docapproval.NewFileDrafts(t.TempDir())
	require.NoError(t, err)
	key := docapproval.TextKey("doc-1", 2, strings.Repeat("ab", 32))
	assert.Equal(t, "doc-1_v2_abababababababab", key)

	_, err = s.Get(ctx, key)
	require.ErrorIs(t, err, docapproval.ErrDraftNotFound)
	require.NoError(t, s.Put(ctx, key, []byte("text")))
	require.NoError(t, s.Put(ctx, key, []byte("text")), "a second put of a key is fine")
	got, err := s.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, "text", string(got))

	for _, bad := range []string{"../etc/passwd", "doc-1_v2", "doc/1_v2_abababababababab", ""} {
		require.ErrorIs(t, s.Put(ctx, bad, []byte("x")), docapproval.ErrDraftNotFound, bad)
		_, err := s.Get(ctx, bad)
		require.ErrorIs(t, err, docapproval.ErrDraftNotFound, bad)
	}
	entries, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
	assert.Equal(t, key+".txt", entries[0].Name())
}

// A long answer is stored once and recorded by reference; the revision and
// the persist activities read it back, checked against its hash.
func TestActivitiesPassLongDraftsByReference(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text(longText), llmtest.Text(longText+" Revised."))
	acts := viaServer(t, s, t.TempDir())
	env := activityEnv(acts)
	ctx := context.Background()

	v, err := env.ExecuteActivity(docapproval.ActivityDraft, docapproval.DraftInput{DocID: "doc-1", Prompt: prompt})
	require.NoError(t, err)
	var d1 docapproval.Document
	require.NoError(t, v.Get(&d1))
	require.NotNil(t, d1.Ref, "a draft above the inline limit goes by reference")
	assert.Empty(t, d1.Text)
	assert.Equal(t, len(longText), d1.Size())
	assert.True(t, strings.HasPrefix(longText, strings.TrimSuffix(d1.Excerpt(), "…")), "the excerpt is the head of the text")
	text, err := acts.Text(ctx, d1)
	require.NoError(t, err)
	assert.Equal(t, longText, text)

	v, err = env.ExecuteActivity(docapproval.ActivityRevise, docapproval.ReviseInput{
		DocID: "doc-1", Version: 2, BaseRef: d1.Ref, Instructions: "Emphasize safety.",
	})
	require.NoError(t, err)
	var d2 docapproval.Document
	require.NoError(t, v.Get(&d2))
	require.NotNil(t, d2.Ref)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Contains(t, reqs[1].LastUser(), longText, "the revision prompt holds the base text read from the store")

	v, err = env.ExecuteActivity(docapproval.ActivityPersist, docapproval.PersistInput{DocID: "doc-1", Version: 2, ContentRef: d2.Ref})
	require.NoError(t, err)
	var pr docapproval.PersistResult
	require.NoError(t, v.Get(&pr))
	rec, err := acts.Store().Get("doc-1", 2)
	require.NoError(t, err)
	assert.Equal(t, longText+" Revised.", rec.Content, "the approved record holds the full text")

	// Another text under the same key is refused for good; a missing one is
	// retried (the store may be a mount that is back on the next attempt).
	fd := acts.Drafts().(*docapproval.FileDrafts)
	require.NoError(t, os.WriteFile(filepath.Join(fd.Dir(), d2.Ref.Key+".txt"), []byte("tampered"), 0o600))
	keyOnly := &hitl.DraftRef{Key: d2.Ref.Key, Size: d2.Ref.Size} // what the workflow passes: the key holds 64 bits of the hash
	for _, ref := range []*hitl.DraftRef{d2.Ref, keyOnly} {
		_, err = env.ExecuteActivity(docapproval.ActivityPersist, docapproval.PersistInput{DocID: "doc-1", Version: 3, ContentRef: ref})
		require.Error(t, err)
		assert.True(t, docapproval.IsDraftMissing(err), "got %v", err)
		var ae *temporal.ApplicationError
		require.ErrorAs(t, err, &ae)
		assert.True(t, ae.NonRetryable())
	}
	var ae *temporal.ApplicationError
	require.NoError(t, os.Remove(filepath.Join(fd.Dir(), d2.Ref.Key+".txt")))
	_, err = env.ExecuteActivity(docapproval.ActivityPersist, docapproval.PersistInput{DocID: "doc-1", Version: 3, ContentRef: d2.Ref})
	require.ErrorAs(t, err, &ae)
	assert.True(t, docapproval.IsDraftMissing(err))
	assert.False(t, ae.NonRetryable())
}

// Below the inline limit, or with a negative one, drafts stay inline.
func TestShortDraftsStayInline(t *testing.T) {
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Text(longText))
	acts, err := docapproval.NewActivities(docapproval.Config{Dir: t.TempDir(), LLM: viaServerConfig(s), InlineBytes: -1})
	require.NoError(t, err)
	v, err := activityEnv(acts).ExecuteActivity(docapproval.ActivityDraft, docapproval.DraftInput{DocID: "doc-1", Prompt: prompt})
	require.NoError(t, err)
	var d docapproval.Document
	require.NoError(t, v.Get(&d))
	assert.Nil(t, d.Ref)
	assert.Equal(t, longText, d.Text)

	raw := []byte(`{"doc_id":"doc-9","version":3,"source":"llm_revision","model":"m","ref":{"key":"doc-9_v3_0123456789abcdef","sha256":"x","size":9000,"head":"The head…"}}`)
	page, err := docapproval.LoadDraft(context.Background(), "wf", raw)
	require.NoError(t, err)
	assert.Contains(t, page, "The head…")
	assert.Contains(t, page, "9000 bytes in the draft store under doc-9_v3_0123456789abcdef")
}
