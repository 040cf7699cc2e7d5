package hitlhttp

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of the diff: beyond them a block is shown as removed and added
// whole, which is still correct, just less precise.
const (
	maxLineEdits = 2000
	maxWordEdits = 4000
	diffContext  = 2 // unchanged lines shown around a change
)

// Diff is a readable difference between two texts: lines first, then the
// words of each changed block. It is what the review page shows.
type Diff struct {
	// Rows are the lines in order: unchanged, removed, added, changed
	// in place (with word spans), or a gap of unchanged lines not shown.
	Rows []DiffRow
	// LinesChanged counts rows that are not unchanged; WordsAdded and
	// WordsRemoved count the words (not spaces) inserted and deleted.
	LinesChanged, WordsAdded, WordsRemoved int
}

// Same reports whether the texts are equal.
func (d Diff) Same() bool { return d.LinesChanged == 0 }

// DiffRow is one row of a [Diff].
type DiffRow struct {
	// Kind is "same", "del", "ins", "change" or "gap".
	Kind string
	// Spans are the row's pieces: Op "" (unchanged), "del" or "ins".
	Spans []DiffSpan
	// Gap is the number of unchanged lines a "gap" row stands for.
	Gap int
}

// DiffSpan is a run of text with one edit operation.
type DiffSpan struct {
	Op   string
	Text string
}

type opKind uint8

const (
	opEq opKind = iota
	opDel
	opIns
)

type edit struct {
	op   opKind
	text string
}

// diffText compares old and new line by line, then word by word inside
// every block of lines removed and added together.
func diffText(old, new string) Diff {
	var d Diff
	ed := diffTokens(splitLines(old), splitLines(new), maxLineEdits)
	var rows []DiffRow
	for i := 0; i < len(ed); {
		if ed[i].op == opEq {
			rows = append(rows, DiffRow{Kind: "same", Spans: []DiffSpan{{Text: ed[i].text}}})
			i++
			continue
		}
		var dels, ins []string
		for ; i < len(ed) && ed[i].op != opEq; i++ {
			if ed[i].op == opDel {
				dels = append(dels, ed[i].text)
			} else {
				ins = append(ins, ed[i].text)
			}
		}
		rows = append(rows, d.block(dels, ins)...)
	}
	d.Rows = collapse(rows)
	return d
}

// block renders one run of removed and added lines: in place, word by
// word, when both sides have some; else as whole lines.
func (d *Diff) block(dels, ins []string) []DiffRow {
	var rows []DiffRow
	if len(dels) == 0 || len(ins) == 0 {
		kind, op := "del", "del"
		lines := dels
		if len(dels) == 0 {
			kind, op, lines = "ins", "ins", ins
		}
		for _, l := range lines {
			rows = append(rows, DiffRow{Kind: kind, Spans: []DiffSpan{{Op: op, Text: l}}})
			n := countWords(l)
			if op == "del" {
				d.WordsRemoved += n
			} else {
				d.WordsAdded += n
			}
		}
		d.LinesChanged += len(lines)
		return rows
	}
	if len(dels) != len(ins) && len(dels)*len(ins) <= maxAlignCells {
		return d.aligned(dels, ins)
	}
	return []DiffRow{d.change(dels, ins)}
}

// change is one row of dels rewritten as ins, word by word.
func (d *Diff) change(dels, ins []string) DiffRow {
	words := diffTokens(splitWords(strings.Join(dels, "\n")), splitWords(strings.Join(ins, "\n")), maxWordEdits)
	spans := tidy(words)
	for _, s := range spans {
		switch s.Op {
		case "del":
			d.WordsRemoved += countWords(s.Text)
		case "ins":
			d.WordsAdded += countWords(s.Text)
		}
	}
	d.LinesChanged += max(len(dels), len(ins))
	return DiffRow{Kind: "change", Spans: spans}
}

// aligned pairs the removed and added lines that resemble each other (in
// order, most shared words first) and shows each pair changed in place,
// the others removed or added whole.
func (d *Diff) aligned(dels, ins []string) []DiffRow {
	n, m := len(dels), len(ins)
	score := make([][]float64, n+1)
	for i := range score {
		score[i] = make([]float64, m+1)
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			best := max(score[i-1][j], score[i][j-1])
			if s := similarity(dels[i-1], ins[j-1]); s >= minSimilarity {
				best = max(best, score[i-1][j-1]+s)
			}
			score[i][j] = best
		}
	}
	var rev []DiffRow
	i, j := n, m
	for i > 0 || j > 0 {
		switch {
		case i > 0 && j > 0 && score[i][j] != score[i-1][j] && score[i][j] != score[i][j-1]:
			rev = append(rev, d.change(dels[i-1:i], ins[j-1:j]))
			i, j = i-1, j-1
		case j > 0 && (i == 0 || score[i][j] == score[i][j-1]):
			rev = append(rev, d.block(nil, ins[j-1:j])...)
			j--
		default:
			rev = append(rev, d.block(dels[i-1:i], nil)...)
			i--
		}
	}
	out := make([]DiffRow, len(rev))
	for k, r := range rev {
		out[len(rev)-1-k] = r
	}
	return out
}

// Alignment bounds: lines sharing fewer words than minSimilarity (Dice
// coefficient of their words) are not paired, and blocks larger than
// maxAlignCells line pairs are compared as one.
const (
	minSimilarity = 0.4
	maxAlignCells = 2500
)

