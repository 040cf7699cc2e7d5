package research

import (
	"fmt"
	"io"
	"strings"

	"github.com/durable-llm/durable-llm/stream"
)

// Printer writes a report to a terminal as it is written: pass its Watch
// method to [Follow]. Status events become "» step" lines. When an attempt
// of the research call fails or is retried, the text printed so far cannot
// be taken back: a marker line says it is discarded and the new attempt's
// text follows, so what follows the last marker is the report. The zero
// value is not usable; use [NewPrinter]. It is not safe for concurrent use.
type Printer struct {
	w       io.Writer
	shown   int // bytes of the current attempt's text written
	call    string
	attempt int32
	resets  int
	midLine bool // the last write did not end a line
	err     error
}

// NewPrinter returns a Printer writing to w.
func NewPrinter(w io.Writer) *Printer { return &Printer{w: w} }

// Watch prints ev; report is the report after ev (see [Watch]).
func (p *Printer) Watch(ev stream.Event, report stream.Answer) {
	switch ev.Topic {
	case StatusTopic:
		if ev.Kind == KindStatus {
			p.line("» " + ev.Text)
		}
		return
	case ReportTopic:
	default:
		return
	}
	if report.Call != p.call || report.Attempt != p.attempt || report.Resets != p.resets || len(report.Text) < p.shown {
		if p.shown > 0 {
			reason := report.Reason
			if reason == "" {
				reason = stream.ReasonRetry
			}
			p.line(fmt.Sprintf("── attempt %d (%s) starts over: discard the text above ──", report.Attempt, reason))
		}
		p.call, p.attempt, p.resets, p.shown = report.Call, report.Attempt, report.Resets, 0
	}
	if len(report.Text) > p.shown {
		p.write(report.Text[p.shown:])
		p.shown = len(report.Text)
	}
	switch ev.Kind {
	case stream.KindFailed:
		p.line(fmt.Sprintf("── attempt %d failed: %s ──", ev.Attempt, shorten(ev.Reason, 100)))
	case stream.KindEnd:
		p.endLine()
	}
}

// Err returns the first error writing to the Printer's writer.
func (p *Printer) Err() error { return p.err }

// line writes s on a line of its own.
func (p *Printer) line(s string) {
	p.endLine()
	p.write(s + "\n")
}

// endLine ends the current line if text was written on it.
func (p *Printer) endLine() {
	if p.midLine {
		p.write("\n")
	}
}

func (p *Printer) write(s string) {
	if s == "" || p.err != nil {
		return
	}
	_, p.err = io.WriteString(p.w, s)
	p.midLine = !strings.HasSuffix(s, "\n")
}
