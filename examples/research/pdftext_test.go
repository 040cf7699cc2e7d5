package research_test

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
	"github.com/stretchr/testify/require"
)

// textLine is one line of text read back from a PDF: the strings shown at
// the same height of a page, in drawing order.
type textLine struct {
	Page int
	// Y is the baseline height in points from the bottom of the page.
	Y float64
	// X is where the first string of the line starts, in points.
	X float64
	// Font is the base font of the first string, e.g. "utf8goB".
	Font string
	// Size is the font size of the first string, in points.
	Size float64
	// Text is the line's text.
	Text string
	// Fonts lists the base font of every string on the line.
	Fonts []string
	// Words are the strings shown, one per font change or word.
	Words []string
}

// readPDF reads every line of text of a PDF written by RenderPDF.
//
// ledongthuc/pdf parses the file and its content streams, but its CMap
// decoder does not carry between bytes of a range, so the identity map fpdf
// writes for UTF-8 fonts (<0000> <FFFF> <0000>) turns U+0141 "Ł" into "A".
// The helper therefore checks that each font is Identity-H with exactly that
// map and decodes the shown strings itself as UTF-16BE, which is what the map
// says.
func readPDF(t testing.TB, b []byte) []textLine {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err, "the PDF parses")
	var lines []textLine
	for i := 1; i <= r.NumPage(); i++ {
		lines = append(lines, readPage(t, r.Page(i), i)...)
	}
	return lines
}

func readPage(t testing.TB, p pdf.Page, num int) []textLine {
	t.Helper()
	type fontInfo struct {
		base string
	}
	fonts := map[string]fontInfo{}
	for _, name := range p.Fonts() {
		f := p.Font(name)
		require.Equal(t, "Identity-H", f.V.Key("Encoding").Name(), "font %s encoding", name)
		rd := f.V.Key("ToUnicode").Reader()
		cmap, err := io.ReadAll(rd)
		require.NoError(t, err)
		require.NoError(t, rd.Close())
		require.Contains(t, string(cmap), "1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange",
			"font %s maps codes to Unicode one to one", name)
		fonts[name] = fontInfo{base: f.BaseFont()}
	}

	var (
		lines      []textLine
		font       string
		size, x, y float64
	)
	show := func(raw string) {
		u := make([]uint16, 0, len(raw)/2)
		for i := 0; i+1 < len(raw); i += 2 {
			u = append(u, uint16(raw[i])<<8|uint16(raw[i+1]))
		}
		s := string(utf16.Decode(u))
		if n := len(lines); n > 0 && lines[n-1].Page == num && math.Abs(lines[n-1].Y-y) < 0.5 {
			l := &lines[n-1]
			l.Text += s
			l.Fonts = append(l.Fonts, font)
			l.Words = append(l.Words, s)
			return
		}
		lines = append(lines, textLine{Page: num, Y: y, X: x, Font: font, Size: size, Text: s, Fonts: []string{font}, Words: []string{s}})
	}
	pdf.Interpret(p.V.Key("Contents"), func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		switch op {
		case "BT":
			x, y = 0, 0
		case "Td", "TD":
			if len(args) == 2 {
				x += args[0].Float64()
				y += args[1].Float64()
			}
		case "Tf":
			if len(args) == 2 {
				font = fonts[args[0].Name()].base
				size = args[1].Float64()
			}
		case "Tj":
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "TJ":
			if len(args) == 1 {
				for i := 0; i < args[0].Len(); i++ {
					if v := args[0].Index(i); v.Kind() == pdf.String {
						show(v.RawString())
					}
				}
			}
		}
	})
	for i := range lines {
		lines[i].Text = strings.TrimRight(lines[i].Text, " ")
	}
	return lines
}

// pageText joins the lines of one page.
func pageText(lines []textLine, page int) string {
	var b strings.Builder
	for _, l := range lines {
		if l.Page == page {
			b.WriteString(l.Text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// allText joins every line of the document.
func allText(lines []textLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// findLine returns the first line whose text contains s.
func findLine(lines []textLine, s string) (textLine, bool) {
	for _, l := range lines {
		if strings.Contains(l.Text, s) {
			return l, true
		}
	}
	return textLine{}, false
}
