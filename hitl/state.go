package hitl

import (
	"time"
)

// Phase is where a review stands. It is also the value of the HITLStatus
// search attribute.
type Phase string

// Phases of a review.
const (
	// PhaseDrafting: producing version 1.
	PhaseDrafting Phase = "drafting"
	// PhaseOpen: waiting for decisions.
	PhaseOpen Phase = "open"
	// PhaseRevising: Revise is producing a new version.
	PhaseRevising Phase = "revising"
	// PhaseApproved: every stage reached its quorum.
	PhaseApproved Phase = "approved"
	// PhaseRejected: a reviewer rejected the draft.
	PhaseRejected Phase = "rejected"
	// PhaseTimedOut: a deadline passed under [TimeoutReject].
	PhaseTimedOut Phase = "timed_out"
	// PhaseCanceled: the workflow was canceled.
	PhaseCanceled Phase = "canceled"
	// PhaseFailed: a deadline passed under [TimeoutFail].
	PhaseFailed Phase = "failed"
)

// Closed reports whether the review is over.
func (p Phase) Closed() bool {
	switch p {
	case PhaseApproved, PhaseRejected, PhaseTimedOut, PhaseCanceled, PhaseFailed:
		return true
	}
	return false
}

// Entry is one line of the audit trail: who did what, when, on which version.
type Entry struct {
	// Seq numbers entries from 1 across the whole review, continue-as-new included.
	Seq int `json:"seq"`
	// Time is the workflow time (workflow.Now) of the entry.
	Time time.Time `json:"time"`
	// Reviewer is who decided; "hitl" for entries the loop writes itself.
	Reviewer string `json:"reviewer"`
	// Action is the decision's action or a system action (ActionRevised...).
	Action Action `json:"action"`
	// Version is the version the entry is about (for ActionRevised, the new one).
	Version int `json:"version"`
	// Stage is the stage the review was in.
	Stage string `json:"stage"`
	// Comment is the decision's comment or instructions (clipped), or the
	// loop's explanation.
	Comment string `json:"comment,omitempty"`
	// Via is "update", "signal" or "system".
	Via string `json:"via"`
	// DecisionID is the decision's ID, when it had one.
	DecisionID string `json:"decision_id,omitempty"`
	// Ignored is set for a decision that reached the workflow but was not
	// applied (a signal, or an update checked after others received with
	// it): the refusal type and reason.
	Ignored string `json:"ignored,omitempty"`
	// Note explains how a decision was resolved against others received
	// with it (see the package doc, "Order and conflicts").
	Note string `json:"note,omitempty"`
}

// Sources of audit entries.
const (
	ViaUpdate = "update"
	ViaSignal = "signal"
	ViaSystem = "system"
)

// systemReviewer is the Reviewer of entries the loop writes.
const systemReviewer = "hitl"

// State is everything a review needs to resume: pass it to [Run] (nil
// starts a new review) and carry it through continue-as-new. It is
// serialised into workflow history, so keep T small (see [DraftRef]).
//
// Treat it as read-only; its fields are exported for the data converter.
type State[T any] struct {
	// Phase is where the review stands.
	Phase Phase `json:"phase"`
	// Version numbers the drafts from 1; Current is the current one.
	Version int `json:"version"`
	Current T   `json:"current"`

	// Stage indexes Config.Stages; Approvals lists who approved Current in
	// it; Escalated says whether its escalation started; StageStarted is
	// when it (re)started.
	Stage        int       `json:"stage"`
	Approvals    []string  `json:"approvals,omitempty"`
	Escalated    bool      `json:"escalated,omitempty"`
	StageStarted time.Time `json:"stage_started"`
	// Due is the current deadline (zero when none).
	Due time.Time `json:"due"`
	// ChangesRequested is the comment of the last request for changes,
	// cleared by the next version.
	ChangesRequested string `json:"changes_requested,omitempty"`

	// Reason and ClosedBy explain a closed review.
	Reason   string `json:"reason,omitempty"`
	ClosedBy string `json:"closed_by,omitempty"`

	// Audit holds the newest entries (at most Config.AuditLimit).
	Audit []Entry `json:"audit"`
	// AuditCount counts every entry ever written; Audit[0].Seq > 1 means
	// older ones were dropped from memory (they stay in workflow history).
	AuditCount int `json:"audit_count"`
	// Tally counts every entry ever written by action.
	Tally map[Action]int `json:"tally,omitempty"`

	// Runs counts the workflow runs of this review (1 + continue-as-new).
	Runs int `json:"runs"`
	// Recording is how the review's runs write their search attributes to
	// history, chosen when the review starts and kept through
	// continue-as-new so every run replays the way it was recorded: 0 for
	// reviews started without [Open] (and by hitl before it),
	// [RecordingQuiet] for reviews [Open] started.
	Recording int `json:"recording,omitempty"`

	// Pending is the edit being revised, and PendingSeq its audit entry.
	Pending    *Decision `json:"pending,omitempty"`
	PendingSeq int       `json:"pending_seq,omitempty"`

	// Decided remembers the IDs of the newest applied decisions (at most
	// Config.DecisionIDLimit), oldest first, so a repeat is never applied
	// twice, whichever run receives it.
	Decided []Decided `json:"decided,omitempty"`

	// Versions describes the newest versions (at most 200), oldest first;
	// Past keeps the drafts of past versions within
	// Config.KeepVersionBytes (see versions.go).
	Versions []VersionInfo  `json:"versions,omitempty"`
	Past     []pastDraft[T] `json:"past,omitempty"`
}

// Decided is an applied decision's ID and the receipt it was answered
// with, kept in [State.Decided].
type Decided struct {
	ID       string  `json:"id"`
	Reviewer string  `json:"reviewer,omitempty"`
	Action   Action  `json:"action"`
	Receipt  Receipt `json:"receipt"`
	// Revising is set while the edit's revision runs; the receipt then
	// does not have the new version yet.
	Revising bool `json:"revising,omitempty"`
}

func (s *State[T]) record(e Entry, limit int) Entry {
	s.AuditCount++
	e.Seq = s.AuditCount
	if s.Tally == nil {
		s.Tally = make(map[Action]int)
	}
	s.Tally[e.Action]++
	s.Audit = append(s.Audit, e)
	if over := len(s.Audit) - limit; limit > 0 && over > 0 {
		s.Audit = append(s.Audit[:0:0], s.Audit[over:]...)
	}
	return e
}
