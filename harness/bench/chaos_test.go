package bench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The chaos report (harness/chaos, `make chaos`) marks the summary the
// benchmark report copies with these lines.
const (
	chaosBegin = "<!-- chaos-summary:begin -->"
	chaosEnd   = "<!-- chaos-summary:end -->"
)

// chaosSummary is the block between chaosBegin and chaosEnd of the chaos
// report, or why it could not be copied.
type chaosSummary struct {
	// Source is the chaos report's path as the report names it.
	Source string
	// Generated is the date the chaos report gives for itself ("" when it
	// gives none); Modified is its file's modification time.
	Generated string
	Modified  time.Time
	// Text is the block, without the markers; Missing says why there is
	// none.
	Text    string
	Missing string
}

// chaosPath is the chaos report to copy from: $BENCH_CHAOS, else
// CHAOS.md beside the benchmark report.
func chaosPath(report string) string {
	if p := os.Getenv(envChaos); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(report), "CHAOS.md")
}

// chaosDate is the first date and time in the chaos report's opening
// lines ("... on 2026-12-01T12:15:04Z.").
var chaosDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?Z?( UTC)?`)

// readChaos copies the summary block of the chaos report at path.
func readChaos(path string) chaosSummary {
	c := chaosSummary{Source: path}
	if filepath.Base(filepath.Dir(path)) == "docs" {
		c.Source = "docs/" + filepath.Base(path) // as the repository names it
	}
	fi, err := os.Stat(path)
	if err != nil {
		c.Missing = fmt.Sprintf("%s could not be read (%v): run `make chaos`", c.Source, err)
		return c
	}
	c.Modified = fi.ModTime()
	b, err := os.ReadFile(path)
	if err != nil {
		c.Missing = fmt.Sprintf("%s could not be read (%v)", c.Source, err)
		return c
	}
	return c.parse(string(b))
}

// parse fills the summary from the chaos report's text.
func (c chaosSummary) parse(doc string) chaosSummary {
	head := doc
	if i := strings.Index(doc, "\n## "); i >= 0 {
		head = doc[:i]
	}
	c.Generated = chaosDate.FindString(head)
	_, rest, ok := strings.Cut(doc, chaosBegin)
	if !ok {
		c.Missing = fmt.Sprintf("%s has no %s marker: the chaos report does not mark its summary yet", c.Source, chaosBegin)
		return c
	}
	block, _, ok := strings.Cut(rest, chaosEnd)
	if !ok {
		c.Missing = fmt.Sprintf("%s has %s but no %s", c.Source, chaosBegin, chaosEnd)
		return c
	}
	c.Text = strings.TrimSpace(block)
	if c.Text == "" {
		c.Missing = fmt.Sprintf("the summary block of %s is empty", c.Source)
	}
	return c
}

// chaosSection copies the chaos report's side-by-side summary: what a
// workflow pays when its workers crash, measured by harness/chaos.
func (r *report) chaosSection(s *md) {
	c := r.chaos
	s.p("## Paid once under crashes")
	s.p("")
	if c.Missing != "" {
		s.p("Not copied: %s.", strings.TrimSuffix(c.Missing, "."))
		s.p("")
		return
	}
	date := c.Generated
	if date == "" {
		date = "no date in its header"
	}
	s.p("Copied from [%s](%s) when this report was written: the block between its `chaos-summary` markers, as", c.Source, filepath.Base(c.Source))
	s.p("the chaos harness (`make chaos`, harness/chaos) wrote it (%s; file modified %s). It is that run's,", date, c.Modified.UTC().Format("2006-01-02 15:04 UTC"))
	s.p("not this one's.")
	s.p("")
	s.p("%s", c.Text)
	s.p("")
}
