package hitl

import "go.temporal.io/sdk/temporal"

// Wire names of the handlers [Run] registers on the caller's workflow. They
// are stable: clients in any language can use them.
const (
	// UpdateDecide is the update that submits a [Decision]. Its validator
	// refuses bad decisions before anything is written to history; it
	// returns a [Receipt].
	UpdateDecide = "hitl.decide"
	// UpdateAttach is the update that waits until the first draft exists and
	// returns the [Status]. [Open] sends it with update-with-start.
	UpdateAttach = "hitl.attach"
	// QueryStatus returns the [Status] of the review.
	QueryStatus = "hitl.status"
	// QueryDraft returns the current draft (the T of [Run]) in full.
	QueryDraft = "hitl.draft"

	// SignalDecide carries a [Decision] (with its Action) for signal-only
	// clients. All decisions sent on it are received in the order they were
	// sent, so prefer it to the per-kind seed signals below, whose relative
	// order the workflow cannot know (see the package doc, "Signals").
	SignalDecide = "hitl.decision"

	// SignalSubmitEdit is the seed's edit signal. Its payload is a plain
	// string (the instructions) or a [Decision].
	SignalSubmitEdit = "submit_edit"
	// SignalApprove is the seed's approve signal. Its payload is empty, a
	// string (the comment) or a [Decision].
	SignalApprove = "approve"
	// SignalReject rejects the draft. Its payload is empty, a string (the
	// reason) or a [Decision].
	SignalReject = "reject"
	// SignalRequestChanges sends the draft back to the first stage. Its
	// payload is empty, a string (the comment) or a [Decision].
	SignalRequestChanges = "request_changes"
)

// Search attributes [Run] upserts so open reviews can be listed with a
// visibility query (for example HITLStatus = 'open'). Register them on the
// namespace before running reviews, with [RegisterSearchAttributes] or
// `temporal operator search-attribute create`; on an unregistered namespace
// set [Config.DisableSearchAttributes].
var (
	// StatusAttribute (keyword HITLStatus) holds the [Phase]: "drafting",
	// "open", "approved", "rejected", "timed_out", "canceled", "failed";
	// "revising" only with [Config.UpsertRevising] (else a revision
	// leaves it "open").
	StatusAttribute = temporal.NewSearchAttributeKeyKeyword("HITLStatus")
	// PendingReviewersAttribute (keyword list HITLPendingReviewers) lists the
	// reviewers whose decision the review is waiting for.
	PendingReviewersAttribute = temporal.NewSearchAttributeKeyKeywordList("HITLPendingReviewers")
	// StageAttribute (keyword HITLStage) holds the name of the current stage.
	StageAttribute = temporal.NewSearchAttributeKeyKeyword("HITLStage")
)

// SearchAttributes returns the keys of the search attributes [Run] upserts,
// for durable.DevServerOptions.SearchAttributes or [RegisterSearchAttributes].
func SearchAttributes() []temporal.SearchAttributeKey {
	return []temporal.SearchAttributeKey{StatusAttribute, PendingReviewersAttribute, StageAttribute}
}
