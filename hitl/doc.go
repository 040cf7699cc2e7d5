// Package hitl runs human review loops inside Temporal workflows: a draft
// goes through versions and stages until reviewers approve it, reject it or
// let it time out, and no decision is ever lost.
//
// # Overview
//
// [Run] is called from the caller's workflow with a [Config] and the
// [State] carried from an earlier run (nil at first):
//
//	func DocReview(ctx workflow.Context, in Input) (hitl.Result[string], error) {
//		return hitl.Run(ctx, hitl.Config[string]{
//			Draft:  func(ctx workflow.Context) (string, error) { ... an LLM activity ... },
//			Revise: func(ctx workflow.Context, cur string, d hitl.Decision) (string, error) { ... },
//			Stages: []hitl.Stage{
//				{Name: "editor", Reviewers: []string{"alice"}},
//				{Name: "legal", Reviewers: []string{"bob", "carol"}, Quorum: 2, Deadline: 48 * time.Hour,
//					Escalation: hitl.Escalation{Reviewers: []string{"dana"}, Deadline: 24 * time.Hour}},
//			},
//			ContinueAsNew: func(ctx workflow.Context, s *hitl.State[string]) error {
//				in.State = s
//				return workflow.NewContinueAsNewError(ctx, DocReview, in)
//			},
//		}, in.State)
//	}
//
// Reviewers send a [Decision] (approve, edit, reject, request changes)
// about a version. An edit runs Config.Revise and makes the next version;
// a new version clears every approval and starts again at the first stage,
// because approvals are for a version. Config.Revise is optional: without
// it edits are refused ([ErrEditsNotAccepted]). A request for changes sends
// the current version back to the first stage. Rejection by any allowed
// reviewer ends the review. A stage is done when Quorum distinct reviewers
// approved the current version in it; the review is approved after the
// last stage.
//
// # Updates and signals
//
// Decisions arrive as the [UpdateDecide] update. Its validator refuses a
// bad decision synchronously (unknown or unauthorized reviewer, stale
// version, empty edit, closed review, duplicate approval) and nothing is
// written to history. Signal-only clients send the [SignalDecide] signal
// with a Decision, or the seed's per-kind signals [SignalSubmitEdit],
// [SignalApprove], [SignalReject] and [SignalRequestChanges]; a signal
// that cannot apply is recorded in the audit trail as ignored, with the
// reason, never applied. A signal may leave Decision.Version 0: it then
// means the version current when the workflow received the signal, and
// the signal never applies to a version made after that (an approve sent
// while version 1 is revised does not approve version 2; one that arrives
// before version 1 exists is ignored). Prefer updates, or set Version,
// where the version matters.
//
// # Decision IDs
//
// Decision.ID makes a decision apply at most once for the review's whole
// life, continue-as-new included: the review remembers the IDs of its
// newest [Config.DecisionIDLimit] applied decisions (default
// [DefaultDecisionIDLimit]) in [State]. A repeated update is answered with
// the original [Receipt]; a repeated signal is recorded as ignored
// ([ErrTypeDuplicate]); the same ID on another reviewer's or action's
// decision is refused. Updates without an ID use their update ID, so a
// client's retry of one update never applies twice. An approval counts
// only in the stage current when it arrived: a reviewer listed in two
// stages approves each by a separate decision.
//
// # Order and conflicts
//
// A real server can deliver several decisions in one workflow task (when
// the worker was down or busy). The workflow applies everything it
// received in a task as one batch, before anything else changes the
// review, and each decision is checked against the version and stage the
// review was in when it arrived. Within a batch:
//
//   - Decisions from one source keep the order they were sent in: all
//     updates, or all [SignalDecide] signals, or all signals of one seed
//     kind. They are applied in that order, so no decision overrides one
//     sent before it.
//   - Across sources the order is lost (the SDK buffers each signal name
//     in its own channel, and runs update handlers before the workflow
//     reads any channel). Then the batch is resolved conservatively:
//     rejections first, then requests for changes, then edits, then
//     approvals; an approval that arrived with an applied rejection,
//     request for changes or edit is not applied ([ErrTypeConflict]). The
//     audit trail records both: the winner with a Note, the approval as
//     ignored with the reason. An update that loses is accepted and fails
//     with the same error types the validator uses.
//
// An update is never applied before a signal received ahead of it: while
// decisions wait in the batch the validator checks only what they cannot
// change, and the rest is checked when the update's turn comes.
//
// # Draining
//
// Every decision the workflow receives is applied or recorded as ignored
// before the run completes or continues as new: the run waits for its
// update handlers, then reads every signal channel, and returns without
// blocking again. Work after the approval (persisting, the seed's flow)
// belongs in [Config.Finish], so decisions that arrive meanwhile are in the
// trail [Run] returns.
//
// # Status and search attributes
//
// [QueryStatus] returns a [Status] (phase, version, stage, pending
// reviewers, deadline, an excerpt, the audit trail); [QueryDraft] returns
// the draft in full. The loop keeps workflow.SetCurrentDetails readable in
// the Web UI and upserts the search attributes [StatusAttribute],
// [PendingReviewersAttribute] and [StageAttribute], so a visibility query
// such as HITLStatus = 'open' AND HITLPendingReviewers = 'bob' lists the
// reviews waiting for bob. They are upserted only when a value changes,
// and only the ones [Config.SearchAttributes] chooses: a review [Open]
// starts is "drafting" from its start request and costs an upsert when
// it opens and when it closes, plus one when its stage or pending
// reviewers change ([RecordingQuiet]); one started otherwise costs one
// more when it starts, and one (the SDK's version marker) at its first
// revision. HITLStatus stays "open" while an
// edit is revised, unless [Config.UpsertRevising] asks for the flip to
// "revising" and back (two upserts per edit). Register them first
// ([RegisterSearchAttributes], or durable.DevServerOptions.SearchAttributes
// = hitl.SearchAttributes()); [CheckSearchAttributes] at worker start, and
// [Open], report missing ones as a [*SearchAttributesError] that names each
// and how to register it.
//
// # Notices and deadlines
//
// [Config.Notify] is told when the review opens ([NoticeOpened]) and when a
// version is ready for a stage's reviewers ([NoticeReady]: a new version,
// the next stage, changes requested). A stage's Deadline starts a durable
// timer whose summary reads "waiting for legal, due 2026-12-01 09:00 UTC".
// When it passes, [Config.Notify] gets a reminder for the pending
// reviewers; with an [Escalation], its reviewers join the stage, are
// notified, and a second deadline starts. When the last deadline passes the
// stage's [TimeoutPolicy] applies: [TimeoutReject] (the default) ends the
// review as timed out, [TimeoutApprove] approves the stage on the
// reviewers' behalf, [TimeoutFail] fails the workflow.
//
// # Client side
//
// [Decide], [Approve], [Edit], [Reject] and [RequestChanges] send the
// update and wait until it is applied (an edit until the new version
// exists); [Submit] returns once the decision is accepted. [GetStatus] and
// [GetDraft] query; [GetVersions] and [GetVersion] read the version
// history ([QueryVersions], [QueryVersion]: who asked for each version,
// its [Generation], and past drafts within [Config.KeepVersionBytes]).
// [Open] starts a review or attaches to the running one with
// update-with-start and returns its status once version 1 exists. Package
// hitlhttp serves a JSON API and HTML pages for reviewers on top of these.
//
// # Long reviews
//
// A run continues as new after [Config.MaxDecisionsPerRun] decisions or
// when the server suggests it, once every handler has finished; the [State]
// carries version, stage, approvals, deadline, the audit trail and the
// applied decision IDs. The trail kept in State is capped at
// [Config.AuditLimit] entries: older entries stay in the earlier runs'
// histories, and State.AuditCount and State.Tally keep counting every
// entry, so version and counts stay exact however long the review runs.
//
// # Large drafts
//
// Every version of T enters history (as an activity result and in the
// continue-as-new state), and payloads are limited to 2 MiB (warnings from
// 512 KiB). For large drafts use [DraftRef] as T: the Draft and Revise
// activities store the text in the caller's store and return only its key,
// SHA-256, size and head. This package chooses the explicit reference over
// the SDK's converter.ExternalStorage because the reference works with
// every server and every client, keeps the status query and the Web UI
// readable without a codec server, lets reviewers verify what they approve
// by hash, and the LLM activity that writes the text is the natural place
// to store it; ExternalStorage is still marked experimental in SDK v1.50
// and needs the same driver on every worker, client and codec server. It
// stays compatible: a namespace that configures ExternalStorage needs no
// change here.
//
// # Determinism
//
// [Run] and everything it calls run in workflow code: time is
// workflow.Now, timers are durable, no map is iterated, and Config's
// functions must be deterministic too (call activities for I/O). Call Run
// before the workflow blocks, so its handlers are registered in the first
// workflow task. The client helpers and [RegisterSearchAttributes] run in
// client code only.
//
// How a review records its search attributes is chosen when it starts and
// kept in [State.Recording], so a review replays the way it was recorded
// whatever hitl version replays it. [RecordingOf] returns it to the
// workflow around Run, to version its own changes on it without a
// version marker (workflow.GetVersion records one, and an upsert of
// TemporalChangeVersion, per run).
//
// # Retries and errors
//
// Refusals are non-retryable [temporal.ApplicationError]s with the ErrType
// constants; the client helpers return them as [*DecisionError] matching
// the sentinels ([ErrStaleVersion], [ErrUnauthorized], ...) with errors.Is.
// Approval, rejection and timeout are outcomes in [Result], not errors. The
// retries of Draft and Revise are their activities' retry policies; when
// Revise still fails the review stays open on the same version and the
// edit's update fails with [ErrTypeReviseFailed]. Notify failures are
// logged and do not stop the review. Cancellation ends the review as
// canceled and returns the SDK's canceled error.
//
// # Testing
//
// Package hitltest has a ready-made review workflow over strings with fake
// activities. With go.temporal.io/sdk/testsuite, send decisions with
// hitltest.Decide, whose Result returns the same typed errors as [Decide]
// (a decision after the review or its workflow ended included); deadlines
// are skipped in mock time. The test environment gives every signal and
// update its own workflow task: test batches on a real dev server
// (durable/durabletest) with the worker stopped while they are sent. There
// the history shows no update-accepted event for refused decisions.
package hitl
