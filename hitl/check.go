package hitl

import (
	"slices"
	"strings"
)

// stamp is what the workflow knew when it received a decision: a decision
// applies only to that version, and an approval only to that stage.
type stamp struct {
	version int
	phase   Phase
	stage   int
	epoch   int // bumped whenever a stage (re)starts
}

func (r *run[T]) stamp() stamp {
	return stamp{version: r.s.Version, phase: r.s.Phase, stage: r.s.Stage, epoch: r.epoch}
}

func who(d Decision) string {
	if d.Reviewer == "" {
		return anonymous
	}
	return d.Reviewer
}

// checkStatic refuses what no other decision can make valid: a closed
// review, a malformed decision, a reviewer no stage lists.
func (r *run[T]) checkStatic(d Decision, via string) error {
	s := r.s
	if s.Phase.Closed() {
		if s.Reason != "" {
			return refuse(ErrTypeClosed, "the review is %s (%s) and takes no more decisions", s.Phase, s.Reason)
		}
		return refuse(ErrTypeClosed, "the review is %s and takes no more decisions", s.Phase)
	}
	if !d.Action.decision() {
		return refuse(ErrTypeInvalidDecision, "unknown action %q: use approve, edit, reject or request_changes", d.Action)
	}
	if via == ViaUpdate && d.Reviewer == "" {
		return refuse(ErrTypeUnknownReviewer, "the decision names no reviewer: set Decision.Reviewer")
	}
	if d.Reviewer != "" && !r.known(d.Reviewer) {
		return refuse(ErrTypeUnknownReviewer, "reviewer %q is not listed in any stage", d.Reviewer)
	}
	if via == ViaUpdate && d.Version < 1 {
		return refuse(ErrTypeInvalidDecision, "set Decision.Version to the version you reviewed (current: %d)", s.Version)
	}
	switch d.Action {
	case ActionEdit:
		if r.cfg.Revise == nil {
			return refuse(ErrTypeEditsNotAccepted, "edits are not accepted in this review: approve, reject or request changes")
		}
		if strings.TrimSpace(d.Instructions) == "" && strings.TrimSpace(d.Text) == "" {
			return refuse(ErrTypeEmptyEdit, "an edit needs Instructions or replacement Text")
		}
	case ActionReject:
		if via == ViaUpdate && strings.TrimSpace(d.Comment) == "" {
			return refuse(ErrTypeInvalidDecision, "a rejection needs a reason in Comment")
		}
	}
	return nil
}

// checkState refuses what the review's state does not allow now; at is what
// the workflow knew when the decision arrived.
func (r *run[T]) checkState(d Decision, at stamp) error {
	s, st := r.s, r.stage()
	if !st.open() {
		allowed := st.allowed(s.Escalated)
		if d.Reviewer == "" {
			return refuse(ErrTypeUnknownReviewer, "the decision names no reviewer: set Decision.Reviewer (stage %q waits for %s)", st.Name, strings.Join(allowed, ", "))
		}
		if !slices.Contains(allowed, d.Reviewer) {
			return refuse(ErrTypeUnauthorized, "reviewer %q may not decide in stage %q: it waits for %s", d.Reviewer, st.Name, strings.Join(allowed, ", "))
		}
	}
	switch v := d.Version; {
	case s.Version == 0 || at.version == 0:
		return refuse(ErrTypeStaleVersion, "there was no draft yet when the decision arrived: decide once version 1 exists")
	case s.Phase == PhaseRevising:
		return refuse(ErrTypeStaleVersion, "version %d is being revised into version %d: decide on the new version", s.Version, s.Version+1)
	case at.phase == PhaseRevising:
		return refuse(ErrTypeStaleVersion, "the decision arrived while version %d was being revised into version %d: review version %d and decide again", at.version, at.version+1, s.Version)
	case v == 0 && at.version != s.Version:
		return refuse(ErrTypeStaleVersion, "the decision names no version and arrived when version %d was current; it never applies to version %d: review it and decide again", at.version, s.Version)
	case v != 0 && v != s.Version:
		return refuse(ErrTypeStaleVersion, "decision about version %d but the current version is %d: review version %d and decide again", v, s.Version, s.Version)
	case v > at.version:
		return refuse(ErrTypeStaleVersion, "decision about version %d, which did not exist yet when it arrived (version %d was current): decide again", v, at.version)
	}
	if d.Stage != "" && d.Stage != st.Name {
		return refuse(ErrTypeStaleVersion, "decision for stage %q but the review is in stage %q", d.Stage, st.Name)
	}
	if d.Action == ActionApprove {
		if at.stage != s.Stage {
			return refuse(ErrTypeStaleVersion, "the approval arrived in stage %q and the review has moved to stage %q since: approve again there if you mean it",
				r.cfg.Stages[at.stage].Name, st.Name)
		}
		if at.epoch != r.epoch {
			return refuse(ErrTypeStaleVersion, "stage %q restarted after the approval arrived (changes were requested): approve again if you mean it", st.Name)
		}
		if slices.Contains(s.Approvals, who(d)) {
			return refuse(ErrTypeDuplicate, "%s already approved version %d in stage %q", who(d), s.Version, st.Name)
		}
	}
	return nil
}

func (r *run[T]) known(reviewer string) bool {
	for _, st := range r.cfg.Stages {
		if st.open() || slices.Contains(st.Reviewers, reviewer) || slices.Contains(st.Escalation.Reviewers, reviewer) {
			return true
		}
	}
	return false
}

// reused refuses a decision whose ID an applied decision of another
// reviewer or action already carries.
func reused(prev *Decided, d Decision) error {
	if prev.Reviewer == who(d) && prev.Action == d.Action {
		return nil
	}
	return refuse(ErrTypeInvalidDecision, "decision ID %q was used already for %s by %s (#%d): give a new decision a new ID",
		d.ID, prev.Action, prev.Reviewer, prev.Receipt.Seq)
}
