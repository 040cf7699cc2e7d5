package hitl

import (
	"maps"
	"slices"
	"time"
)

// Status is what the [QueryStatus] query returns: where the review stands,
// without the full draft (query [QueryDraft] for that).
type Status struct {
	// Phase is where the review stands.
	Phase Phase `json:"phase"`
	// Version is the current version (0 while drafting).
	Version int `json:"version"`
	// Stage is the current stage's name, StageIndex its position in Stages.
	Stage      string   `json:"stage"`
	StageIndex int      `json:"stage_index"`
	Stages     []string `json:"stages"`
	// Reviewers may decide now; empty means anyone.
	Reviewers []string `json:"reviewers,omitempty"`
	// Participants lists every reviewer any stage names, escalation
	// reviewers included, in config order; AnyReviewer says whether some
	// stage lets anyone decide. Read-access policies (hitlhttp) use them.
	Participants []string `json:"participants,omitempty"`
	AnyReviewer  bool     `json:"any_reviewer,omitempty"`
	// Pending lists the reviewers the stage still waits for (Reviewers
	// minus Approvals); empty in an open stage or a closed review.
	Pending []string `json:"pending,omitempty"`
	// Approvals lists who approved the current version in this stage, and
	// Quorum how many approvals the stage needs.
	Approvals []string `json:"approvals,omitempty"`
	Quorum    int      `json:"quorum"`
	// Due is the current deadline (zero when none); Escalated says whether
	// it is the escalation's.
	Due       time.Time `json:"due,omitzero"`
	Escalated bool      `json:"escalated,omitempty"`
	// Excerpt is the head of the current draft.
	Excerpt string `json:"excerpt"`
	// ChangesRequested is the comment of a pending request for changes.
	ChangesRequested string `json:"changes_requested,omitempty"`
	// Reason and ClosedBy explain a closed review.
	Reason   string `json:"reason,omitempty"`
	ClosedBy string `json:"closed_by,omitempty"`
	// Audit is the retained audit trail, oldest first; AuditCount counts
	// every entry ever written and Tally counts them by action.
	Audit      []Entry        `json:"audit"`
	AuditCount int            `json:"audit_count"`
	Tally      map[Action]int `json:"tally,omitempty"`
	// Runs counts the workflow runs (continue-as-new) of the review.
	Runs int `json:"runs"`
	// RunID is the workflow run that answered. A client that waits for the
	// review's result passes it to client.GetWorkflow, which follows
	// continue-as-new from there without asking the server which run is
	// current.
	RunID string `json:"run_id,omitempty"`
}

func (r *run[T]) status() Status {
	s := r.s
	st := r.stage()
	names := make([]string, len(r.cfg.Stages))
	for i, x := range r.cfg.Stages {
		names[i] = x.Name
	}
	out := Status{
		Phase:            s.Phase,
		Version:          s.Version,
		Stage:            st.Name,
		StageIndex:       s.Stage,
		Stages:           names,
		Approvals:        slices.Clone(s.Approvals),
		Quorum:           st.quorum(),
		Due:              s.Due,
		Escalated:        s.Escalated,
		ChangesRequested: s.ChangesRequested,
		Reason:           s.Reason,
		ClosedBy:         s.ClosedBy,
		Audit:            slices.Clone(s.Audit),
		AuditCount:       s.AuditCount,
		Runs:             s.Runs,
		RunID:            r.runID,
	}
	if s.Version > 0 {
		out.Excerpt = r.cfg.Excerpt(s.Current)
	}
	if len(s.Tally) > 0 {
		out.Tally = maps.Clone(s.Tally)
	}
	for _, x := range r.cfg.Stages {
		out.AnyReviewer = out.AnyReviewer || x.open()
		for _, who := range x.allowed(true) {
			if !slices.Contains(out.Participants, who) {
				out.Participants = append(out.Participants, who)
			}
		}
	}
	if !s.Phase.Closed() {
		out.Reviewers = st.allowed(s.Escalated)
		out.Pending = r.pending()
	}
	return out
}

// pending lists allowed reviewers that have not approved yet, in config order.
func (r *run[T]) pending() []string {
	if r.s.Phase.Closed() || r.s.Phase == PhaseDrafting {
		return nil
	}
	var out []string
	for _, who := range r.stage().allowed(r.s.Escalated) {
		if !slices.Contains(r.s.Approvals, who) {
			out = append(out, who)
		}
	}
	return out
}
