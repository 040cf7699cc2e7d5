package hitl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// published is what the server holds for each attribute, to upsert only
// changes: set by an upsert, or by the start request ([Open]).
type published struct {
	hasPhase, hasStage, hasPending bool

	phase   Phase
	stage   string
	pending []string
	details string
}

// changeQuietRevisions versions the default of [Config.UpsertRevising]
// for reviews recorded without [RecordingQuiet]: runs that started
// before it upserted HITLStatus to revising and back around every
// revision, and replay that way.
const changeQuietRevisions = "hitl.quiet-revisions"

// RecordingQuiet is the [State.Recording] of reviews that [Open] started:
// HITLStatus "drafting" comes with the start request instead of an
// upsert, HITLStage and HITLPendingReviewers are first upserted when
// version 1 exists (with HITLStatus "open", in one upsert), a run resumed
// after continue-as-new upserts only what differs from the attributes it
// inherited, and revisions leave HITLStatus "open" (unless
// [Config.UpsertRevising]) without the version marker and its
// TemporalChangeVersion upsert that [workflow.GetVersion] would record.
// A one-edit review upserts twice (open, then its outcome) where one
// recorded without it upserts four times.
const RecordingQuiet = 1

// RecordingOf returns the [State.Recording] that [Run] gives the review
// resumed from s (nil, or a zero State, for a new review) in this run: a
// state from an earlier run keeps its own; a new review is
// [RecordingQuiet] when its start request carried HITLStatus "drafting",
// which [Open] sets, and 0 otherwise. It reads only the state and the
// workflow's start event, so replay gets the same answer. A workflow that
// runs a review can version its own changes to what it records on it,
// without a version marker: call it with the state passed to Run, before
// Run.
func RecordingOf[T any](ctx workflow.Context, s *State[T]) int {
	if s != nil && (s.Recording != 0 || s.Runs > 0) {
		return s.Recording
	}
	if v, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(StatusAttribute); ok && v == string(PhaseDrafting) {
		return RecordingQuiet
	}
	return 0
}

// inherit records, for a quiet review, the hitl attributes the run
// started with (set by Open's start request, or carried by
// continue-as-new), so the first upsert sends only what differs.
func (r *run[T]) inherit(ctx workflow.Context) {
	if r.s.Recording < RecordingQuiet {
		return
	}
	sa := workflow.GetTypedSearchAttributes(ctx)
	if v, ok := sa.GetKeyword(StatusAttribute); ok {
		r.pub.hasPhase, r.pub.phase = true, Phase(v)
	}
	if v, ok := sa.GetKeyword(StageAttribute); ok {
		r.pub.hasStage, r.pub.stage = true, v
	}
	if v, ok := sa.GetKeywordList(PendingReviewersAttribute); ok {
		r.pub.hasPending, r.pub.pending = true, v
	}
}

// publish upserts the search attributes whose value changed, and sets the
// Web UI details when they changed.
func (r *run[T]) publish(ctx workflow.Context) {
	if r.pub.hasPhase && (r.cfg.DisableSearchAttributes || !r.chosen(StatusAttribute)) {
		r.unsetStatus(ctx)
	}
	if !r.cfg.DisableSearchAttributes {
		r.upsert(ctx)
	}
	if d := r.details(); d != r.pub.details {
		workflow.SetCurrentDetails(ctx, d)
		r.pub.details = d
	}
}

