package research_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/examples/research"
)

const nonASCII = "Zürich, naïve, café, Łódź, Ελληνικά, Русский"

const sampleMarkdown = `# Tardigrades

Tardigrades are *tiny* animals with **remarkable** survival skills, see [the survey](https://example.org/tardigrades) and ` + "`cryptobiosis`" + `.

## Five facts

- They survive vacuum.
- They live in moss, from ` + nonASCII + `.
- Nested:
  - first inner
  - second inner

1. Tun state
2. Radiation tolerance
3. Ancient lineage

### Code

` + "```" + `
go test ./...
` + "```" + `

> A quoted line.

---

Final paragraph with a hard break  
and a second line.
`

var sampleMeta = research.Meta{
	Topic:      "Give me five facts about tardigrades",
	Model:      "gpt-4o-mini",
	WorkflowID: "research-test-1",
	Date:       time.Date(2025, time.March, 14, 9, 26, 0, 0, time.UTC),
	Tokens:     321,
	CostUSD:    0.0012,
	CostKnown:  true,
}

func renderSample(t *testing.T) ([]byte, []textLine) {
	t.Helper()
	b, err := research.RenderPDF("Tardigrades: a report", sampleMarkdown, sampleMeta)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "%PDF-"), "starts like a PDF")
	return b, readPDF(t, b)
}

func TestRenderPDFTitlePage(t *testing.T) {
	_, lines := renderSample(t)
	page1 := pageText(lines, 1)
	assert.Contains(t, page1, "Research report")
	assert.Contains(t, page1, "Tardigrades: a report")
	assert.Contains(t, page1, "Give me five facts about tardigrades")
	assert.Contains(t, page1, "gpt-4o-mini")
	assert.Contains(t, page1, "14 March 2025, 09:26 UTC")
	assert.Contains(t, page1, "321")
	assert.Contains(t, page1, "$0.0012")
	assert.Contains(t, page1, "research-test-1")
	assert.NotContains(t, page1, "remarkable", "the body starts on page 2")

	title, ok := findLine(lines, "Tardigrades: a report")
	require.True(t, ok)
	assert.Equal(t, 1, title.Page)
	assert.Equal(t, "utf8goB", title.Font, "the title is bold")
	for _, l := range lines {
		assert.LessOrEqual(t, l.Size, title.Size, "nothing is larger than the title: %q", l.Text)
	}
}

func TestRenderPDFHeadingsInOrder(t *testing.T) {
	_, lines := renderSample(t)
	var headings []textLine
	for _, l := range lines {
		if l.Page > 1 && l.Font == "utf8goB" && l.Size > 11 {
			headings = append(headings, l)
		}
	}
	require.Len(t, headings, 3, "three headings: %+v", headings)
	assert.Equal(t, "Tardigrades", headings[0].Text)
	assert.Equal(t, "Five facts", headings[1].Text)
	assert.Equal(t, "Code", headings[2].Text)
	assert.Greater(t, headings[0].Size, headings[1].Size, "h1 is larger than h2")
	assert.Greater(t, headings[1].Size, headings[2].Size, "h2 is larger than h3")
	assert.Greater(t, headings[0].Y, headings[1].Y, "h1 is above h2 on the page")
}

func TestRenderPDFListsAndEmphasis(t *testing.T) {
	_, lines := renderSample(t)
	text := allText(lines)
	for _, want := range []string{
		"• They survive vacuum.",
		"• They live in moss, from " + nonASCII + ".",
		"– first inner",
		"– second inner",
		"1. Tun state",
		"2. Radiation tolerance",
		"3. Ancient lineage",
		"go test ./...",
		"A quoted line.",
		"Final paragraph with a hard break",
		"and a second line.",
	} {
		assert.Contains(t, text, want+"\n", "a line reads %q", want)
	}

	inner, ok := findLine(lines, "first inner")
	require.True(t, ok)
	outer, ok := findLine(lines, "They survive vacuum.")
	require.True(t, ok)
	assert.Greater(t, inner.X, outer.X, "a nested list is indented")

	para, ok := findLine(lines, "remarkable")
	require.True(t, ok)
	fontOf := func(word string) string {
		for i, w := range para.Words {
			if strings.Contains(w, word) {
				return para.Fonts[i]
			}
		}
		return ""
	}
	assert.Equal(t, "utf8goI", fontOf("tiny"), "*tiny* is italic")
	assert.Equal(t, "utf8goB", fontOf("remarkable"), "**remarkable** is bold")
	assert.Equal(t, "utf8gomono", fontOf("cryptobiosis"), "a code span is monospaced")
	assert.Equal(t, "utf8go", fontOf("survey"), "link text is plain text")
	assert.Contains(t, para.Text, "see the survey and cryptobiosis.")
}

