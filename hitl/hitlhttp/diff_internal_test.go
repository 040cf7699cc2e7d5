package hitlhttp

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sides rebuilds the old and new texts from the edits.
func sides(ed []edit) (old, new []string) {
	for _, e := range ed {
		if e.op != opIns {
			old = append(old, e.text)
		}
		if e.op != opDel {
			new = append(new, e.text)
		}
	}
	return old, new
}

func editCount(ed []edit) int {
	n := 0
	for _, e := range ed {
		if e.op != opEq {
			n++
		}
	}
	return n
}

func TestMyersIsAShortestScript(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		edits int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"abcabba", "cbabac", 5}, // Myers' paper
		{"kitten", "sitting", 5},
		{"abcdef", "azced", 5},
	} {
		a, b := strings.Split(tc.a, ""), strings.Split(tc.b, "")
		if tc.a == "" {
			a = nil
		}
		if tc.b == "" {
			b = nil
		}
		ed := diffTokens(a, b, 100)
		old, new := sides(ed)
		assert.Equal(t, a, old, "%q -> %q", tc.a, tc.b)
		assert.Equal(t, b, new, "%q -> %q", tc.a, tc.b)
		assert.Equal(t, tc.edits, editCount(ed), "%q -> %q", tc.a, tc.b)
	}
}

func TestMyersRandomRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		out := make([]string, rng.IntN(40))
		for i := range out {
			out[i] = string(rune('a' + rng.IntN(4)))
		}
		return out
	}
	for range 500 {
		a, b := gen(), gen()
		ed := diffTokens(a, b, 1000)
		old, new := sides(ed)
		require.Len(t, old, len(a))
		require.Len(t, new, len(b))
		assert.Equal(t, strings.Join(a, ""), strings.Join(old, ""))
		assert.Equal(t, strings.Join(b, ""), strings.Join(new, ""))
		// Never worse than replacing everything, and equal to it only when
		// nothing is shared.
		assert.LessOrEqual(t, editCount(ed), len(a)+len(b))
	}
}

func TestMyersGivesUpToWholeReplacement(t *testing.T) {
	a, b := strings.Split("abcdefgh", ""), strings.Split("hgfedcba", "")
	ed := diffTokens(a, b, 2)
	old, new := sides(ed)
	assert.Equal(t, a, old)
	assert.Equal(t, b, new)
}

func TestSplitWordsJoinsBack(t *testing.T) {
	s := "Héllo,  wörld!\nIt's 2026 — new_line\t\tend."
	w := splitWords(s)
	assert.Equal(t, s, strings.Join(w, ""))
	assert.Contains(t, w, "Héllo")
	assert.Contains(t, w, "It's")
	assert.Contains(t, w, "\n")
	assert.Equal(t, 6, countWords(s))
}

func TestDiffTextWordsAndLines(t *testing.T) {
	old := "# Launch\n\nThe widget ships in May.\nPrice: $10.\nSupport by email.\n\nThanks."
	new := "# Launch\n\nThe turbo widget ships in June.\nSupport by email.\nWarranty: two years.\n\nThanks."
	d := diffText(old, new)
	require.False(t, d.Same())

	var kinds []string
	for _, r := range d.Rows {
		kinds = append(kinds, r.Kind)
	}
	assert.Equal(t, []string{"same", "same", "change", "del", "same", "ins", "same", "same"}, kinds,
		"the changed line is paired with its new form, the dropped one removed whole")
	assert.Equal(t, []DiffSpan{{Text: "The "}, {Op: "ins", Text: "turbo "}, {Text: "widget ships in "},
		{Op: "del", Text: "May"}, {Op: "ins", Text: "June"}, {Text: "."}}, d.Rows[2].Spans)
	assert.Equal(t, []DiffSpan{{Op: "del", Text: "Price: $10."}}, d.Rows[3].Spans)
	assert.Equal(t, []DiffSpan{{Op: "ins", Text: "Warranty: two years."}}, d.Rows[5].Spans)
	assert.Equal(t, 3, d.LinesChanged)
	assert.Equal(t, 5, d.WordsAdded, "turbo, June, Warranty, two, years")
	assert.Equal(t, 3, d.WordsRemoved, "May, Price, 10")
}

func TestDiffTextSameLineCountsRewriteInPlace(t *testing.T) {
	d := diffText("alpha beta gamma\nsecond line here", "alpha BETA gamma\nsecond line there")
	require.Len(t, d.Rows, 1)
	var oldSide, newSide strings.Builder
	for _, s := range d.Rows[0].Spans {
		if s.Op != "ins" {
			oldSide.WriteString(s.Text)
		}
		if s.Op != "del" {
			newSide.WriteString(s.Text)
		}
	}
	assert.Equal(t, "alpha beta gamma\nsecond line here", oldSide.String())
	assert.Equal(t, "alpha BETA gamma\nsecond line there", newSide.String())
}

func TestDiffTextCollapsesUnchangedLines(t *testing.T) {
	var lines []string
	for i := range 30 {
		lines = append(lines, "line "+strings.Repeat("x", i))
	}
	old := strings.Join(lines, "\n")
	lines[15] = "changed"
	d := diffText(old, strings.Join(lines, "\n"))
	var kinds []string
	gap := 0
	for _, r := range d.Rows {
		kinds = append(kinds, r.Kind)
		gap += r.Gap
	}
	assert.Equal(t, []string{"gap", "same", "same", "change", "same", "same", "gap"}, kinds)
	assert.Equal(t, 25, gap)
	assert.Equal(t, 1, d.LinesChanged)
	assert.True(t, diffText(old, old).Same())
}
