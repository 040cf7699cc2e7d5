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
// resumes the generation by id) unless [Harness.SetAPI] says otherwise,
// and append every activity attempt they start to an attempt log
// ([AttemptLog]).
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
//   - on background Responses ([PaidOnce]), every workflow was billed
//     exactly the LLM answers it needs (one draft and one revision per
//     review, one answer per report), counted per workflow from the fake
//     provider's calls (each prompt carries a chaos-run tag), with no
//     tolerance for kills: an answer bought twice is a violation. On chat
//     completions and foreground Responses, which do not promise it, every
//     workflow must be billed at least those answers, and the ones bought
//     again are counted ([Result.Rebought]): what a kill mid-generation
//     costs there;
//   - the order store holds exactly one charge per order and one refund
//     per compensated order;
//   - the document store holds exactly one approved record per document.
//
// It also reports the LLM calls abandoned by kills and the stalls after
// kills ([Stall]): from a kill to the next request of an LLM call it
// interrupted (its retry, or the resumption of its generation). The
// attempt log gives each stall's retry, the first attempt Temporal
// started after the kill, whose start is set against its bound: the LLM
// activity's heartbeat timeout plus the backoff before that attempt,
// counted from the dead attempt's last heartbeat. What comes on top is
// Temporal's share (from the retry being due to the server starting it);
// a later kill that took the retry down before it asked, or that left no
// worker polling when it was due, is named.
//
// [Harness.ServerRestart] stops and restarts the dev server (same port,
// same database file) while a review waits for its reviewer, then approves
// it. [Harness.TwoWorkers] runs a second worker process on the same task
// queues, kills the first one for good while an LLM call is queued or
// generating, and checks the second finishes everything, billed exactly
// once. [Markdown] writes the report of docs/CHAOS.md, one section per
// API after a side-by-side [Summary] between [SummaryBegin] and
// [SummaryEnd], which docs/BENCHMARKS.md copies.
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
// counted from the dead attempt's last heartbeat) and the retry policy's
// backoff (2 s before a second attempt), which drive the stall after a
// kill, an order step after
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
// harness counts and reports as the cost of the kill, not as a violation.
//
// # Testing
//
// TestChaos runs every scenario on background Responses, then on chat
// completions (CHAOS_API=both, the default; CHAOS_API=background, chat or
// responses runs one), each on a dev server, fake provider and workers of
// its own. It runs in `go test ./...` with 2 runs per flow (about a minute
// per API) and skips without the temporal CLI unless DURABLE_INTEGRATION=1.
// The long run is
//
//	CHAOS_N=200 CHAOS_REPORT=$PWD/../docs/CHAOS.md go test ./chaos -run TestChaos -timeout 180m -v
//
// (`make chaos N=200`, about 12 minutes on background Responses and 15 on
// chat completions, on 2 shared CPUs);
// CHAOS_SEED=<n> repeats a run's kill points, and the worker logs and the
// attempt log stay in the test's temporary directory.
package chaos
