package hitl

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Run runs a review inside the caller's workflow and returns how it ended.
// It runs in workflow code only; call it before the workflow blocks on
// anything else, because it registers the update, query and signal
// handlers (update-with-start needs them in the first workflow task).
//
// state is the review carried through continue-as-new: nil (or a zero
// State) starts a new review with Config.Draft; a state from an earlier run
// resumes it. When the run has handled Config.MaxDecisionsPerRun decisions,
// or the server suggests it, Run waits for every handler to finish and
// returns the continue-as-new error built by Config.ContinueAsNew; return it
// from the workflow as is.
//
// Once the review has closed, Run runs Config.Finish (when set), then waits
// for every update handler and records every signal received, so nothing
// the workflow received is left unread when it returns.
//
// Approval, rejection and timeout under [TimeoutReject] end with a nil error
// (or Config.Finish's) and the outcome in [Result.Phase]. Cancellation
// returns the SDK's canceled error (the workflow ends canceled); a deadline
// under [TimeoutFail] returns a non-retryable error of type
// [ErrTypeDeadline]; a failing Config.Draft returns its error.
func Run[T any](ctx workflow.Context, cfg Config[T], state *State[T]) (Result[T], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result[T]{}, err
	}
	if state == nil {
		state = &State[T]{}
	}
	if state.Phase == "" {
		state.Phase = PhaseDrafting
	}
	state.Recording = RecordingOf(ctx, state)
	if state.Stage < 0 || state.Stage >= len(cfg.Stages) {
		return Result[T]{}, fmt.Errorf("%w: the carried state is in stage %d but Config has %d stages", ErrInvalidConfig, state.Stage, len(cfg.Stages))
	}
	state.Runs++
	r := &run[T]{cfg: cfg, s: state, editWaiters: make(map[int][]*outcome)}
	r.inherit(ctx)
	r.index()
	if err := r.register(ctx); err != nil {
		return Result[T]{}, err
	}
	if state.Phase == PhaseDrafting {
		if err := r.draft(ctx); err != nil {
			return r.abort(ctx, err)
		}
	}
	return r.loop(ctx)
}

// run is one workflow run of a review. Its fields are touched only from
// workflow coroutines, which never run concurrently.
type run[T any] struct {
	cfg   Config[T]
	s     *State[T]
	runID string

	changes     int // bumped on every state change; wakes the loop
	decisions   int // decisions handled in this run
	epoch       int // bumped whenever a stage (re)starts
	signals     []signalChan
	inbox       []item             // received, not yet applied
	ids         map[string]int     // Decision.ID -> index in State.Decided
	editWaiters map[int][]*outcome // edit seq -> updates waiting for its revision
	notice      *stamp             // a version is ready for a stage: tell its reviewers

	timer       workflow.Future
	timerDue    time.Time
	cancelTimer workflow.CancelFunc

	pub published
}

func (r *run[T]) loop(ctx workflow.Context) (Result[T], error) {
	for {
		r.publish(ctx)
		switch {
		case r.s.Phase.Closed():
			return r.finish(ctx)
		case r.s.Pending != nil:
			if err := r.revise(ctx); err != nil {
				return r.abort(ctx, err)
			}
			continue
		case r.notice != nil:
			if err := r.ready(ctx); err != nil {
				return r.abort(ctx, err)
			}
			continue
		case r.shouldContinue(ctx):
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) || r.s.Pending != nil }); err != nil {
				return r.abort(ctx, err)
			}
			r.catchUp(ctx)
			if r.s.Phase == PhaseOpen && r.s.Pending == nil && r.notice == nil && workflow.AllHandlersFinished(ctx) {
				return Result[T]{}, r.continueAsNew(ctx)
			}
			continue
		}
		fired, err := r.wait(ctx)
		if err != nil {
			return r.abort(ctx, err)
		}
		r.catchUp(ctx)
		if fired {
			if err := r.deadline(ctx); err != nil {
				return r.abort(ctx, err)
			}
		}
	}
}

func (r *run[T]) draft(ctx workflow.Context) error {
	r.publish(ctx)
	v := r.cfg.Initial
	var err error
	if r.cfg.Draft != nil {
		v, err = r.cfg.Draft(ctx)
	}
	r.catchUp(ctx) // decisions that arrived before version 1 are refused
	if err != nil {
		return err
	}
	r.s.Current, r.s.Version, r.s.Phase = v, 1, PhaseOpen
	r.versionMade(ctx, nil, 0)
	r.enterStage(ctx, 0)
	r.system(ctx, ActionDrafted, "version 1")
	if r.cfg.Notify == nil {
		return nil
	}
	r.publish(ctx)
	return r.notify(ctx, NoticeOpened, r.pending(), r.s.Due)
}

