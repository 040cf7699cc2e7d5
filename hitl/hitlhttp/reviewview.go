package hitlhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/durable-llm/durable-llm/hitl"
)

// reviewView is everything the review page shows beyond the status.
type reviewView struct {
	// Shown is the version whose draft is shown (the current one unless
	// ?version= asks for another); Rendered is its Markdown as HTML (empty
	// for plain text), Raw its text. ShowError says why another version
	// could not be shown.
	Shown     int
	Rendered  template.HTML
	Raw       string
	ShowError string
	// Info describes the shown version; Versions every remembered version,
	// newest first.
	Info     *versionRow
	Versions []versionRow
	// Compare lists the versions a diff can use (kept ones), newest first.
	// When the history is unknown it is empty and the page offers none.
	Compare []int
	// From and To are the versions compared (0 when none).
	From, To int
	Diff     *diffView
	Due      *dueView
	// Live is the revision being written, when Options.Live is set.
	Live *liveView
	// Steer says the reviewer may stop or redirect the revision.
	Steer bool
	// NoScriptRefresh reloads the page every few seconds in a browser
	// without script while a version is written.
	NoScriptRefresh bool
}

// versionRow is one version in the page's history.
type versionRow struct {
	hitl.VersionInfo
	Made, Tokens, Cost string
}

// diffView is the page's comparison of two versions.
type diffView struct {
	From, To int
	// Since: From is the version this reviewer saw last.
	Since bool
	Diff  Diff
	Error string
}

// dueView is the stage's deadline.
type dueView struct {
	ISO, When, Left string
	Overdue         bool
}

// view reads what the review page shows of rv for who.
func (h *Handler) view(ctx context.Context, r *http.Request, who grant, rv *Review, seen int) *reviewView {
	st := rv.Status
	v := &reviewView{Shown: st.Version, Raw: rv.Draft}
	v.Rendered = h.html(rv.Draft, rv.markdown)
	infos, err := hitl.GetVersions(ctx, h.c, rv.WorkflowID)
	if err != nil {
		h.opts.Logger.Debug("hitlhttp: no version history (a worker without hitl.QueryVersions?)", "review", rv.WorkflowID, "error", err)
	}
	for i := len(infos) - 1; i >= 0; i-- {
		v.Versions = append(v.Versions, newVersionRow(infos[i]))
	}
	texts := map[int]draftText{st.Version: {rv.Draft, rv.markdown}}
	load := func(n int) (draftText, error) {
		if t, ok := texts[n]; ok {
			return t, nil
		}
		raw, err := hitl.GetVersion[json.RawMessage](ctx, h.c, rv.WorkflowID, n)
		if err != nil {
			return draftText{}, err
		}
		text, md, err := h.draftText(ctx, rv.WorkflowID, raw)
		if err != nil {
			return draftText{}, err
		}
		texts[n] = draftText{text, md}
		return texts[n], nil
	}
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("version")); err == nil && n != st.Version {
		if t, err := load(n); err != nil {
			v.ShowError = versionError(n, err)
		} else {
			v.Shown, v.Raw, v.Rendered = n, t.text, h.html(t.text, t.markdown)
		}
	}
	for i := range v.Versions {
		if v.Versions[i].Version == v.Shown {
			v.Info = &v.Versions[i]
		}
	}
	v.Diff = h.diff(q, rv, seen, load)
	if v.Diff != nil {
		v.From, v.To = v.Diff.From, v.Diff.To
	}
	for _, row := range v.Versions {
		if row.Kept {
			v.Compare = append(v.Compare, row.Version)
		}
	}
	if !st.Due.IsZero() {
		v.Due = newDueView(st.Due, time.Now())
	}
	writing := st.Phase == hitl.PhaseRevising || st.Phase == hitl.PhaseDrafting
	if writing && h.opts.Live != nil {
		v.Live = h.liveSnapshot(ctx, rv.WorkflowID)
	}
	v.Steer = h.opts.Steer != nil && st.Phase == hitl.PhaseRevising &&
		(len(st.Reviewers) == 0 || slices.Contains(st.Reviewers, who.Reviewer))
	v.NoScriptRefresh = writing && !v.Steer
	return v
}