func TestRenderPDFNonASCIIRoundTrips(t *testing.T) {
	b, err := research.RenderPDF(nonASCII, nonASCII+"\n\n## "+nonASCII, research.Meta{Topic: nonASCII})
	require.NoError(t, err)
	lines := readPDF(t, b)
	assert.Contains(t, pageText(lines, 1), nonASCII+"\n", "title and topic")
	assert.Equal(t, 3, strings.Count(pageText(lines, 2), nonASCII+"\n"), "page header, paragraph and heading: %q", pageText(lines, 2))
}

func TestRenderPDFReplacesWhatTheFontsLack(t *testing.T) {
	b, err := research.RenderPDF("emoji", "smile 😀, kanji 漢字, bad \xff byte, tab\there", research.Meta{})
	require.NoError(t, err)
	text := pageText(readPDF(t, b), 2)
	assert.Contains(t, text, "smile \uFFFD, kanji \uFFFD\uFFFD, bad \uFFFD byte, tab here")
}

func TestRenderPDFIsDeterministic(t *testing.T) {
	a, _ := renderSample(t)
	b, _ := renderSample(t)
	assert.True(t, bytes.Equal(a, b), "same input, same bytes (no clock, sorted catalog)")
}

func TestRenderPDFBreaksPages(t *testing.T) {
	var md strings.Builder
	for i := range 120 {
		md.WriteString("Paragraph ")
		md.WriteString(strings.Repeat("word ", 30))
		md.WriteString(time.Duration(i).String())
		md.WriteString("\n\n")
	}
	b, err := research.RenderPDF("Long", md.String(), research.Meta{})
	require.NoError(t, err)
	lines := readPDF(t, b)
	last := lines[len(lines)-1].Page
	assert.Greater(t, last, 5, "120 long paragraphs fill several pages")
	for p := 2; p <= last; p++ {
		assert.Contains(t, pageText(lines, p), "Page ", "page %d has a footer", p)
	}
	assert.Contains(t, allText(lines), "119ns\n", "the last paragraph is drawn")
}

// TestReadPDFAgreesWithLibrary checks the test's own decoder against
// ledongthuc/pdf's plain text on ASCII, where the library decodes correctly.
func TestReadPDFAgreesWithLibrary(t *testing.T) {
	b, err := research.RenderPDF("Plain title", "Plain *text* only.", research.Meta{})
	require.NoError(t, err)
	r, err := pdf.NewReader(strings.NewReader(string(b)), int64(len(b)))
	require.NoError(t, err)
	lib, err := r.Page(2).GetPlainText(nil)
	require.NoError(t, err)
	ours := pageText(readPDF(t, b), 2)
	assert.Equal(t, strings.Join(strings.Fields(lib), " "), strings.Join(strings.Fields(ours), " "))
}

func FuzzRenderPDF(f *testing.F) {
	for _, s := range []string{
		sampleMarkdown,
		"",
		"# only a heading",
		"- a\n  - b\n    - c\n      - d\n        - e\n          - f\n            - g",
		strings.Repeat(">", 200) + " deep quote",
		"1. " + strings.Repeat("x", 5000),
		"```\n\x00\x01\t\r\n```",
		"<div>html</div>\n\n<b>inline</b> &amp; &#x1F600; \\*",
		"![alt *text*](img.png) <https://example.org> [ref]\n\n[ref]: https://example.org",
		"😀\xff\xfe" + nonASCII,
		"***\n---\n___",
		"Setext\n===\n\nTwo\n---",
	} {
		f.Add("title", s)
	}
	f.Fuzz(func(t *testing.T, title, md string) {
		b, err := research.RenderPDF(title, md, research.Meta{Topic: title})
		if err != nil {
			return
		}
		if !strings.HasPrefix(string(b), "%PDF-") {
			t.Fatalf("output is not a PDF: %q", b[:min(len(b), 16)])
		}
	})
}
