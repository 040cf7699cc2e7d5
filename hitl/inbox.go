package hitl

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// item is a decision the workflow received and has not applied yet.
type item struct {
	d   Decision
	via string
	// source is UpdateDecide or the signal's name. Decisions from one
	// source reach the workflow in the order they were sent; across
	// sources, within one workflow task, the order is lost.
	source string
	at     stamp
	bad    string   // why a signal's payload is unusable
	out    *outcome // an update's answer; nil for signals
}

// outcome is the answer an update handler waits for.
type outcome struct {
	done bool
	rc   Receipt
	err  error
}

func (o *outcome) set(rc Receipt, err error) {
	if o != nil && !o.done {
		o.done, o.rc, o.err = true, rc, err
	}
}

// actionNone is the Action recorded for a signal whose payload names none.
const actionNone Action = "none"

// intake moves every buffered signal into the inbox, stamped with what the
// workflow knows now.
func (r *run[T]) intake() {
	for _, c := range r.signals {
		for {
			var p signalPayload
			if !c.ch.ReceiveAsync(&p) {
				break
			}
			it := item{via: ViaSignal, source: c.name, at: r.stamp()}
			switch {
			case p.bad != "":
				it.d = Decision{Action: c.action}
				it.bad = fmt.Sprintf("signal %s carries %s: send a string or a Decision", c.name, p.bad)
			case c.action != "":
				it.d = signalDecision(c.action, p)
			case p.decision != nil:
				it.d = p.decision.normalized()
			default:
				it.d = Decision{Comment: p.text}
				it.bad = fmt.Sprintf("signal %s carries no Decision object: send {\"reviewer\":...,\"action\":...}", c.name)
			}
			if it.d.Action == "" {
				it.d.Action = actionNone
			}
			r.inbox = append(r.inbox, it)
		}
	}
}

// catchUp receives the buffered signals and applies everything received.
// The workflow calls it wherever it resumes (after a timer, an activity, a
// wait) before changing the review for any other reason, so each decision
// is checked against the review as it was when the decision arrived.
func (r *run[T]) catchUp(ctx workflow.Context) {
	r.intake()
	r.process(ctx)
}

// rank orders an unordered batch: what would stop an approval comes first.
func rank(a Action) int {
	switch a {
	case ActionReject:
		return 0
	case ActionRequestChanges:
		return 1
	case ActionEdit:
		return 2
	case ActionApprove:
		return 3
	}
	return 4
}

// process applies the inbox as one batch: everything in it arrived in the
// same workflow task. Decisions from a single source are applied in the
// order they were sent. Otherwise their order is unknown and they are
// applied by precedence (reject, request changes, edit, approve); an
// approval received with an applied decision of higher precedence is
// ignored as a conflict, and both entries say why.
func (r *run[T]) process(ctx workflow.Context) {
	if len(r.inbox) == 0 {
		return
	}
	batch := r.inbox
	r.inbox = nil
	ordered := true
	for _, it := range batch[1:] {
		ordered = ordered && it.source == batch[0].source
	}
	var note string
	if !ordered {
		slices.SortStableFunc(batch, func(a, b item) int { return rank(a.d.Action) - rank(b.d.Action) })
		note = precedenceNote(batch)
	}
	var winner *Entry
	for i := range batch {
		it := &batch[i]
		e, ok := r.handle(ctx, it, note, winner)
		if ok && !ordered && winner == nil && it.d.Action != ActionApprove {
			winner = &e
		}
	}
	r.changed()
}

// precedenceNote is the note on a decision that won over approvals it
// arrived with; empty when the batch has no such conflict.
func precedenceNote(batch []item) string {
	var approvers []string
	other := false
	for _, it := range batch {
		switch {
		case it.bad != "":
		case it.d.Action == ActionApprove:
			approvers = append(approvers, who(it.d))
		case it.d.Action.decision():
			other = true
		}
	}
	if !other || len(approvers) == 0 {
		return ""
	}
	return fmt.Sprintf("arrived together with the approval of %s, in an order the workflow cannot know; applied first, because rejections, requests for changes and edits take precedence over approvals",
		strings.Join(approvers, ", "))
}

