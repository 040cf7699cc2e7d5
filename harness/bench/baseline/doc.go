// Package baseline is the seed's document-approval flow written the way the
// seed tutorial writes it, directly on the Temporal Go SDK, with none of this
// library's packages: it is the yardstick the benchmarks in [bench] compare
// the library's version (examples/docapproval) against.
//
// # Overview
//
// [DocumentWorkflow] drafts version 1 with one LLM call, then waits for the
// signals [SignalSubmitEdit] (each edit is one LLM revision that receives the
// full current text) and [SignalApprove] (the current version is persisted and
// the workflow ends). The query [QueryStatus] returns a [Status]. The
// activities ([Activities.GenerateDraft], [Activities.ReviseDraft],
// [Activities.PersistFinal]) call an OpenAI-compatible endpoint with the
// openai-go client and, like the seed, keep a JSON file per (doc_id, version)
// when [Activities.Storage] is set, so a retry whose earlier attempt wrote the
// file does not call the model again.
//
// Do not copy it: it is deliberately what a typical hand-written version
// looks like, so that the benchmarks measure the difference.
//
// # Determinism
//
// The workflow uses only workflow APIs (signal channels read in
// workflow.Go, workflow.Await, workflow.ExecuteActivity); it passes
// workflowcheck.
//
// # Retries and errors
//
// Activities use the seed's policy: 60 s per attempt ([Input.StartToClose]
// overrides it), 5 min in all, 6 attempts from 2 s doubling up to 30 s. Bad
// input returns a non-retryable application error of type
// [ErrTypeValidation].
//
// # Testing
//
// The flow runs on the real dev server in the tests of [bench].
//
// [bench]: https://pkg.go.dev/github.com/durable-llm/durable-llm/harness/bench
package baseline
