package hitl

import (
	"go.temporal.io/sdk/workflow"
)

// anonymous is the reviewer of a signal that names none (open stages only).
const anonymous = "anonymous"

type signalChan struct {
	name   string
	action Action // "" for SignalDecide, whose payload names its action
	ch     workflow.ReceiveChannel
}

// register sets the query and update handlers, opens the signal channels
// and starts the coroutine that receives decisions.
func (r *run[T]) register(ctx workflow.Context) error {
	r.runID = workflow.GetInfo(ctx).WorkflowExecution.RunID
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
	if err := r.registerVersions(ctx); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide, r.decide, workflow.UpdateHandlerOptions{
		Validator:   r.validate,
		Description: "Submit a decision (approve, edit, reject, request_changes) about the current version",
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAttach, r.attach, workflow.UpdateHandlerOptions{
		Description: "Wait for the first draft and return the review status",
	}); err != nil {
		return err
	}
	// The order of the channels is the order a batch is received in when
	// it is resolved by precedence (ties keep it).
	for _, s := range []struct {
		name   string
		action Action
	}{
		{SignalDecide, ""},
		{SignalSubmitEdit, ActionEdit},
		{SignalApprove, ActionApprove},
		{SignalReject, ActionReject},
		{SignalRequestChanges, ActionRequestChanges},
	} {
		r.signals = append(r.signals, signalChan{name: s.name, action: s.action, ch: workflow.GetSignalChannel(ctx, s.name)})
	}
	// The receiver runs after the update handlers and the main loop in
	// every workflow task, so everything a task delivered is applied in
	// that task, as one batch. It keeps running after Run returns, so late
	// signals are recorded as ignored in the status's trail.
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if err := workflow.Await(ctx, func() bool { return len(r.inbox) > 0 || r.signalsPending() }); err != nil {
				return
			}
			r.catchUp(ctx)
		}
	})
	return nil
}

// identify normalizes d and gives an update without an ID its update ID.
func identify(ctx workflow.Context, d Decision) Decision {
	d = d.normalized()
	if d.ID == "" {
		if info := workflow.GetCurrentUpdateInfo(ctx); info != nil {
			d.ID = info.ID
		}
	}
	return d
}

// validate is the UpdateDecide validator: it reads the state and never
// changes it. A repeat of an applied decision is accepted (the handler
// answers with the original receipt). While other decisions wait to be
// applied (they arrived in the same workflow task), only what none of them
// can change is checked here; the rest once they are applied.
func (r *run[T]) validate(ctx workflow.Context, d Decision) error {
	d = identify(ctx, d)
	if prev, ok := r.remembered(d.ID); ok {
		return reused(prev, d)
	}
	if err := r.checkStatic(d, ViaUpdate); err != nil {
		return err
	}
	if len(r.inbox) > 0 || r.signalsPending() {
		return nil
	}
	return r.checkState(d, r.stamp())
}

// decide is the UpdateDecide handler. It queues the decision with what the
// workflow knows now and waits until it is applied: for an edit, until
// Revise has produced the new version (or failed). When nothing else waits
// (no signal, no earlier update of this workflow task) it applies it at
// once, so the next update's validator sees the result.
func (r *run[T]) decide(ctx workflow.Context, d Decision) (Receipt, error) {
	d = identify(ctx, d)
	alone := len(r.inbox) == 0 && !r.signalsPending()
	r.intake() // signals delivered with this update are stamped before anything changes
	out := &outcome{}
	r.inbox = append(r.inbox, item{d: d, via: ViaUpdate, source: UpdateDecide, at: r.stamp(), out: out})
	if alone {
		r.process(ctx)
	}
	if err := workflow.Await(ctx, func() bool { return out.done }); err != nil {
		return Receipt{}, err
	}
	return out.rc, out.err
}

// attach is the UpdateAttach handler: it waits for version 1.
func (r *run[T]) attach(ctx workflow.Context) (Status, error) {
	if err := workflow.Await(ctx, func() bool { return r.s.Version > 0 || r.s.Phase.Closed() }); err != nil {
		return Status{}, err
	}
	return r.status(), nil
}

func (r *run[T]) signalsPending() bool {
	for _, c := range r.signals {
		if c.ch.Len() > 0 {
			return true
		}
	}
	return false
}