// handle applies one decision or records why not; ok says it was applied.
// winner is the decision of an unordered batch that takes precedence over
// its approvals, if one was applied.
func (r *run[T]) handle(ctx workflow.Context, it *item, note string, winner *Entry) (e Entry, ok bool) {
	r.decisions++
	d := it.d
	if prev, seen := r.remembered(d.ID); seen {
		if err := reused(prev, d); err != nil {
			r.ignore(ctx, it, err)
			return e, false
		}
		if it.out != nil {
			workflow.GetLogger(ctx).Info("hitl: repeated decision answered with its receipt", "id", d.ID, "seq", prev.Receipt.Seq)
			if prev.Revising {
				r.editWaiters[prev.Receipt.Seq] = append(r.editWaiters[prev.Receipt.Seq], it.out)
			} else {
				it.out.set(prev.Receipt, nil)
			}
			return e, false
		}
		r.ignore(ctx, it, refuse(ErrTypeDuplicate, "decision %q was applied already (#%d) and is never applied twice", d.ID, prev.Receipt.Seq))
		return e, false
	}
	var err error
	switch {
	case it.bad != "":
		err = refuse(ErrTypeInvalidDecision, "%s", it.bad)
	case winner != nil && d.Action == ActionApprove:
		err = refuse(ErrTypeConflict,
			"the approval arrived together with the %s by %s (#%d), in an order the workflow cannot know, and rejections, requests for changes and edits take precedence: approve again if you still mean it",
			winner.Action, winner.Reviewer, winner.Seq)
	default:
		if err = r.checkStatic(d, it.via); err == nil {
			err = r.checkState(d, it.at)
		}
	}
	if err != nil {
		r.ignore(ctx, it, err)
		return e, false
	}
	if d.Action == ActionApprove {
		note = ""
	}
	return r.apply(ctx, it, note), true
}

// ignore records a decision that is not applied, and answers its update.
func (r *run[T]) ignore(ctx workflow.Context, it *item, err error) {
	d := it.d
	workflow.GetLogger(ctx).Warn("hitl: decision ignored", "via", it.via, "source", it.source, "reviewer", d.Reviewer, "action", d.Action, "error", err)
	v := d.Version
	if v == 0 {
		v = it.at.version
	}
	r.record(ctx, Entry{Reviewer: who(d), Action: d.Action, Version: v, Stage: r.stage().Name,
		Comment: clip(d.Comment+d.Instructions, commentRunes), Via: it.via, DecisionID: d.ID, Ignored: refusalText(err)})
	it.out.set(Receipt{}, err)
}

// apply records a checked decision and changes the state accordingly.
func (r *run[T]) apply(ctx workflow.Context, it *item, note string) Entry {
	s, st, d := r.s, r.stage(), it.d
	comment := d.Comment
	if d.Action == ActionEdit {
		comment = d.Instructions
		if strings.TrimSpace(comment) == "" {
			comment = fmt.Sprintf("replacement text (%d bytes)", len(d.Text))
		}
	}
	e := r.record(ctx, Entry{Reviewer: who(d), Action: d.Action, Version: s.Version, Stage: st.Name,
		Comment: clip(comment, commentRunes), Via: it.via, DecisionID: d.ID, Note: note})
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
		r.announce()
	case ActionEdit:
		pending := d
		s.Pending, s.PendingSeq, s.Phase = &pending, e.Seq, PhaseRevising
	}
	rc := Receipt{Seq: e.Seq, Version: s.Version, Phase: s.Phase, Stage: r.stage().Name}
	r.remember(Decided{ID: d.ID, Reviewer: who(d), Action: d.Action, Receipt: rc, Revising: d.Action == ActionEdit})
	if d.Action == ActionEdit {
		if it.out != nil {
			r.editWaiters[e.Seq] = append(r.editWaiters[e.Seq], it.out)
		}
	} else {
		it.out.set(rc, nil)
	}
	r.changed()
	return e
}

// edited answers the updates waiting for the edit recorded as seq.
func (r *run[T]) edited(seq int, rc Receipt, err error) {
	for _, o := range r.editWaiters[seq] {
		o.set(rc, err)
	}
	delete(r.editWaiters, seq)
}

func refusalText(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type() + ": " + ae.Message()
	}
	return err.Error()
}
