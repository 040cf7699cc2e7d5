package research

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// Meta is what the title page of a report says besides its title. Empty
// fields are left off the page.
type Meta struct {
	// Topic is the question the report answers.
	Topic string
	// Model is the model that wrote the report.
	Model string
	// WorkflowID is the workflow that produced the report.
	WorkflowID string
	// Date is when the report was written. It is printed on the title page
	// and stored as the PDF's creation date; zero leaves it off the page and
	// stores a fixed date, so the same input always gives the same bytes.
	Date time.Time
	// Tokens is the number of tokens the model call used; 0 leaves it off.
	Tokens int
	// CostUSD is the model call's price in US dollars, printed when CostKnown.
	CostUSD float64
	// CostKnown reports whether CostUSD is known.
	CostKnown bool
	// Offline marks a report written by the offline model.
	Offline bool
}

// Page layout in millimetres (A4) and points.
const (
	pageMargin   = 20.0
	bodySize     = 11.0
	bodyLine     = 5.6
	codeSize     = 9.0
	codeLine     = 4.6
	indentStep   = 6.0
	maxIndent    = 5 * indentStep // deeper nesting is drawn at this indent
	blockSpace   = 2.6
	fontFamily   = "go"
	monoFamily   = "gomono"
	defaultTitle = "Research report"
)

// fixedDate is the PDF creation date used when [Meta.Date] is zero.
var fixedDate = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// headingSizes are the font sizes of heading levels 1 to 6.
var headingSizes = [...]float64{18, 15, 13, 12, 11.5, 11}

// bullets are the list markers by nesting depth.
var bullets = [...]string{"•", "–", "◦"}

