package hitl

import (
	"fmt"
	"slices"
	"time"
)

// TimeoutPolicy says what happens when a stage's last deadline passes
// without a quorum.
type TimeoutPolicy string

// Timeout policies.
const (
	// TimeoutReject closes the review with [PhaseTimedOut] (the default).
	TimeoutReject TimeoutPolicy = "reject"
	// TimeoutApprove approves the stage on the reviewers' behalf and moves
	// on (or approves the review after the last stage).
	TimeoutApprove TimeoutPolicy = "approve"
	// TimeoutFail closes the review with [PhaseFailed] and [Run] returns a
	// non-retryable error of type [ErrTypeDeadline]: the workflow fails.
	TimeoutFail TimeoutPolicy = "fail"
)

// Stage is one step of the review (editor, legal, exec). Stages run in
// order; a stage is done when Quorum distinct reviewers approved the current
// version.
type Stage struct {
	// Name identifies the stage in the status, the audit trail and the
	// HITLStage search attribute. Empty means "review" or "stage N".
	Name string
	// Reviewers may decide in this stage. Empty means anyone, including
	// signal-only clients that send no reviewer.
	Reviewers []string
	// Quorum is the number of distinct approvals needed; 0 means 1. With
	// Reviewers set it must not exceed len(Reviewers).
	Quorum int
	// Deadline bounds the wait for the quorum, counted from the moment the
	// stage starts (and restarts when a new version arrives). 0 means no
	// deadline. When it passes, [Config.Notify] gets a reminder, the
	// Escalation (if any) starts, and after it the OnTimeout policy applies.
	Deadline time.Duration
	// Escalation adds reviewers once Deadline has passed, with a second
	// deadline. The zero value means no escalation.
	Escalation Escalation
	// OnTimeout applies when the last deadline passes. Empty means
	// [TimeoutReject].
	OnTimeout TimeoutPolicy
}

// Escalation is the second phase of a stage whose deadline passed: its
// Reviewers join the stage and are notified, and the OnTimeout policy waits
// for its own Deadline. With no Reviewers it is a grace period after the
// reminder.
type Escalation struct {
	// Reviewers are added to the stage's reviewers and notified.
	Reviewers []string
	// Deadline is the second deadline, counted from the first. 0 means no
	// escalation; then the policy applies right after the reminder.
	Deadline time.Duration
}

func (s Stage) quorum() int {
	if s.Quorum <= 0 {
		return 1
	}
	return s.Quorum
}

func (s Stage) open() bool { return len(s.Reviewers) == 0 }

func (s Stage) escalates() bool { return s.Escalation.Deadline > 0 }

func (s Stage) policy() TimeoutPolicy {
	if s.OnTimeout == "" {
		return TimeoutReject
	}
	return s.OnTimeout
}

// allowed lists who may decide now; nil for an open stage.
func (s Stage) allowed(escalated bool) []string {
	if s.open() {
		return nil
	}
	out := slices.Clone(s.Reviewers)
	if escalated {
		for _, r := range s.Escalation.Reviewers {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func (s Stage) validate() error {
	switch {
	case s.Quorum < 0:
		return fmt.Errorf("%w: stage %q: quorum %d is negative", ErrInvalidConfig, s.Name, s.Quorum)
	case !s.open() && s.quorum() > len(s.Reviewers):
		return fmt.Errorf("%w: stage %q: quorum %d exceeds its %d reviewers", ErrInvalidConfig, s.Name, s.quorum(), len(s.Reviewers))
	case s.Deadline < 0 || s.Escalation.Deadline < 0:
		return fmt.Errorf("%w: stage %q: negative deadline", ErrInvalidConfig, s.Name)
	case s.escalates() && s.Deadline == 0:
		return fmt.Errorf("%w: stage %q: an escalation needs a Deadline to start from", ErrInvalidConfig, s.Name)
	case len(s.Escalation.Reviewers) > 0 && s.Escalation.Deadline == 0:
		return fmt.Errorf("%w: stage %q: set Escalation.Deadline (the second deadline)", ErrInvalidConfig, s.Name)
	case len(s.Escalation.Reviewers) > 0 && s.open():
		return fmt.Errorf("%w: stage %q: an open stage (no Reviewers) needs no escalation reviewers", ErrInvalidConfig, s.Name)
	}
	switch s.policy() {
	case TimeoutReject, TimeoutApprove, TimeoutFail:
	default:
		return fmt.Errorf("%w: stage %q: unknown OnTimeout %q (use TimeoutReject, TimeoutApprove or TimeoutFail)", ErrInvalidConfig, s.Name, s.OnTimeout)
	}
	return nil
}

// normalizeStages fills names and checks the list.
func normalizeStages(in []Stage) ([]Stage, error) {
	if len(in) == 0 {
		return []Stage{{Name: "review"}}, nil
	}
	out := make([]Stage, len(in))
	seen := make(map[string]bool, len(in))
	for i, s := range in {
		if s.Name == "" {
			s.Name = fmt.Sprintf("stage %d", i+1)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%w: two stages named %q", ErrInvalidConfig, s.Name)
		}
		seen[s.Name] = true
		if err := s.validate(); err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
