package hitl

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// anonymous is the reviewer of a signal that names none (open stages only).
const anonymous = "anonymous"

type signalChan struct {
	name   string
	action Action
	ch     workflow.ReceiveChannel
}

func (r *run[T]) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryStatus, func() (Status, error) {
		return r.status(), nil
	}, workflow.QueryHandlerOptions{Description: "Review status: phase, version, stage, pending reviewers, deadline, excerpt, audit trail"}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryDraft, func() (T, error) {
		return r.s.Current, nil
	}, workflow.QueryHandlerOptions{Description: "The current draft in full"}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, r.decide, workflow.UpdateHandlerOptions{
		Validator:   func(ctx workflow.Context, d Decision) error { return r.check(d.normalized(), ViaUpdate) },
		Description: "Submit a decision (approve, edit, reject, request_changes) about the current version",
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAttach, r.attach, workflow.UpdateHandlerOptions{
		Description: "Wait for the first draft and return the review status",
	}); err != nil {
		return err
	}
	for _, s := range []struct {
		name   string
		action Action
	}{
		{SignalSubmitEdit, ActionEdit},
		{SignalApprove, ActionApprove},
		{SignalReject, ActionReject},
		{SignalRequestChanges, ActionRequestChanges},
	} {
		r.signals = append(r.signals, signalChan{name: s.name, action: s.action, ch: workflow.GetSignalChannel(ctx, s.name)})
	}
	return nil
}

// decide is the UpdateDecide handler. An edit's update returns once Revise
// has produced the new version (or failed).
func (r *run[T]) decide(ctx workflow.Context, d Decision) (Receipt, error) {
	d = d.normalized()
	if err := r.check(d, ViaUpdate); err != nil { // the state may have moved since validation
		return Receipt{}, err
	}
	e := r.apply(ctx, d, ViaUpdate)
	if d.Action == ActionEdit {
		if err := workflow.Await(ctx, func() bool { _, done := r.revised[e.Seq]; return done }); err != nil {
			return Receipt{}, err
		}
		err := r.revised[e.Seq]
		delete(r.revised, e.Seq)
		if err != nil {
			return Receipt{}, err
		}
	}
	return Receipt{Seq: e.Seq, Version: r.s.Version, Phase: r.s.Phase, Stage: r.stage().Name}, nil
}

// attach is the UpdateAttach handler: it waits for version 1.
func (r *run[T]) attach(ctx workflow.Context) (Status, error) {
	if err := workflow.Await(ctx, func() bool { return r.s.Version > 0 || r.s.Phase.Closed() }); err != nil {
		return Status{}, err
	}
	return r.status(), nil
}

func who(d Decision) string {
	if d.Reviewer == "" {
		return anonymous
	}
	return d.Reviewer
}

