// Package durable holds what every durable-llm package shares: a client dialled
// from the standard Temporal environment, a local dev server for demos and
// tests, typed helpers around activity execution, activity-option presets and
// observability.
//
// # Connecting
//
// [Dial] reads the same configuration as the temporal CLI and every Temporal
// SDK (contrib envconfig): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS_*, and the TOML profile in
// TEMPORAL_CONFIG_FILE. The same binary therefore runs against a laptop dev
// server, a self-hosted cluster or Temporal Cloud. When nothing answers, the
// error is a [*DialError] that says which address was tried and what to set.
//
// [StartDevServer] runs the temporal CLI's dev server (Web UI, optional SQLite
// file so state survives a restart, extra search attributes). It never
// downloads anything: the CLI comes from $TEMPORAL_CLI, ./bin/temporal (built
// by `make tools`) or PATH, and [*CLINotFoundError] says so when none is there.
//
// # Workflow side
//
// [Execute], [Start] and [ExecuteLocal] are typed wrappers over
// [workflow.ExecuteActivity] and [workflow.ExecuteLocalActivity]:
//
//	draft, err := durable.Execute[Draft](ctx, acts.Draft, in, durable.Standard("draft v1"))
//
// The presets [Quick], [Standard], [Long] and [Local] always set both the
// start-to-close and schedule-to-close timeouts, a UI summary, and a retry
// policy with every field filled by [RetryPolicy], so the unit-test
// environment and a real server retry the same way (the test environment
// fills unset fields differently).
//
// # Determinism
//
// Everything in execute.go and options.go is safe in workflow code: it only
// builds options and calls the SDK. [Dial], [StartDevServer] and
// [Observability] are for worker and client processes and must not be called
// from workflow code.
//
// # Retries and errors
//
// The presets retry with exponential backoff (coefficient 2). To make an error
// final, return a non-retryable [temporal.ApplicationError] from the activity,
// or list its type in the policy's NonRetryableErrorTypes. Return such errors
// unwrapped: the SDK's failure converter reads only the top-level error.
//
// # Observability
//
// [Observability.Apply] installs the OpenTelemetry tracing interceptor and
// metrics handler (contrib opentelemetry) and a [log/slog] logger on the client
// options; workers built from the client inherit them, so one trace runs from
// the client's StartWorkflow through RunWorkflow to each RunActivity.
//
// # Testing
//
// Package durabletest starts one dev server per test package, workers that a
// test can kill and restart, and replays recorded histories.
package durable
