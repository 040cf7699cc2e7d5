package hitl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// Wire names of the version queries [Run] registers.
const (
	// QueryVersions returns the [VersionInfo] of every version the review
	// remembers, oldest first.
	QueryVersions = "hitl.versions"
	// QueryVersion takes a version number and returns a [VersionDraft]: the
	// draft of that version when the review still keeps it.
	QueryVersion = "hitl.version"
)

// Defaults of the version history.
const (
	// DefaultKeepVersionBytes bounds the past drafts kept in [State] (their
	// JSON size): enough for a dozen 20 KB documents, far below the 2 MiB
	// payload limit of the continue-as-new input.
	DefaultKeepVersionBytes = 256 << 10
	// versionInfoLimit bounds the version descriptions kept in [State]
	// (about 300 bytes each).
	versionInfoLimit = 200
)

// ErrVersionNotKept is returned by [GetVersion] for a version the review
// no longer keeps (see [Config.KeepVersionBytes]) or never had. The text of
// every version stays in the workflow's history (the result of its Draft
// or Revise activity).
var ErrVersionNotKept = errors.New("hitl: version not kept")

// Generation describes the call that wrote a version: the model and what
// it cost. Drafts report it by implementing [Generated].
type Generation struct {
	// Model is the provider's id of the model.
	Model string `json:"model,omitempty"`
	// Calls counts the model calls that wrote the version.
	Calls int `json:"calls,omitempty"`
	// PromptTokens and CompletionTokens are the tokens billed.
	PromptTokens     int64 `json:"prompt_tokens,omitempty"`
	CompletionTokens int64 `json:"completion_tokens,omitempty"`
	// CostUSD is the cost in US dollars; CostKnown says whether every
	// call had a known price.
	CostUSD   float64 `json:"cost_usd,omitempty"`
	CostKnown bool    `json:"cost_known,omitempty"`
}

// Generated is implemented by drafts that know how they were written (for
// example a document carrying its llm usage). [Run] records the
// Generation of each version in its [VersionInfo].
type Generated interface {
	Generation() Generation
}

// VersionInfo describes one version of the draft: when it was made, who
// asked for it and what writing it cost.
type VersionInfo struct {
	// Version is the version number, from 1.
	Version int `json:"version"`
	// Time is the workflow time it was made.
	Time time.Time `json:"time"`
	// Action is [ActionDrafted] for version 1, [ActionRevised] after.
	Action Action `json:"action"`
	// Reviewer asked for it (the edit's reviewer); empty for version 1.
	Reviewer string `json:"reviewer,omitempty"`
	// Instructions are the edit's instructions (clipped); TextEdit says
	// the edit carried replacement text.
	Instructions string `json:"instructions,omitempty"`
	TextEdit     bool   `json:"text_edit,omitempty"`
	// Seq is the audit entry of the edit (0 for version 1).
	Seq int `json:"seq,omitempty"`
	// Generation is what the draft reports through [Generated].
	Generation *Generation `json:"generation,omitempty"`
	// Kept says whether [QueryVersion] can return its draft (set by the
	// query).
	Kept bool `json:"kept,omitempty"`
}

// VersionDraft is the answer of [QueryVersion].
type VersionDraft[T any] struct {
	// Kept says whether the review still keeps the version; Draft is
	// zero when not.
	Kept  bool `json:"kept"`
	Draft T    `json:"draft"`
}

// pastDraft is a past version kept in [State.Past].
type pastDraft[T any] struct {
	Version int `json:"version"`
	Draft   T   `json:"draft"`
	Bytes   int `json:"bytes"`
}

