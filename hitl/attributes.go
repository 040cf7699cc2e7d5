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

// published is what the run last told the server, to upsert only changes.
type published struct {
	done    bool
	phase   Phase
	stage   string
	pending []string
	details string
}

// changeQuietRevisions versions the default of [Config.UpsertRevising]:
// runs that started before it upserted HITLStatus to revising and back
// around every revision, and replay that way.
const changeQuietRevisions = "hitl.quiet-revisions"

// publish upserts the search attributes whose value changed, and sets the
// Web UI details when they changed.
func (r *run[T]) publish(ctx workflow.Context) {
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
	if status && phase == PhaseRevising && !r.cfg.UpsertRevising &&
		workflow.GetVersion(ctx, changeQuietRevisions, workflow.DefaultVersion, 1) >= 1 {
		phase = PhaseOpen // a revision leaves HITLStatus as it was
	}
	var updates []temporal.SearchAttributeUpdate
	if status && (!r.pub.done || phase != r.pub.phase) {
		updates = append(updates, StatusAttribute.ValueSet(string(phase)))
	}
	if stages && (!r.pub.done || stage != r.pub.stage) {
		updates = append(updates, StageAttribute.ValueSet(stage))
	}
	if reviewers && (!r.pub.done || !slices.Equal(pending, r.pub.pending)) {
		updates = append(updates, PendingReviewersAttribute.ValueSet(pending))
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("hitl: upserting search attributes failed", "error", err)
	}
	r.pub.done, r.pub.phase, r.pub.stage, r.pub.pending = true, phase, stage, pending
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