// similarity is the share of words two lines have in common.
func similarity(a, b string) float64 {
	wa, wb := words(a), words(b)
	if len(wa)+len(wb) == 0 {
		return 1
	}
	count := map[string]int{}
	for _, w := range wa {
		count[w]++
	}
	common := 0
	for _, w := range wb {
		if count[w] > 0 {
			count[w]--
			common++
		}
	}
	return 2 * float64(common) / float64(len(wa)+len(wb))
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return runeClass(r) != 1 })
}

// collapse replaces long runs of unchanged lines by gaps, keeping
// diffContext lines around each change.
func collapse(rows []DiffRow) []DiffRow {
	var out []DiffRow
	for i := 0; i < len(rows); {
		if rows[i].Kind != "same" {
			out = append(out, rows[i])
			i++
			continue
		}
		j := i
		for j < len(rows) && rows[j].Kind == "same" {
			j++
		}
		head, tail := diffContext, diffContext
		if i == 0 {
			head = 0
		}
		if j == len(rows) {
			tail = 0
		}
		if j-i <= head+tail+1 {
			out = append(out, rows[i:j]...)
		} else {
			out = append(out, rows[i:i+head]...)
			out = append(out, DiffRow{Kind: "gap", Gap: j - i - head - tail})
			out = append(out, rows[j-tail:j]...)
		}
		i = j
	}
	return out
}

// tidy merges the word edits into spans a reader follows: within each
// changed stretch every removed piece comes before every added one, and
// a lone space between two changes joins them.
func tidy(ed []edit) []DiffSpan {
	// A whitespace-only equal run between changes becomes part of both sides.
	for i := 1; i+1 < len(ed); i++ {
		if ed[i].op == opEq && strings.TrimSpace(ed[i].text) == "" && !strings.Contains(ed[i].text, "\n") &&
			ed[i-1].op != opEq && ed[i+1].op != opEq {
			ed = append(ed[:i], append([]edit{{opDel, ed[i].text}, {opIns, ed[i].text}}, ed[i+1:]...)...)
		}
	}
	var out []DiffSpan
	var del, ins strings.Builder
	flush := func() {
		if del.Len() > 0 {
			out = append(out, DiffSpan{Op: "del", Text: del.String()})
		}
		if ins.Len() > 0 {
			out = append(out, DiffSpan{Op: "ins", Text: ins.String()})
		}
		del.Reset()
		ins.Reset()
	}
	for _, e := range ed {
		switch e.op {
		case opDel:
			del.WriteString(e.text)
		case opIns:
			ins.WriteString(e.text)
		default:
			flush()
			if n := len(out); n > 0 && out[n-1].Op == "" {
				out[n-1].Text += e.text
			} else {
				out = append(out, DiffSpan{Text: e.text})
			}
		}
	}
	flush()
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
}

// splitWords cuts s into words (letters and digits), runs of spaces, line
// breaks and single other characters; joined, they give s back.
func splitWords(s string) []string {
	var out []string
	for s != "" {
		r, n := utf8.DecodeRuneInString(s)
		class := runeClass(r)
		if class == 0 {
			out = append(out, s[:n])
			s = s[n:]
			continue
		}
		i := n
		for i < len(s) {
			r2, n2 := utf8.DecodeRuneInString(s[i:])
			if runeClass(r2) != class {
				break
			}
			i += n2
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// runeClass groups runes into words (1) and spaces (2); 0 stands alone.
func runeClass(r rune) int {
	switch {
	case r == '\n':
		return 0
	case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '_':
		return 1
	case unicode.IsSpace(r):
		return 2
	}
	return 0
}

func countWords(s string) int { return len(words(s)) }

// diffTokens returns the edits turning a into b (Myers' algorithm after
// trimming the common prefix and suffix). When more than maxD edits are
// needed, the differing middle is removed and added whole.
func diffTokens(a, b []string, maxD int) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]edit, 0, len(a)+len(b))
	for _, t := range a[:pre] {
		out = append(out, edit{opEq, t})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	mid, ok := myers(ma, mb, maxD)
	if !ok {
		mid = mid[:0]
		for _, t := range ma {
			mid = append(mid, edit{opDel, t})
		}
		for _, t := range mb {
			mid = append(mid, edit{opIns, t})
		}
	}
	out = append(out, mid...)
	for _, t := range a[len(a)-suf:] {
		out = append(out, edit{opEq, t})
	}
	return out
}

// myers is Myers' O((N+M)D) shortest edit script, keeping the frontier of
// every step (O(D²) memory) to walk back. It gives up after maxD edits.
func myers(a, b []string, maxD int) ([]edit, bool) {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil, true
	}
	maxD = min(maxD, n+m)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
				return backtrack(a, b, trace), true
			}
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
	}
	return nil, false
}

// backtrack walks the frontiers from the end to the start.
func backtrack(a, b []string, trace [][]int) []edit {
	x, y := len(a), len(b)
	var rev []edit
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1] // k in [-(d-1), d-1] at index k+d-1
		at := func(k int) int { return prev[k+d-1] }
		k := x - y
		down := k == -d || (k != d && at(k-1) < at(k+1))
		pk := k - 1
		if down {
			pk = k + 1
		}
		px := at(pk)
		py := px - pk
		sx, sy := px+1, py
		if down {
			sx, sy = px, py+1
		}
		for x > sx && y > sy {
			x--
			y--
			rev = append(rev, edit{opEq, a[x]})
		}
		if down {
			rev = append(rev, edit{opIns, b[py]})
		} else {
			rev = append(rev, edit{opDel, a[px]})
		}
		x, y = px, py
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, edit{opEq, a[x]})
	}
	out := make([]edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}