func (r *run[T]) revise(ctx workflow.Context) error {
	d, seq := *r.s.Pending, r.s.PendingSeq
	r.s.Phase = PhaseRevising
	r.publish(ctx)
	next, err := r.cfg.Revise(ctx, r.s.Current, d)
	r.catchUp(ctx) // decisions that arrived during the revision are about the old version
	r.s.Pending, r.s.PendingSeq, r.s.Phase = nil, 0, PhaseOpen
	if err != nil {
		if canceled(ctx, err) {
			return err
		}
		r.system(ctx, ActionReviseFailed, clip(err.Error(), commentRunes))
		r.settle(d.ID, Receipt{}, true)
		r.edited(seq, Receipt{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"hitl: revising version %d failed: %v; the review stays on version %d, send the edit again",
			r.s.Version, err, r.s.Version), ErrTypeReviseFailed, nil))
		r.changed()
		return nil
	}
	r.keepPast()
	r.s.Current = next
	r.s.Version++
	r.versionMade(ctx, &d, seq)
	r.s.ChangesRequested = ""
	r.enterStage(ctx, 0)
	r.system(ctx, ActionRevised, fmt.Sprintf("version %d from the edit of %s (#%d)", r.s.Version, who(d), seq))
	rc := Receipt{Seq: seq, Version: r.s.Version, Phase: r.s.Phase, Stage: r.stage().Name}
	r.settle(d.ID, rc, false)
	r.edited(seq, rc, nil)
	r.announce()
	r.changed()
	return nil
}

func (r *run[T]) shouldContinue(ctx workflow.Context) bool {
	return r.decisions >= r.cfg.MaxDecisionsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

func (r *run[T]) continueAsNew(ctx workflow.Context) error {
	workflow.GetLogger(ctx).Info("hitl: continuing as new", "version", r.s.Version, "audit", r.s.AuditCount, "runs", r.s.Runs)
	if r.cfg.ContinueAsNew != nil {
		return r.cfg.ContinueAsNew(ctx, r.s)
	}
	return workflow.NewContinueAsNewError(ctx, workflow.GetInfo(ctx).WorkflowType.Name, r.s)
}

// finish returns the outcome once every update handler has returned and
// every signal is recorded, after Config.Finish.
func (r *run[T]) finish(ctx workflow.Context) (Result[T], error) {
	if err := r.drain(ctx); err != nil {
		return r.abort(ctx, err)
	}
	var ferr error
	if r.cfg.Finish != nil && r.s.Phase != PhaseFailed {
		ferr = r.cfg.Finish(ctx, r.result())
		if ferr != nil && canceled(ctx, ferr) {
			return r.abort(ctx, ferr)
		}
		if err := r.drain(ctx); err != nil {
			return r.abort(ctx, err)
		}
	}
	res := r.result()
	if r.s.Phase == PhaseFailed {
		return res, temporal.NewNonRetryableApplicationError("hitl: "+r.s.Reason, ErrTypeDeadline, nil)
	}
	return res, ferr
}

// drain waits until every update handler has returned, then receives and
// records every signal: nothing the workflow received is left unread when
// it returns without blocking again.
func (r *run[T]) drain(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	r.catchUp(ctx)
	return nil
}

// abort ends the run on err: a cancellation closes the review as canceled;
// any other error (a failing Draft) as failed.
func (r *run[T]) abort(ctx workflow.Context, err error) (Result[T], error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if !r.s.Phase.Closed() {
		phase := PhaseFailed
		if canceled(ctx, err) {
			phase = PhaseCanceled
			r.system(dctx, ActionCanceled, "workflow canceled")
		}
		r.close(phase, clip(err.Error(), commentRunes), systemReviewer)
	}
	r.publish(dctx)
	_ = r.drain(dctx)
	return r.result(), err
}

func (r *run[T]) result() Result[T] {
	return Result[T]{
		Phase:      r.s.Phase,
		Artifact:   r.s.Current,
		Version:    r.s.Version,
		Stage:      r.stage().Name,
		By:         r.s.ClosedBy,
		Reason:     r.s.Reason,
		Audit:      append([]Entry(nil), r.s.Audit...),
		AuditCount: r.s.AuditCount,
	}
}

func canceled(ctx workflow.Context, err error) bool {
	return temporal.IsCanceledError(err) || ctx.Err() != nil
}

func (r *run[T]) stage() Stage { return r.cfg.Stages[r.s.Stage] }

func (r *run[T]) changed() { r.changes++ }

// enterStage starts stage i afresh: no approvals, its own deadline.
func (r *run[T]) enterStage(ctx workflow.Context, i int) {
	r.epoch++
	now := workflow.Now(ctx)
	r.s.Stage, r.s.Approvals, r.s.Escalated, r.s.StageStarted = i, nil, false, now
	r.s.Due = time.Time{}
	if d := r.cfg.Stages[i].Deadline; d > 0 {
		r.s.Due = now.Add(d)
	}
}

// advance moves past the current stage, approving the review after the last.
func (r *run[T]) advance(ctx workflow.Context, by string) {
	if r.s.Stage+1 >= len(r.cfg.Stages) {
		r.close(PhaseApproved, "", by)
		return
	}
	r.enterStage(ctx, r.s.Stage+1)
	r.announce()
}

func (r *run[T]) close(p Phase, reason, by string) {
	r.s.Phase, r.s.Reason, r.s.ClosedBy, r.s.Due = p, reason, by, time.Time{}
	r.changed()
}

func (r *run[T]) record(ctx workflow.Context, e Entry) Entry {
	e.Time = workflow.Now(ctx)
	return r.s.record(e, r.cfg.AuditLimit)
}

func (r *run[T]) system(ctx workflow.Context, a Action, comment string) {
	r.record(ctx, Entry{Reviewer: systemReviewer, Action: a, Version: r.s.Version, Stage: r.stage().Name, Comment: comment, Via: ViaSystem})
	r.changed()
}