// RenderPDF renders markdown as an A4 PDF report: a title page with title and
// meta, then the body with headings, paragraphs, emphasis, bullet and ordered
// lists, block quotes, code spans and blocks, and links as clickable text.
//
// Text is drawn with the Go fonts (Latin, Greek, Cyrillic and common
// symbols); a character the fonts do not cover, such as CJK or emoji, is
// drawn as U+FFFD, and invalid UTF-8 and control characters are replaced
// too. RenderPDF is a pure function: the same arguments give the same bytes,
// and it is safe for concurrent use.
func RenderPDF(title string, markdown string, meta Meta) ([]byte, error) {
	title = strings.Join(strings.Fields(clean(title)), " ")
	if title == "" {
		title = defaultTitle
	}
	src := []byte(markdown)
	doc := goldmark.DefaultParser().Parse(text.NewReader(src))

	pdf := fpdf.New("P", "mm", "A4", "")
	date := meta.Date
	if date.IsZero() {
		date = fixedDate
	}
	pdf.SetCreationDate(date)
	pdf.SetModificationDate(date)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(title, true)
	if meta.Topic != "" {
		pdf.SetSubject(clean(meta.Topic), true)
	}
	pdf.SetCreator("durable-llm research example", true)
	pdf.SetMargins(pageMargin, pageMargin, pageMargin)
	pdf.SetAutoPageBreak(true, pageMargin)

	r := &renderer{pdf: pdf, src: src, title: title, added: map[string]bool{}}
	pdf.SetHeaderFunc(r.header)
	pdf.SetFooterFunc(r.footer)
	r.titlePage(meta)
	pdf.AddPage()
	r.blocks(doc, 0)

	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("research: render PDF: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("research: write PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// style is how a run of inline text is drawn.
type style struct {
	bold, italic, mono bool
	link               string
}

// run is inline text with one style.
type run struct {
	text string
	st   style
}

// renderer walks a goldmark AST and draws it on an fpdf document.
type renderer struct {
	pdf   *fpdf.Fpdf
	src   []byte
	title string
	size  float64 // font size of the current block
	line  float64 // line height of the current block
	grey  bool    // text inside a block quote
	added map[string]bool
}

// fonts are the TrueType files by family and style.
var fonts = map[string][]byte{
	fontFamily:        goregular.TTF,
	fontFamily + "B":  gobold.TTF,
	fontFamily + "I":  goitalic.TTF,
	fontFamily + "BI": gobolditalic.TTF,
	monoFamily:        gomono.TTF,
}

// setFont selects a font, embedding it on first use (an unused font would
// still be embedded). fpdf writes into the font bytes it is given while it
// subsets them, so it gets a copy: the shared gofont slices stay intact and
// renders in one process stay identical and race-free.
func (r *renderer) setFont(family, style string, size float64) {
	if key := family + style; !r.added[key] {
		r.added[key] = true
		r.pdf.AddUTF8FontFromBytes(family, style, bytes.Clone(fonts[key]))
	}
	r.pdf.SetFont(family, style, size)
}

func (r *renderer) header() {
	if r.pdf.PageNo() == 1 {
		return
	}
	r.setFont(fontFamily, "I", 8)
	r.pdf.SetTextColor(120, 120, 120)
	w, _ := r.pdf.GetPageSize()
	r.pdf.SetXY(pageMargin, 10)
	r.pdf.CellFormat(w-2*pageMargin, 4, r.fit(r.title, w-2*pageMargin), "B", 1, "L", false, 0, "")
	r.pdf.SetY(pageMargin)
}

func (r *renderer) footer() {
	if r.pdf.PageNo() == 1 {
		return
	}
	r.pdf.SetY(-13)
	r.setFont(fontFamily, "", 8)
	r.pdf.SetTextColor(120, 120, 120)
	r.pdf.CellFormat(0, 4, "Page "+strconv.Itoa(r.pdf.PageNo()), "", 0, "C", false, 0, "")
}

// fit shortens s with an ellipsis until it is at most w wide in the current font.
func (r *renderer) fit(s string, w float64) string {
	if r.pdf.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && r.pdf.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}

func (r *renderer) titlePage(meta Meta) {
	pdf := r.pdf
	pdf.AddPage()
	w, _ := pdf.GetPageSize()
	width := w - 2*pageMargin

	pdf.SetY(70)
	r.setFont(fontFamily, "I", 13)
	pdf.SetTextColor(110, 110, 110)
	pdf.CellFormat(width, 7, "Research report", "", 1, "C", false, 0, "")
	pdf.Ln(4)
	r.setFont(fontFamily, "B", 26)
	pdf.SetTextColor(20, 40, 80)
	pdf.MultiCell(width, 11, r.fit(r.title, 4*width), "", "C", false)
	pdf.Ln(4)
	y := pdf.GetY()
	pdf.SetDrawColor(20, 40, 80)
	pdf.SetLineWidth(0.6)
	pdf.Line(w/2-30, y, w/2+30, y)
	pdf.Ln(14)

	var rows [][2]string
	add := func(label, value string) {
		if value = strings.Join(strings.Fields(clean(value)), " "); value != "" {
			rows = append(rows, [2]string{label, value})
		}
	}
	add("Topic", meta.Topic)
	model := meta.Model
	if meta.Offline && model != "" {
		model += " (offline)"
	} else if meta.Offline {
		model = "offline model"
	}
	add("Model", model)
	if !meta.Date.IsZero() {
		add("Date", meta.Date.UTC().Format("2 January 2006, 15:04 UTC"))
	}
	if meta.Tokens > 0 {
		add("Tokens", strconv.Itoa(meta.Tokens))
	}
	if meta.CostKnown {
		add("Cost", formatUSD(meta.CostUSD))
	}
	add("Workflow", meta.WorkflowID)

	const labelW = 28.0
	for _, row := range rows {
		pdf.SetX(pageMargin + 10)
		r.setFont(fontFamily, "B", 10)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(labelW, 5.5, row[0]+" ", "", 0, "L", false, 0, "")
		r.setFont(fontFamily, "", 10)
		pdf.SetTextColor(0, 0, 0)
		pdf.MultiCell(width-20-labelW, 5.5, row[1], "", "L", false)
		pdf.Ln(1)
	}
}

// blocks draws the block children of n at the given indent (mm from the margin).
func (r *renderer) blocks(n ast.Node, indent float64) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		r.block(c, indent)
	}
}

func (r *renderer) block(n ast.Node, indent float64) {
	indent = min(indent, maxIndent)
	switch n := n.(type) {
	case *ast.Heading:
		r.heading(n, indent)
	case *ast.Paragraph, *ast.TextBlock:
		r.paragraph(n, indent)
	case *ast.List:
		r.list(n, indent)
	case *ast.Blockquote:
		grey := r.grey
		r.grey = true
		r.blocks(n, indent+indentStep)
		r.grey = grey
	case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.HTMLBlock:
		r.code(n, indent)
	case *ast.ThematicBreak:
		r.rule(indent)
	default:
		r.blocks(n, indent)
	}
}

// begin sets the font and line height of a block and moves to its left edge.
func (r *renderer) begin(indent, size, line float64) {
	r.size, r.line = size, line
	r.pdf.SetLeftMargin(pageMargin + indent)
	r.pdf.SetX(pageMargin + indent)
	if r.grey {
		r.pdf.SetTextColor(85, 85, 85)
	} else {
		r.pdf.SetTextColor(0, 0, 0)
	}
}

