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
//     per workflow when the worker dies after the model answered, and
//     workflows per second with end-to-end latency for BENCH_LOAD
//     concurrent reviews (default 500) on two workers, then writes the
//     figures, as ratios to the baseline, to that path (docs/BENCHMARKS.md).
//   - TestSmoke runs one tiny round of each flow under `go test ./...`.
//   - BenchmarkSagaStep and BenchmarkExecuteActivity give the per-call cost
//     of saga.Step over a plain workflow.ExecuteActivity.
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
//	go test ./bench -run '^$' -bench .
//
// Figures are written down, never asserted: tests only check that every
// workflow completed and the figures are positive.
//
// [baseline]: https://pkg.go.dev/github.com/durable-llm/durable-llm/harness/bench/baseline
package bench