// registerVersions sets the version queries.
func (r *run[T]) registerVersions(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryVersions, func() ([]VersionInfo, error) {
		out := append([]VersionInfo{}, r.s.Versions...)
		for i := range out {
			out[i].Kept = r.kept(out[i].Version)
		}
		return out, nil
	}, workflow.QueryHandlerOptions{Description: "Every remembered version: when, who asked for it, model, tokens and cost"}); err != nil {
		return err
	}
	return workflow.SetQueryHandlerWithOptions(ctx, QueryVersion, func(n int) (VersionDraft[T], error) {
		if n == r.s.Version && n > 0 {
			return VersionDraft[T]{Kept: true, Draft: r.s.Current}, nil
		}
		for _, p := range r.s.Past { // kept, with the draft
			if p.Version == n {
				return VersionDraft[T]{Kept: true, Draft: p.Draft}, nil
			}
		}
		return VersionDraft[T]{}, nil
	}, workflow.QueryHandlerOptions{Description: "The draft of one version (argument: its number), when still kept"})
}

// kept reports whether version n's draft is available.
func (r *run[T]) kept(n int) bool {
	if n == r.s.Version && n > 0 {
		return true
	}
	for _, p := range r.s.Past {
		if p.Version == n {
			return true
		}
	}
	return false
}

// versionMade records the version just made; edit is the decision that
// asked for it (nil for version 1) and seq its audit entry.
func (r *run[T]) versionMade(ctx workflow.Context, edit *Decision, seq int) {
	v := VersionInfo{Version: r.s.Version, Time: workflow.Now(ctx), Action: ActionDrafted}
	if edit != nil {
		v.Action, v.Reviewer, v.Seq = ActionRevised, edit.Reviewer, seq
		v.Instructions, v.TextEdit = clip(edit.Instructions, commentRunes), edit.Text != ""
	}
	if g, ok := any(r.s.Current).(Generated); ok {
		gen := g.Generation()
		v.Generation = &gen
	}
	r.s.Versions = append(r.s.Versions, v)
	if over := len(r.s.Versions) - versionInfoLimit; over > 0 {
		r.s.Versions = append(r.s.Versions[:0:0], r.s.Versions[over:]...)
	}
}

// keepPast keeps the current draft, about to be replaced, within
// Config.KeepVersionBytes (newest first).
func (r *run[T]) keepPast() {
	budget := r.cfg.KeepVersionBytes
	if budget < 0 || r.s.Version == 0 {
		return
	}
	if budget == 0 {
		budget = DefaultKeepVersionBytes
	}
	b, err := json.Marshal(r.s.Current)
	if err != nil || len(b) > budget {
		return
	}
	r.s.Past = append(r.s.Past, pastDraft[T]{Version: r.s.Version, Draft: r.s.Current, Bytes: len(b)})
	total := 0
	for i := len(r.s.Past) - 1; i >= 0; i-- {
		total += r.s.Past[i].Bytes
		if total > budget {
			r.s.Past = append(r.s.Past[:0:0], r.s.Past[i+1:]...)
			return
		}
	}
}

// GetVersions queries the versions the review remembers (at most the
// newest 200), oldest first.
func GetVersions(ctx context.Context, c client.Client, workflowID string) ([]VersionInfo, error) {
	var out []VersionInfo
	v, err := c.QueryWorkflow(ctx, workflowID, "", QueryVersions)
	if err != nil {
		return nil, clientError(workflowID, err)
	}
	if err := v.Get(&out); err != nil {
		return nil, clientError(workflowID, err)
	}
	return out, nil
}

// GetVersion queries the draft of version n. It returns an error matching
// [ErrVersionNotKept] when the review no longer keeps it.
func GetVersion[T any](ctx context.Context, c client.Client, workflowID string, n int) (T, error) {
	var out VersionDraft[T]
	v, err := c.QueryWorkflow(ctx, workflowID, "", QueryVersion, n)
	if err != nil {
		return out.Draft, clientError(workflowID, err)
	}
	if err := v.Get(&out); err != nil {
		return out.Draft, clientError(workflowID, err)
	}
	if !out.Kept {
		return out.Draft, fmt.Errorf("%w: review %q has no version %d any more (raise Config.KeepVersionBytes to keep more; every version stays in the workflow history)", ErrVersionNotKept, workflowID, n)
	}
	return out.Draft, nil
}