// upsert sends the chosen attributes that changed since the last upsert
// (all of them the first time), in one command, or nothing.
func (r *run[T]) upsert(ctx workflow.Context) {
	phase, stage, pending := r.s.Phase, r.stage().Name, r.pending()
	if pending == nil {
		pending = []string{}
	}
	status, stages, reviewers := r.chosen(StatusAttribute), r.chosen(StageAttribute), r.chosen(PendingReviewersAttribute)
	quiet := r.s.Recording >= RecordingQuiet
	if status && phase == PhaseRevising && !r.cfg.UpsertRevising &&
		(quiet || workflow.GetVersion(ctx, changeQuietRevisions, workflow.DefaultVersion, 1) >= 1) {
		phase = PhaseOpen // a revision leaves HITLStatus as it was
	}
	if quiet && phase == PhaseDrafting {
		stages, reviewers = false, false // nobody is pending before version 1
	}
	// Nothing is published yet in a review recorded without
	// RecordingQuiet: its first upsert sends every chosen attribute, as
	// hitl always did.
	var updates []temporal.SearchAttributeUpdate
	if status && (!r.pub.hasPhase || phase != r.pub.phase) {
		updates = append(updates, StatusAttribute.ValueSet(string(phase)))
		r.pub.hasPhase, r.pub.phase = true, phase
	}
	if stages && (!r.pub.hasStage || stage != r.pub.stage) {
		updates = append(updates, StageAttribute.ValueSet(stage))
		r.pub.hasStage, r.pub.stage = true, stage
	}
	if reviewers && (!r.pub.hasPending || !slices.Equal(pending, r.pub.pending)) {
		updates = append(updates, PendingReviewersAttribute.ValueSet(pending))
		r.pub.hasPending, r.pub.pending = true, pending
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("hitl: upserting search attributes failed", "error", err)
	}
}

// unsetStatus removes the HITLStatus a start request (Open) set, from a
// review that does not keep it up to date (Config.SearchAttributes leaves
// it out, or DisableSearchAttributes): a stale "drafting" would list the
// review as drafting for good.
func (r *run[T]) unsetStatus(ctx workflow.Context) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, StatusAttribute.ValueUnset()); err != nil {
		workflow.GetLogger(ctx).Warn("hitl: unsetting HITLStatus failed", "error", err)
	}
	r.pub.hasPhase, r.pub.phase = false, ""
}

// chosen reports whether Config.SearchAttributes selects k (nil selects all).
func (r *run[T]) chosen(k temporal.SearchAttributeKey) bool {
	return r.cfg.SearchAttributes == nil || slices.ContainsFunc(r.cfg.SearchAttributes, func(c temporal.SearchAttributeKey) bool {
		return c.GetName() == k.GetName()
	})
}

// details is the Web UI's "current details" line (Temporal markdown).
func (r *run[T]) details() string {
	s, st := r.s, r.stage()
	switch s.Phase {
	case PhaseDrafting:
		return "**Drafting** version 1"
	case PhaseRevising:
		return fmt.Sprintf("**Revising** version %d into %d", s.Version, s.Version+1)
	case PhaseOpen:
		var b strings.Builder
		fmt.Fprintf(&b, "**Waiting for %s** on version %d: %d of %d approvals; pending: %s",
			st.Name, s.Version, len(s.Approvals), st.quorum(), names(r.pending()))
		if !s.Due.IsZero() {
			fmt.Fprintf(&b, "; due %s", s.Due.UTC().Format(dueFormat))
		}
		if s.Escalated {
			b.WriteString(" (escalated)")
		}
		return b.String()
	}
	out := fmt.Sprintf("**%s** version %d in stage %s", s.Phase, s.Version, st.Name)
	if s.ClosedBy != "" {
		out += " by " + s.ClosedBy
	}
	if s.Reason != "" {
		out += ": " + clip(s.Reason, 200)
	}
	return out
}

// RegisterSearchAttributes registers [SearchAttributes] on namespace (empty
// means the client's "default"). Attributes that already exist are fine.
// It calls the operator service, so it needs admin rights on a cluster; on
// Temporal Cloud create them with tcld or the Cloud UI instead.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	if namespace == "" {
		namespace = client.DefaultNamespace
	}
	attrs := make(map[string]enums.IndexedValueType, 3)
	for _, k := range SearchAttributes() {
		attrs[k.GetName()] = k.GetValueType()
	}
	_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		SearchAttributes: attrs,
		Namespace:        namespace,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("hitl: register search attributes on namespace %q (or create them with `temporal operator search-attribute create`): %w", namespace, err)
	}
	return nil
}
