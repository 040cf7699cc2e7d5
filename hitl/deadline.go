package hitl

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// dueFormat is how deadlines appear in timer summaries and details.
const dueFormat = "2006-01-02 15:04 MST"

// wait blocks until the state changes, a signal arrives or the current
// deadline passes (fired). The deadline's durable timer is kept across
// calls while the deadline stays the same.
func (r *run[T]) wait(ctx workflow.Context) (fired bool, err error) {
	due := r.s.Due
	if r.timer != nil && !r.timerDue.Equal(due) {
		r.cancelTimer()
		r.timer = nil
	}
	if r.timer == nil && !due.IsZero() {
		d := due.Sub(workflow.Now(ctx))
		if d <= 0 {
			return true, nil
		}
		tctx, cancel := workflow.WithCancel(ctx)
		r.timer = workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: r.timerSummary()})
		r.timerDue, r.cancelTimer = due, cancel
	}
	seq := r.changes
	if err := workflow.Await(ctx, func() bool {
		return r.changes != seq || (r.timer != nil && r.timer.IsReady())
	}); err != nil {
		return false, err
	}
	if r.timer == nil || !r.timer.IsReady() {
		return false, nil
	}
	t := r.timer
	r.timer = nil
	if err := t.Get(ctx, nil); err != nil {
		return false, err
	}
	return true, nil
}

func (r *run[T]) timerSummary() string {
	st := r.stage()
	due := r.s.Due.UTC().Format(dueFormat)
	if r.s.Escalated {
		return fmt.Sprintf("waiting for %s (escalated to %s), due %s", st.Name, strings.Join(st.Escalation.Reviewers, ", "), due)
	}
	return fmt.Sprintf("waiting for %s, due %s", st.Name, due)
}

// deadline handles a passed deadline: reminder, then escalation (second
// deadline) or the stage's timeout policy.
func (r *run[T]) deadline(ctx workflow.Context) error {
	s, st, epoch := r.s, r.stage(), r.epoch
	now := workflow.Now(ctx)
	if s.Phase != PhaseOpen || s.Due.IsZero() || now.Before(s.Due) {
		return nil // a decision moved the review on in the meantime
	}
	pending := r.pending()
	if !s.Escalated {
		r.system(ctx, ActionReminded, "deadline passed; waiting for "+names(pending))
		if st.escalates() {
			s.Escalated = true
			s.Due = now.Add(st.Escalation.Deadline)
			r.system(ctx, ActionEscalated, fmt.Sprintf("added %s; due %s", names(st.Escalation.Reviewers), s.Due.UTC().Format(dueFormat)))
			r.publish(ctx)
			if err := r.notify(ctx, NoticeReminder, pending, s.Due); err != nil {
				return err
			}
			if len(st.Escalation.Reviewers) == 0 || r.s.Phase != PhaseOpen || r.epoch != epoch {
				return nil // no one to add, or decided while the reminder was sent
			}
			return r.notify(ctx, NoticeEscalation, st.Escalation.Reviewers, s.Due)
		}
		r.publish(ctx)
		if err := r.notify(ctx, NoticeReminder, pending, time.Time{}); err != nil {
			return err
		}
		if r.s.Phase != PhaseOpen || r.epoch != epoch || s.Due.After(now) {
			return nil // decided while the reminder was sent
		}
	}
	policy := st.policy()
	reason := fmt.Sprintf("stage %q passed its deadline without %d approvals (policy %s)", st.Name, st.quorum(), policy)
	switch policy {
	case TimeoutApprove:
		r.system(ctx, ActionAutoApproved, reason)
		r.advance(ctx, systemReviewer)
	case TimeoutFail:
		r.system(ctx, ActionTimedOut, reason)
		r.close(PhaseFailed, reason, systemReviewer)
	default:
		r.system(ctx, ActionTimedOut, reason)
		r.close(PhaseTimedOut, reason, systemReviewer)
	}
	r.publish(ctx)
	n := Notice{Kind: NoticeTimeout, Policy: policy}
	return r.send(ctx, n, pending, st.Name)
}

func names(list []string) string {
	if len(list) == 0 {
		return "anyone"
	}
	return strings.Join(list, ", ")
}

func (r *run[T]) notify(ctx workflow.Context, kind NoticeKind, to []string, due time.Time) error {
	return r.send(ctx, Notice{Kind: kind, Due: due}, to, r.stage().Name)
}

// announce asks the loop to tell the current stage's reviewers that the
// current version is ready for them ([NoticeReady]).
func (r *run[T]) announce() {
	if r.cfg.Notify != nil {
		at := r.stamp()
		r.notice = &at
	}
}

// ready sends the announced notice, unless the review moved on since.
func (r *run[T]) ready(ctx workflow.Context) error {
	at := *r.notice
	r.notice = nil
	if r.s.Phase != PhaseOpen || at.version != r.s.Version || at.epoch != r.epoch {
		return nil
	}
	return r.send(ctx, Notice{Kind: NoticeReady, Due: r.s.Due, ChangesRequested: r.s.ChangesRequested}, r.pending(), r.stage().Name)
}

// send calls Config.Notify; failures are logged, cancellation is returned.
// Decisions that arrived meanwhile are applied before it returns.
func (r *run[T]) send(ctx workflow.Context, n Notice, to []string, stage string) error {
	if r.cfg.Notify == nil {
		return nil
	}
	n.WorkflowID = workflow.GetInfo(ctx).WorkflowExecution.ID
	n.Stage, n.Version, n.Reviewers = stage, r.s.Version, to
	n.Excerpt = r.cfg.Excerpt(r.s.Current)
	err := r.cfg.Notify(ctx, n)
	r.catchUp(ctx)
	if err != nil {
		if canceled(ctx, err) {
			return err
		}
		workflow.GetLogger(ctx).Warn("hitl: notify failed; the review goes on", "kind", n.Kind, "stage", stage, "error", err)
	}
	return nil
}