// end finishes the current line of a block and adds the space after it.
func (r *renderer) end(space float64) {
	r.pdf.Ln(r.line)
	r.pdf.Ln(space)
	r.pdf.SetLeftMargin(pageMargin)
}

// room starts a new page unless h millimetres are left on this one.
func (r *renderer) room(h float64) {
	_, ph := r.pdf.GetPageSize()
	if r.pdf.GetY()+h > ph-pageMargin {
		r.pdf.AddPage()
	}
}

func (r *renderer) heading(n *ast.Heading, indent float64) {
	level := min(max(n.Level, 1), len(headingSizes))
	size := headingSizes[level-1]
	line := size * 0.5
	_, ph := r.pdf.GetPageSize()
	if y := r.pdf.GetY(); y > pageMargin+1 && y < ph-pageMargin {
		r.pdf.Ln(size * 0.25) // space above, except at the top of a page
	}
	r.room(line + 3*bodyLine) // keep the heading with what follows
	r.pdf.Bookmark(clean(plain(n, r.src)), level-1, -1)
	r.begin(indent, size, line)
	r.pdf.SetTextColor(20, 40, 80)
	r.inlines(n, style{bold: true})
	r.end(1.5)
}

func (r *renderer) paragraph(n ast.Node, indent float64) {
	r.begin(indent, bodySize, bodyLine)
	r.inlines(n, style{})
	space := blockSpace
	if l, ok := n.Parent().(*ast.ListItem); ok && l.Parent() != nil {
		if list, ok := l.Parent().(*ast.List); ok && list.IsTight {
			space = 0.8
		}
	}
	r.end(space)
}

func (r *renderer) list(n *ast.List, indent float64) {
	depth := 0
	for p := n.Parent(); p != nil; p = p.Parent() {
		if _, ok := p.(*ast.List); ok {
			depth++
		}
	}
	num := n.Start
	for item := n.FirstChild(); item != nil; item = item.NextSibling() {
		marker := bullets[depth%len(bullets)]
		if n.IsOrdered() {
			marker = strconv.Itoa(num) + "."
			num++
		}
		r.room(bodyLine)
		itemIndent := min(indent+indentStep, maxIndent)
		r.setFont(fontFamily, "", bodySize)
		r.pdf.SetTextColor(0, 0, 0)
		marker += " "
		mw := r.pdf.GetStringWidth(marker)
		r.pdf.SetX(pageMargin + itemIndent - mw)
		r.pdf.CellFormat(mw, bodyLine, marker, "", 0, "L", false, 0, "")
		if item.FirstChild() == nil {
			r.pdf.Ln(bodyLine)
			continue
		}
		if _, ok := item.FirstChild().(*ast.List); ok {
			r.pdf.Ln(bodyLine) // a nested list right after the marker
		}
		r.blocks(item, itemIndent)
	}
	if _, nested := n.Parent().(*ast.ListItem); !nested {
		r.pdf.Ln(blockSpace)
	}
}

func (r *renderer) code(n ast.Node, indent float64) {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(r.src))
	}
	if h, ok := n.(*ast.HTMLBlock); ok && h.HasClosure() {
		b.Write(h.ClosureLine.Value(r.src))
	}
	body := strings.TrimRight(strings.ReplaceAll(b.String(), "\t", "    "), "\n ")
	body = clean(body)
	r.begin(indent, codeSize, codeLine)
	w, _ := r.pdf.GetPageSize()
	r.setFont(monoFamily, "", codeSize)
	r.pdf.SetFillColor(242, 242, 242)
	r.pdf.MultiCell(w-2*pageMargin-indent, codeLine, body, "", "L", true)
	r.pdf.Ln(blockSpace)
	r.pdf.SetLeftMargin(pageMargin)
}

func (r *renderer) rule(indent float64) {
	w, _ := r.pdf.GetPageSize()
	r.room(6)
	r.pdf.Ln(2)
	y := r.pdf.GetY()
	r.pdf.SetDrawColor(180, 180, 180)
	r.pdf.SetLineWidth(0.3)
	r.pdf.Line(pageMargin+indent, y, w-pageMargin, y)
	r.pdf.Ln(4)
}

// inlines draws the inline children of n as flowing text starting in st.
func (r *renderer) inlines(n ast.Node, st style) {
	var runs []run
	r.collect(n, st, &runs)
	for i, rn := range runs {
		// fpdf moves past a lone space without drawing it, which loses the
		// space in the PDF's text; carry it over to the next run instead.
		if strings.Trim(rn.text, " ") == "" && rn.text != "" && i+1 < len(runs) && runs[i+1].text != "\n" {
			runs[i+1].text = rn.text + runs[i+1].text
			continue
		}
		r.write(rn)
	}
}