type draftText struct {
	text     string
	markdown bool
}

// html is the HTML of a Markdown draft; plain text gets none (the page
// shows it preformatted).
func (h *Handler) html(text string, markdown bool) template.HTML {
	if !markdown || h.opts.PlainText {
		return ""
	}
	return renderMarkdown(text)
}

// diff picks and computes the comparison the page shows: ?from=&to= when
// given, else what changed since the version this reviewer saw last, else
// the last change.
func (h *Handler) diff(q map[string][]string, rv *Review, seen int, load func(int) (draftText, error)) *diffView {
	st := rv.Status
	get := func(k string) int {
		if vs := q[k]; len(vs) > 0 {
			n, _ := strconv.Atoi(vs[0])
			return n
		}
		return 0
	}
	dv := &diffView{From: get("from"), To: get("to")}
	if dv.To <= 0 || dv.To > st.Version {
		dv.To = st.Version
	}
	if dv.From <= 0 {
		if seen > 0 && seen < dv.To {
			dv.From, dv.Since = seen, true
		} else {
			dv.From = dv.To - 1
		}
	}
	if dv.From <= 0 || dv.To <= 0 {
		return nil
	}
	a, err := load(dv.From)
	if err != nil {
		dv.Error = versionError(dv.From, err)
		return dv
	}
	b, err := load(dv.To)
	if err != nil {
		dv.Error = versionError(dv.To, err)
		return dv
	}
	dv.Diff = diffText(a.text, b.text)
	return dv
}

func versionError(n int, err error) string {
	if errors.Is(err, hitl.ErrVersionNotKept) {
		return fmt.Sprintf("Version %d is no longer kept by the review; its text stays in the workflow history.", n)
	}
	return fmt.Sprintf("Version %d could not be read: %v", n, err)
}

func newVersionRow(vi hitl.VersionInfo) versionRow {
	row := versionRow{VersionInfo: vi, Made: vi.Time.UTC().Format("2006-01-02 15:04 UTC")}
	if g := vi.Generation; g != nil {
		if g.PromptTokens+g.CompletionTokens > 0 {
			row.Tokens = fmt.Sprintf("%s in, %s out", thousands(g.PromptTokens), thousands(g.CompletionTokens))
		}
		switch {
		case g.CostKnown || g.CostUSD > 0:
			row.Cost = usd(g.CostUSD)
			if !g.CostKnown {
				row.Cost += " or more (some calls had no known price)"
			}
		case g.Calls > 0:
			row.Cost = "unknown (no price for the model)"
		}
	}
	return row
}

func newDueView(due, now time.Time) *dueView {
	d := &dueView{ISO: due.UTC().Format(time.RFC3339), When: due.UTC().Format("Mon 2 Jan 2006, 15:04 UTC")}
	left := due.Sub(now)
	if left < 0 {
		d.Overdue, d.Left = true, "overdue by "+span(-left)
	} else {
		d.Left = span(left) + " left"
	}
	return d
}

// span writes a duration as a reviewer reads it: the two largest units.
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return plural(days, "day") + " " + plural(hours, "hour")
	case days > 0:
		return plural(days, "day")
	case hours > 0 && mins > 0:
		return plural(hours, "hour") + " " + plural(mins, "minute")
	case hours > 0:
		return plural(hours, "hour")
	case mins > 0:
		return plural(mins, "minute")
	}
	return "less than a minute"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// usd writes a cost in dollars with four decimals, or with two
// significant digits when it is below a hundredth of a cent.
func usd(v float64) string {
	prec := 4
	if v > 0 && v < 0.0001 {
		prec = int(-math.Floor(math.Log10(v))) + 1
	}
	return "$" + strconv.FormatFloat(v, 'f', prec, 64)
}
