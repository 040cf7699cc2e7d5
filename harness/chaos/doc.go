// Package chaos is the crash-and-restart harness of the examples. It runs
// the three example flows (examples/docapproval, examples/research and
// examples/ordersaga) against a real Temporal dev server with the worker in
// a separate process ([chaos/worker]), kills that process with SIGKILL at
// seeded random points, restarts it, and checks what the flows promise.
//
// # Overview
//
// [New] starts a fake OpenAI server (llm/llmtest) and a dev server whose
// state is in a SQLite file. The fake provider keeps each request
// [LLMQueueDelay] before generating, then generates for [LLMGenerationTime],
// so kills land before, during and between generations; like a real
// provider it finishes and bills a generation even when the worker that
// asked for it died. [BuildWorker] compiles the worker binary; every
// [Worker] process it runs shares one data directory: the idempotency
// records, the approved documents, the PDF reports and the order store.
// Workers call the LLM with [DefaultAPI] (background Responses: a retry
// resumes the generation by id) unless [Harness.SetAPI] says otherwise.
//
// [Harness.Run] runs N runs of each flow in batches. Each batch's worker is
// killed [Config.KillsPerBatch] times, each time after a seeded LLM request
// of the batch plus a seeded delay, and restarted at once. Each review
// gets an edit and an approval; every other order fails at shipping and is
// compensated. Afterwards it checks:
//
//   - every workflow completed with the right result (review approved at
//     the right version, report PDF on disk and notified, order completed
//     or compensated as scripted);
//   - every workflow was billed exactly the LLM answers it needs (one
//     draft and one revision per review, one answer per report), counted
//     per workflow from the fake provider's calls (each prompt carries a
//     chaos-run tag), with no tolerance for kills: an answer bought twice
//     is a violation;
//   - the order store holds exactly one charge per order and one refund
//     per compensated order;
//   - the document store holds exactly one approved record per document.
//
// It also reports the LLM calls abandoned by kills and the longest stall
// after a kill: from the kill to the next request of an LLM call it
// interrupted (its retry, or the resumption of its generation).
//
// [Harness.ServerRestart] stops and restarts the dev server (same port,
// same database file) while a review waits for its reviewer, then approves
// it. [Harness.TwoWorkers] runs a second worker process on the same task
// queues, kills the first one for good while an LLM call is queued or
// generating, and checks the second finishes everything, billed exactly
// once. [Markdown] writes the report of docs/CHAOS.md.
//
// # Determinism
//
// The seed ([Config.Seed], CHAOS_SEED in the test) fixes the kill points
// (which LLM request of a batch, and the delay after it), not the timing of
// the server or the processes, so a seed reproduces a run's shape, not its
// exact interleaving. The workflow code under test is the examples'; the
// harness only runs client code.
//
// # Retries and errors
//
// A killed worker's work is recovered by Temporal's timeouts: its
// workflow tasks after the sticky schedule-to-start timeout (5 s), an LLM
// call after the llm preset's heartbeat timeout (llm.DefaultHeartbeatTimeout,
// which drives the longest stall after a kill), an order step after
// [OrderAttemptTimeout], a document persist after its 30 s start-to-close
// timeout. The examples claim an idempotency key for an LLM call's whole
// start-to-close timeout (5 min); the harness worker caps these leases (its
// -lease flag, 10 s) so a call cut by a kill is retried within a minute. Do
// not cap leases with a real provider, whose calls can be slow.
//
// A kill during a generation does not stop it: the provider finishes and
// bills it. On background Responses the activity records the response id
// (in its idem store and heartbeat) as soon as the create call returns, and
// the retry resumes that generation instead of buying it again; on chat
// completions or foreground Responses the retry buys it again, which the
// harness reports as a violation (CHAOS_API=chat shows it).
//
// # Testing
//
// TestChaos runs in `go test ./...` with 2 runs per flow (about a minute)
// and skips without the temporal CLI unless DURABLE_INTEGRATION=1. The long
// run is
//
//	CHAOS_N=200 CHAOS_REPORT=$PWD/../docs/CHAOS.md go test ./chaos -run TestChaos -timeout 60m -v
//
// (`make chaos N=200`); CHAOS_SEED=<n> repeats a run's kill points, and the
// worker logs stay in the test's temporary directory.
package chaos