// collect gathers the inline text under n into runs.
func (r *renderer) collect(n ast.Node, st style, runs *[]run) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Value(r.src)
			if !c.IsRaw() {
				v = unescape(v)
			}
			*runs = append(*runs, run{text: string(v), st: st})
			switch {
			case c.HardLineBreak():
				*runs = append(*runs, run{text: "\n", st: st})
			case c.SoftLineBreak():
				*runs = append(*runs, run{text: " ", st: st})
			}
		case *ast.String:
			v := c.Value
			if !c.IsRaw() && !c.IsCode() {
				v = unescape(v)
			}
			*runs = append(*runs, run{text: string(v), st: st})
		case *ast.CodeSpan:
			s := st
			s.mono = true
			r.collect(c, s, runs)
		case *ast.Emphasis:
			s := st
			if c.Level >= 2 {
				s.bold = true
			} else {
				s.italic = true
			}
			r.collect(c, s, runs)
		case *ast.Link:
			s := st
			s.link = string(c.Destination)
			r.collect(c, s, runs)
		case *ast.AutoLink:
			s := st
			s.link = string(c.URL(r.src))
			*runs = append(*runs, run{text: string(c.Label(r.src)), st: s})
		case *ast.Image:
			s := st
			s.italic = true
			*runs = append(*runs, run{text: "[image: ", st: s})
			r.collect(c, s, runs)
			*runs = append(*runs, run{text: "]", st: s})
		case *ast.RawHTML:
			for i := 0; i < c.Segments.Len(); i++ {
				seg := c.Segments.At(i)
				*runs = append(*runs, run{text: string(seg.Value(r.src)), st: st})
			}
		default:
			r.collect(c, st, runs)
		}
	}
}

// write draws one run word by word (fpdf's Write is quadratic in the length
// of its text) so long paragraphs stay fast.
func (r *renderer) write(rn run) {
	pdf := r.pdf
	switch {
	case rn.st.mono:
		r.setFont(monoFamily, "", r.size*0.92)
	default:
		s := ""
		if rn.st.bold {
			s += "B"
		}
		if rn.st.italic {
			s += "I"
		}
		r.setFont(fontFamily, s, r.size)
	}
	if rn.st.link != "" {
		pdf.SetTextColor(20, 70, 160)
		defer pdf.SetTextColor(0, 0, 0)
		if r.grey {
			defer pdf.SetTextColor(85, 85, 85)
		}
	}
	txt := clean(rn.text)
	for txt != "" {
		if txt[0] == '\n' {
			pdf.Ln(r.line)
			txt = txt[1:]
			continue
		}
		// A word is leading spaces, the word and its trailing spaces.
		lead := len(txt) - len(strings.TrimLeft(txt, " "))
		end := strings.IndexAny(txt[lead:], " \n")
		if end < 0 {
			end = len(txt)
		} else {
			end += lead
			for end < len(txt) && txt[end] == ' ' {
				end++
			}
		}
		word := txt[:end]
		txt = txt[end:]
		if rn.st.link != "" {
			pdf.WriteLinkString(r.line, word, rn.st.link)
		} else {
			pdf.Write(r.line, word)
		}
	}
}

// unescape resolves backslash escapes and entity references the way
// goldmark's HTML renderer does.
func unescape(b []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(b)))
}

// plain returns the text of the inline children of n without styling.
func plain(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(unescape(c.Value(src)))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.AutoLink:
				b.Write(c.Label(src))
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// clean makes s safe to draw: invalid UTF-8, characters the fonts lack and
// control characters other than newline become U+FFFD or a space.
func clean(s string) string {
	ok := true
	for _, c := range s {
		if c == utf8.RuneError || c == '\t' || c == '\r' || !drawable(c) && c != '\n' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '\n':
			b.WriteByte('\n')
		case c == '\t', c == '\r', unicode.IsSpace(c):
			b.WriteByte(' ')
		case unicode.IsControl(c):
			// dropped
		case drawable(c):
			b.WriteRune(c)
		default:
			b.WriteRune(utf8.RuneError)
		}
	}
	return b.String()
}

// formatUSD prints a price with up to six decimals and at least two:
// $0.000342, $1.50, $0.00.
func formatUSD(v float64) string {
	s := strings.TrimRight(fmt.Sprintf("%.6f", v), "0")
	if i := strings.IndexByte(s, '.'); len(s)-i < 3 {
		s += strings.Repeat("0", 3-(len(s)-i))
	}
	return "$" + s
}
