package hitl

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Default limits of [Config].
const (
	// DefaultMaxDecisionsPerRun is the number of decisions (updates and
	// signals) after which a run continues as new. A run holds at most
	// 2,000 updates; 500 keeps histories small and far from that limit.
	DefaultMaxDecisionsPerRun = 500
	// DefaultAuditLimit is the number of audit entries kept in [State].
	DefaultAuditLimit = 200
	// DefaultDecisionIDLimit is the number of applied decision IDs kept in
	// [State] (about 130 bytes each, 65 KB in all): the decisions of a
	// whole default run, far more than a client retries.
	DefaultDecisionIDLimit = 500
	// excerptRunes bounds draft excerpts in the status and notices.
	excerptRunes = 280
	// commentRunes bounds comments copied into the audit trail.
	commentRunes = 1000
)

// Config configures [Run]. The zero value of every field has a stated
// default; the zero Config runs a one-stage review of the zero T that anyone
// may approve or reject.
type Config[T any] struct {
	// Draft produces version 1 (usually an LLM activity). It runs once, on
	// the first run of the review. When nil, Initial is version 1.
	Draft func(ctx workflow.Context) (T, error)
	// Initial is version 1 when Draft is nil.
	Initial T
	// Revise produces the next version from the current one and an edit
	// decision (usually an LLM activity). It runs in workflow code. When it
	// fails, the review stays open on the same version, the audit trail
	// records revise_failed and the edit's update returns an error of type
	// [ErrTypeReviseFailed]. Nil means edits are not accepted: they are
	// refused with [ErrTypeEditsNotAccepted] (an approve-or-reject review,
	// like the seed's expense approval).
	Revise func(ctx workflow.Context, current T, edit Decision) (T, error)
	// Stages run in order. Empty means one stage named "review" that anyone
	// can approve, quorum 1, no deadline.
	Stages []Stage
	// Notify is called in workflow code when the review opens
	// ([NoticeOpened]), when a version is ready for a stage's reviewers
	// ([NoticeReady]: a new version, the next stage, changes requested) and
	// when a deadline passes (reminder, escalation, timeout). Call an
	// activity from it, or use [NotifyActivity]. Errors are logged and do
	// not stop the review. Nil means no notifications.
	Notify func(ctx workflow.Context, n Notice) error
	// Finish, when set, runs once the review has closed as approved,
	// rejected or timed out, before Run returns: persist the approved
	// version here (the seed's flow). Decisions that arrive meanwhile are
	// refused (updates) or recorded as ignored (signals) in the trail Run
	// returns; after Run returns they are recorded only in the status
	// query's trail. Its error is returned by Run with the Result.
	Finish func(ctx workflow.Context, res Result[T]) error
	// Excerpt renders the current draft for the status, notices and the
	// Web UI. Nil means: T's Excerpt method when it has one (as [DraftRef]
	// does), the first 280 characters when T is a string, else its JSON.
	Excerpt func(draft T) string
	// ContinueAsNew builds the continue-as-new error that restarts the
	// caller's workflow with state (put it in the workflow's input and call
	// workflow.NewContinueAsNewError). Nil means the workflow takes
	// *State[T] as its only argument: Run continues the current workflow
	// type with state.
	ContinueAsNew func(ctx workflow.Context, state *State[T]) error
	// MaxDecisionsPerRun continues as new after this many decisions in one
	// run. 0 means [DefaultMaxDecisionsPerRun]. Run also continues as new
	// when the server suggests it.
	MaxDecisionsPerRun int
	// AuditLimit is the number of newest audit entries kept in [State] and
	// returned by the status. 0 means [DefaultAuditLimit]. Older entries are
	// counted (State.AuditCount, State.Tally) and stay in workflow history.
	AuditLimit int
	// DecisionIDLimit is the number of applied decision IDs the review
	// remembers across runs (see Decision.ID). 0 means
	// [DefaultDecisionIDLimit]. A repeat of a decision older than the
	// newest DecisionIDLimit is treated as a new decision.
	DecisionIDLimit int
	// KeepVersionBytes bounds the drafts of past versions the review keeps
	// for [QueryVersion] (reviewers' diffs), newest first, by their JSON
	// size; they are carried through continue-as-new. 0 means
	// [DefaultKeepVersionBytes]; negative keeps none.
	KeepVersionBytes int
	// DisableSearchAttributes stops Run from upserting HITLStatus,
	// HITLPendingReviewers and HITLStage (for namespaces where they are
	// not registered; upserting an unregistered attribute fails the
	// workflow task: see [CheckSearchAttributes]).
	DisableSearchAttributes bool
	// SearchAttributes chooses which of [SearchAttributes] Run upserts,
	// for example only [StatusAttribute] when no visibility query filters
	// on stage or reviewers: a change of the others then writes nothing.
	// Nil means all three. A key that is not one of [SearchAttributes] is
	// an [ErrInvalidConfig].
	SearchAttributes []temporal.SearchAttributeKey
	// UpsertRevising makes HITLStatus read "revising" while an edit is
	// being revised, which costs two upserts per edit (to revising and
	// back). By default the attribute stays "open" during a revision: a
	// revision takes seconds, a visibility query rarely needs to tell it
	// apart, and the [Status] query and the Web UI details still say
	// revising. The other attributes are upserted only when their value
	// changes in either case.
	UpsertRevising bool
}

func (c Config[T]) withDefaults() (Config[T], error) {
	stages, err := normalizeStages(c.Stages)
	if err != nil {
		return c, err
	}
	c.Stages = stages
	if c.MaxDecisionsPerRun <= 0 {
		c.MaxDecisionsPerRun = DefaultMaxDecisionsPerRun
	}
	if c.AuditLimit <= 0 {
		c.AuditLimit = DefaultAuditLimit
	}
	if c.DecisionIDLimit <= 0 {
		c.DecisionIDLimit = DefaultDecisionIDLimit
	}
	for _, k := range c.SearchAttributes {
		if !slices.ContainsFunc(SearchAttributes(), func(h temporal.SearchAttributeKey) bool {
			return h.GetName() == k.GetName() && h.GetValueType() == k.GetValueType()
		}) {
			return c, fmt.Errorf("%w: SearchAttributes: %s is not one of hitl's (HITLStatus, HITLPendingReviewers, HITLStage)", ErrInvalidConfig, k.GetName())
		}
	}
	if c.Excerpt == nil {
		c.Excerpt = func(v T) string { return excerptOf(v) }
	}
	return c, nil
}

// Result is how a review ended. Rejections and timeouts are outcomes, not
// errors: [Run] returns them with a nil error.
type Result[T any] struct {
	// Phase is PhaseApproved, PhaseRejected, PhaseTimedOut, PhaseCanceled
	// or PhaseFailed.
	Phase Phase `json:"phase"`
	// Artifact is the approved version (or the last one, when not approved).
	Artifact T `json:"artifact"`
	// Version is Artifact's version number.
	Version int `json:"version"`
	// Stage is the stage the review ended in.
	Stage string `json:"stage"`
	// By is the reviewer who rejected, or who gave the last approval.
	By string `json:"by,omitempty"`
	// Reason explains a rejection or timeout.
	Reason string `json:"reason,omitempty"`
	// Audit is the retained audit trail; AuditCount counts all entries.
	Audit      []Entry `json:"audit"`
	AuditCount int     `json:"audit_count"`
}

// Approved reports whether the review ended approved.
func (r Result[T]) Approved() bool { return r.Phase == PhaseApproved }
