// Package bench measures the library against a hand-written baseline: the
// seed's document-approval flow written directly on the SDK ([baseline])
// side by side with the library's version (examples/docapproval), on a real
// dev server and the llmtest OpenAI-compatible server.
//
// # Overview
//
// The package holds no library code, only tests and benchmarks:
//
//   - TestReport (run by `make bench`, gated on BENCH_REPORT=path) measures
//     history events and bytes per review round with 20 KB drafts, the
//     rounds that fit before the server's history limits, paid LLM requests
//     per workflow when the worker dies after the model answered, and, for
//     each load level, workflows per second, end-to-end latency and the CPU
//     time per workflow of the dev server's process and of two worker
//     processes (this test binary re-executed as a worker). The load phases
//     alternate baseline and library (A/B, then B/A) over several repeats
//     and report medians; ablation variants of the library, each with one
//     change, run in the same alternation. For evidence it also measures
//     the CPU of the test process and of the whole machine, counts the
//     requests the workers and reviewers make to the server (the SDK's
//     metrics counters), and runs one more load phase per flow whose
//     workers write CPU profiles, read with `go tool pprof -traces`. It runs
//     the go benchmarks (idem, llm, saga) once and copies the chaos
//     report's summary (docs/CHAOS.md, between its chaos-summary markers).
//     It writes the figures, with the targets they meet or miss and the
//     evidence for each miss, to that path (docs/BENCHMARKS.md).
//   - TestSmoke runs one tiny round of each flow and three concurrent
//     reviews on worker processes (with their counters and profiles)
//     under `go test ./...`; the other tests check the report's parsers
//     and its rendering without a server.
//   - BenchmarkSagaStep and BenchmarkExecuteActivity give the per-call cost
//     of saga.Step over a plain workflow.ExecuteActivity.
//
// Knobs of TestReport (environment): BENCH_LOADS (concurrent reviews per
// load phase, default "200,500"), BENCH_REPEATS (A/B repeats, default 2),
// BENCH_ABLATION_LOAD (the load level of the ablation rows, default the
// first of BENCH_LOADS; 0 measures only their histories), BENCH_ROUNDS
// (review rounds of the history measurement, default 5), BENCH_SEQ (reviews
// one at a time for the idle latency, default 20), BENCH_GO_COUNT (the
// -count of the go benchmarks, default 3; 0 skips them), BENCH_ABLATIONS
// (the ablation keys to run, default all, "none" for none),
// BENCH_BUDGET_MINUTES (no repeat is started that would end after it,
// default 24), BENCH_PROFILE_LOAD (the load level of the profiled phases,
// default the ablation load; 0 skips them), BENCH_PROFILE (a directory
// that keeps the profiles, and where any worker process writes one, for
// go tool pprof) and BENCH_CHAOS (the chaos report to copy from, default
// CHAOS.md beside the report).
//
// The ablations are the library as it ships with one change each: live
// (docapproval.Config.Live: the model's text streamed to the workflow),
// inline (drafts inline in history), upsert-revising (HITLStatus flips to
// revising and back every edit), idem-memory (LLM calls recorded in
// memory, not in the shared idem file store) and plain-start (the review
// started with a search attribute of its own, so hitl.Open does not mark
// it drafting and hitl records its attributes as before
// hitl.RecordingQuiet).
//
// # Determinism
//
// The workflows measured are [baseline.DocumentWorkflow] and
// docapproval.Review; both pass workflowcheck.
//
// # Retries and errors
//
// The crash measurement kills the worker with durabletest's CrashPoint after
// the draft activity returned and before its result reached the server; the
// server retries it after the activity's timeout (3 s for the baseline, the
// llm preset's 30 s heartbeat timeout for the library).
//
// # Testing
//
//	cd harness && go test ./bench                                                 # smoke
//	BENCH_REPORT=$PWD/../docs/BENCHMARKS.md go test ./bench -run TestReport -timeout 30m -v
//	BENCH_REPORT=/tmp/b.md BENCH_LOADS=20 BENCH_REPEATS=1 BENCH_GO_COUNT=0 go test ./bench -run TestReport -v  # quick
//	go test ./bench -run '^$' -bench .
//
// CPU figures come from /proc and are reported as n/a elsewhere. Figures are
// written down, never asserted: tests only check that every workflow
// completed and the figures are positive.
//
// [baseline]: https://pkg.go.dev/github.com/durable-llm/durable-llm/harness/bench/baseline
package bench
