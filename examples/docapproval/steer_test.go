package docapproval_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/llm"
)

// A redirected call asks something else: its prompt carries the messages
// after the reviewer's own words, and its idempotency key differs, so it
// never meets the answer recorded for the call it replaces.
func TestRedirectsChangePromptAndKey(t *testing.T) {
	ctx := context.Background()
	in := docapproval.ReviseInput{DocID: "doc-1", Version: 3, Base: "The draft.", Instructions: "Emphasize safety."}
	plain := docapproval.RevisePrompt(in)
	assert.NotContains(t, plain, docapproval.RedirectHeading)
	k0, err := docapproval.ReviseKey(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "docapproval/doc-1/v3/revise", k0)

	in.Redirects = []string{"Shorter.", "  And friendlier.  "}
	p := docapproval.RevisePrompt(in)
	assert.Contains(t, p, "Emphasize safety.\n\n"+docapproval.RedirectHeading+"\nShorter.\nAnd friendlier.\n\n--- Current draft ---\nThe draft.")
	k2, err := docapproval.ReviseKey(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "docapproval/doc-1/v3/revise/r2", k2)

	d := docapproval.DraftInput{DocID: "doc-1", Prompt: "Draft a memo about safety."}
	assert.Equal(t, "Draft a memo about safety.\n\nWrite it as a clear, concise document. Tone: professional.", docapproval.DraftPrompt(d))
	d.Redirects = []string{"Mention the warranty."}
	assert.True(t, strings.HasPrefix(docapproval.DraftPrompt(d), "Draft a memo about safety.\n\n"+docapproval.RedirectHeading+"\nMention the warranty.\n\nWrite it"))
	dk, err := docapproval.DraftKey(ctx, d)
	require.NoError(t, err)
	assert.Equal(t, "docapproval/doc-1/v1/draft/r1", dk)
}

// What a version cost, on the review page, includes the generations
// reviewers stopped or redirected on the way to it.
func TestGenerationCountsInterruptedCalls(t *testing.T) {
	doc := docapproval.Document{
		Model:       "gpt-4o-mini",
		Call:        llm.Usage{Calls: 1, PromptTokens: 40, CompletionTokens: 60, CostUSD: 0.02},
		Interrupted: llm.Usage{Calls: 2, PromptTokens: 80, CompletionTokens: 5, CostUSD: 0.01},
	}
	g := doc.Generation()
	assert.Equal(t, 3, g.Calls)
	assert.Equal(t, int64(120), g.PromptTokens)
	assert.Equal(t, int64(65), g.CompletionTokens)
	assert.InDelta(t, 0.03, g.CostUSD, 1e-9)
	assert.True(t, g.CostKnown)
	doc.Interrupted.UnknownCostCalls = 1
	assert.False(t, doc.Generation().CostKnown, "an unpriced interrupted call makes the cost unknown")
}
