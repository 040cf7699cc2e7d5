package hitl

import (
	"encoding/json"
	"strings"
)

// Action is what a [Decision] asks for, or what a system entry in the audit
// trail records.
type Action string

// Actions a reviewer can take.
const (
	// ActionApprove counts one approval toward the stage's quorum.
	ActionApprove Action = "approve"
	// ActionEdit asks for a new version: Revise runs with the decision.
	ActionEdit Action = "edit"
	// ActionReject ends the review as rejected; Comment is the reason.
	ActionReject Action = "reject"
	// ActionRequestChanges clears the approvals and sends the current
	// version back to the first stage, whose reviewers then edit it.
	ActionRequestChanges Action = "request_changes"
)

// Actions the loop itself records in the audit trail (never accepted in a
// [Decision]).
const (
	// ActionDrafted: version 1 exists.
	ActionDrafted Action = "drafted"
	// ActionRevised: an edit produced a new version.
	ActionRevised Action = "revised"
	// ActionReviseFailed: Revise returned an error.
	ActionReviseFailed Action = "revise_failed"
	// ActionReminded: a stage deadline passed.
	ActionReminded Action = "reminded"
	// ActionEscalated: escalation reviewers were added.
	ActionEscalated Action = "escalated"
	// ActionAutoApproved: [TimeoutApprove] approved the stage.
	ActionAutoApproved Action = "auto_approved"
	// ActionTimedOut: [TimeoutReject] or [TimeoutFail] closed the review.
	ActionTimedOut Action = "timed_out"
	// ActionCanceled: the workflow was canceled.
	ActionCanceled Action = "canceled"
)

func (a Action) decision() bool {
	switch a {
	case ActionApprove, ActionEdit, ActionReject, ActionRequestChanges:
		return true
	}
	return false
}

// Decision is one reviewer's decision about one version. It is the argument
// of the [UpdateDecide] update, the payload of the [SignalDecide] signal
// and, JSON-encoded, the body the hitlhttp API accepts.
type Decision struct {
	// ID is an idempotency key for the whole review, continue-as-new
	// included: a decision whose ID was applied already is never applied
	// again (an update gets the original [Receipt], a signal is recorded as
	// ignored). The review remembers the IDs of the newest
	// [Config.DecisionIDLimit] applied decisions in [State]. Updates without
	// an ID use their update ID; the client helpers use ID as the update ID.
	// Refused or ignored decisions do not use up their ID.
	ID string `json:"id,omitempty"`
	// Reviewer identifies who decides. Required for updates.
	Reviewer string `json:"reviewer,omitempty"`
	// Action is approve, edit, reject or request_changes.
	Action Action `json:"action"`
	// Version is the version the reviewer looked at. Updates must set it
	// and are refused when it is not current. Signals may leave it 0 to
	// mean the version current when the workflow received them; they never
	// apply to a version made after that.
	Version int `json:"version,omitempty"`
	// Stage, when set, is the stage the reviewer decides in (Status.Stage):
	// the decision is refused once the review is in another stage. Approvals
	// always count only in the stage current when the workflow received them.
	Stage string `json:"stage,omitempty"`
	// Comment is the reason of a rejection (required for updates), or a
	// note on an approval or a request for changes.
	Comment string `json:"comment,omitempty"`
	// Instructions tell Revise what to change (for edits).
	Instructions string `json:"instructions,omitempty"`
	// Text is replacement text for an edit; Revise decides how to use it.
	// For large texts pass a reference your Revise understands.
	Text string `json:"text,omitempty"`
}

// Receipt is what a successful [UpdateDecide] returns.
type Receipt struct {
	// Seq is the decision's sequence number in the audit trail.
	Seq int `json:"seq"`
	// Version is the current version after the decision: for an edit, the
	// new version Revise produced.
	Version int `json:"version"`
	// Phase is the review's phase after the decision.
	Phase Phase `json:"phase"`
	// Stage is the current stage after the decision.
	Stage string `json:"stage"`
}

func (d Decision) normalized() Decision {
	d.Reviewer = strings.TrimSpace(d.Reviewer)
	d.Stage = strings.TrimSpace(d.Stage)
	d.Action = Action(strings.ToLower(strings.TrimSpace(string(d.Action))))
	return d
}

// signalPayload decodes what a signal may carry: nothing, a JSON string or
// a JSON Decision object.
type signalPayload struct {
	text     string
	decision *Decision
	bad      string // a payload that is neither, kept for the audit trail
}

// UnmarshalJSON accepts a string or a Decision object. It never fails, so
// a malformed signal is recorded as ignored instead of being dropped by the
// SDK.
func (p *signalPayload) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		p.text = s
		return nil
	}
	var d Decision
	if err := json.Unmarshal(b, &d); err != nil {
		p.bad = clip(string(b), 200)
		return nil
	}
	p.decision = &d
	return nil
}

// signalDecision turns a signal payload into a Decision for action. A
// plain string is the instructions of an edit and the comment otherwise.
func signalDecision(action Action, p signalPayload) Decision {
	d := Decision{Action: action}
	switch {
	case p.decision != nil:
		d = *p.decision
	case action == ActionEdit:
		d.Instructions = p.text
	default:
		d.Comment = p.text
	}
	d.Action = action
	return d.normalized()
}
