// Package docapproval is the document-approval flow: an LLM drafts a
// document from a prompt, reviewers edit it (each edit is one LLM revision)
// or approve it, and the approved version is persisted once. It is the Go
// version of the seed tutorial "Build Durable LLM Workflows with
// temporal-python-sdk", built on the library's llm, hitl and idem packages.
//
// # Overview
//
// [Review] is the workflow. It validates its [Input], drafts version 1 with
// the [ActivityDraft] activity, then hands the loop to [hitl.Run]: reviewers
// decide through the hitl update (the client helpers [hitl.Approve],
// [hitl.Edit], [hitl.Reject], the hitlhttp pages from [ReviewHandler], the
// review command) or the seed's signals submit_edit and approve. An edit
// runs [ActivityRevise] and produces the next version; an approval runs
// [ActivityPersist] (a local activity in reviews hitl.Open started), which
// writes <doc_id>_<version>.json to the [Store], and ends the workflow
// with a [Result]. A rejection ends it without
// writing anything.
//
// On the worker, [NewActivities] builds the activities from a [Config] (the
// store's directory, the llm.Config of the models, an idem.Store) and
// [Register] registers them with the workflow; build the worker with
// [Activities.WorkerOptions]. [RunDemo] plays a scripted review from a
// client, for demos and tests.
//
// # Determinism
//
// [Review] and the options helpers ([LLMActivityOptions],
// [PersistActivityOptions]) are workflow code: they only build inputs and
// schedule activities. Prompts are assembled in the activities
// ([DraftPrompt], [RevisePrompt]), and the LLM's answers reach the workflow
// as activity results recorded in history, so a replay never calls the
// model. testdata/review-opened.json (a review hitl.Open started: the
// persist step a local activity), review-refs.json (recorded before it,
// drafts by reference) and review.json (recorded before they were) are
// histories the replay test checks the workflow against.
//
// # Drafts by reference
//
// A model answer longer than [Config.InlineBytes] (2 KiB by default) is
// written to the [Drafts] store (a directory every worker shares, by
// default Dir/drafts) before the activity returns, and the [Document] in
// history holds a hitl.DraftRef (key, SHA-256, size, head) instead of the
// text: a review round records about 2 KB however long the document. The
// revise and persist activities read the text back and check its hash
// ([ErrTypeDraftMissing] when they cannot); the review pages read it with
// [DraftLoader] (ReviewAuth.Drafts), clients with [LoadText].
//
// # Steering and the live view
//
// While a revision is being written, the reviewers who may decide in the
// current stage can stop or redirect it from the review pages
// ([ReviewHandler], [Steer]). Any client can steer the revision or the
// first draft with llm.Stop, llm.Redirect or llm.Steer: [Review] answers
// the llm package's steering update (llm.UpdateSteer) for its draft and
// revise activities. A steer cancels
// the activity in flight; the cancellation reaches it with its next
// heartbeat (within the llm heartbeat interval, 2 s, on a worker built
// with [Activities.WorkerOptions]), the model call stops (on the
// background Responses API the provider's response is cancelled, which
// stops the billing) and the activity reports what the model had written
// and the usage billed so far as the details of its cancellation, which
// the workflow waits for and the history records.
//
//   - A stopped revision produces no version: the review stays on the
//     version it revised, open, and reviewers can edit again. hitl records
//     it as revise_failed ("alice stopped the revision of version 2 after
//     812 characters ..."), the edit that asked for it returns hitl's
//     ReviseFailed error quoting [ErrTypeStopped], and its usage counts in
//     the next version's [Document.Interrupted] (or [Result.Stopped]).
//   - A stopped first draft is version 1 as written so far, marked
//     [Document.Stopped]; reviewers edit or reject it as any version.
//   - A redirect asks again, with the reviewer's message added to the
//     prompt ([DraftInput.Redirects], [ReviseInput.Redirects]; its own
//     idempotency key), for the same version; the interrupted call's usage
//     counts in that version's Interrupted.
//
// Steering writes nothing to the history until it is used. [Config.Live]
// also streams the model's text to the workflow while it is written (the
// stream package: [StreamTopic]), and the pages show it word by word. It
// is off by default because every draft's text then reaches the history a
// second time, as signals (see the README for the figures); without it
// the pages say a version is being written and show it when it lands.
//
// # Retries and errors
//
// A bad doc_id or a prompt under [MinPromptChars] fails the workflow at once
// with a non-retryable [ErrTypeInvalidInput] error ([IsInvalidInput]),
// before any activity runs; [Input.Validate] runs the same check in clients.
// LLM calls use the llm package's retry policy and error classification (a
// quota or context-length failure is never retried). Each LLM call is
// wrapped with idem.Wrap under the business key (doc_id, version)
// ([DraftKey], [ReviseKey]): a retry after a crash, or a re-run of the same
// review, gets the recorded answer instead of paying again. [Store.Persist]
// writes a record atomically and only once; the same content again returns
// the existing record, other content fails with a non-retryable
// [ErrTypeConflict]. [Input.InjectTransientFailure] makes the first persist
// attempt fail with a retryable [ErrTypeTransient] error after writing, to
// show the retry with backoff finding the record.
//
// # Testing
//
// The workflow tests run on go.temporal.io/sdk/testsuite with the real
// activities on the offline model. The integration tests run on a Temporal
// dev server (durabletest) with the llmtest fake OpenAI server and check that
// the number of billed calls equals 1 draft + N revisions, and that a stop
// or redirect from the pages' API cancels the provider's response. Browser
// tests drive the hitlhttp pages in headless Chromium. Re-record the replay
// history with:
//
//	go test ./examples/docapproval -run TestRecordHistory -record
package docapproval