// check is the validator: it reads the state and never changes it.
func (r *run[T]) check(d Decision, via string) error {
	s, st := r.s, r.stage()
	if s.Phase.Closed() {
		if s.Reason != "" {
			return refuse(ErrTypeClosed, "the review is %s (%s) and takes no more decisions", s.Phase, s.Reason)
		}
		return refuse(ErrTypeClosed, "the review is %s and takes no more decisions", s.Phase)
	}
	if !d.Action.decision() {
		return refuse(ErrTypeInvalidDecision, "unknown action %q: use approve, edit, reject or request_changes", d.Action)
	}
	if d.Reviewer == "" && (via == ViaUpdate || !st.open()) {
		return refuse(ErrTypeUnknownReviewer, "the decision names no reviewer: set Decision.Reviewer")
	}
	if !st.open() {
		allowed := st.allowed(s.Escalated)
		if !r.known(d.Reviewer) {
			return refuse(ErrTypeUnknownReviewer, "reviewer %q is not listed in any stage", d.Reviewer)
		}
		if !slices.Contains(allowed, d.Reviewer) {
			return refuse(ErrTypeUnauthorized, "reviewer %q may not decide in stage %q: it waits for %s", d.Reviewer, st.Name, strings.Join(allowed, ", "))
		}
	}
	if via == ViaUpdate && d.Version < 1 {
		return refuse(ErrTypeInvalidDecision, "set Decision.Version to the version you reviewed (current: %d)", s.Version)
	}
	switch {
	case s.Version == 0:
		return refuse(ErrTypeStaleVersion, "there is no draft yet: decide once version 1 exists")
	case s.Phase == PhaseRevising:
		return refuse(ErrTypeStaleVersion, "version %d is being revised into version %d: decide on the new version", s.Version, s.Version+1)
	case d.Version != 0 && d.Version != s.Version:
		return refuse(ErrTypeStaleVersion, "decision about version %d but the current version is %d: review version %d and decide again", d.Version, s.Version, s.Version)
	}
	switch d.Action {
	case ActionEdit:
		if strings.TrimSpace(d.Instructions) == "" && strings.TrimSpace(d.Text) == "" {
			return refuse(ErrTypeEmptyEdit, "an edit needs Instructions or replacement Text")
		}
	case ActionReject:
		if via == ViaUpdate && strings.TrimSpace(d.Comment) == "" {
			return refuse(ErrTypeInvalidDecision, "a rejection needs a reason in Comment")
		}
	case ActionApprove:
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

// apply records a checked decision and changes the state accordingly.
func (r *run[T]) apply(ctx workflow.Context, d Decision, via string) Entry {
	s, st := r.s, r.stage()
	comment := d.Comment
	if d.Action == ActionEdit {
		comment = d.Instructions
		if strings.TrimSpace(comment) == "" {
			comment = fmt.Sprintf("replacement text (%d bytes)", len(d.Text))
		}
	}
	e := r.record(ctx, Entry{Reviewer: who(d), Action: d.Action, Version: s.Version, Stage: st.Name,
		Comment: clip(comment, commentRunes), Via: via, DecisionID: d.ID})
	r.decisions++
	switch d.Action {
	case ActionApprove:
		s.Approvals = append(s.Approvals, who(d))
		if len(s.Approvals) >= st.quorum() {
			r.advance(ctx, who(d))
		}
	case ActionReject:
		reason := d.Comment
		if reason == "" {
			reason = "rejected by " + who(d)
		}
		r.close(PhaseRejected, reason, who(d))
	case ActionRequestChanges:
		s.ChangesRequested = d.Comment
		if s.ChangesRequested == "" {
			s.ChangesRequested = "changes requested by " + who(d)
		}
		r.enterStage(ctx, 0)
	case ActionEdit:
		pending := d
		s.Pending, s.PendingSeq, s.Phase = &pending, e.Seq, PhaseRevising
	}
	r.changed()
	return e
}

func (r *run[T]) signalsPending() bool {
	for _, c := range r.signals {
		if c.ch.Len() > 0 {
			return true
		}
	}
	return false
}

// receiveSignals applies every buffered signal, or records it as ignored.
func (r *run[T]) receiveSignals(ctx workflow.Context) {
	for _, c := range r.signals {
		for {
			var payload signalPayload
			if !c.ch.ReceiveAsync(&payload) {
				break
			}
			d := signalDecision(c.action, payload)
			err := r.check(d, ViaSignal)
			if payload.bad != "" {
				err = refuse(ErrTypeInvalidDecision, "signal %s carries %s: send a string or a Decision", c.name, payload.bad)
			}
			if err != nil {
				workflow.GetLogger(ctx).Warn("hitl: signal ignored", "signal", c.name, "reviewer", d.Reviewer, "error", err)
				r.record(ctx, Entry{Reviewer: who(d), Action: d.Action, Version: r.s.Version, Stage: r.stage().Name,
					Comment: clip(d.Comment+d.Instructions, commentRunes), Via: ViaSignal, DecisionID: d.ID, Ignored: refusalText(err)})
				r.decisions++
				r.changed()
				continue
			}
			r.apply(ctx, d, ViaSignal)
		}
	}
}

func refusalText(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type() + ": " + ae.Message()
	}
	return err.Error()
}
