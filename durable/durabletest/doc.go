// Package durabletest runs tests against a real Temporal dev server: one server
// per test package, workers on their own task queues that a test can kill and
// restart, and replay of recorded histories.
//
// # One server per package
//
//	func TestMain(m *testing.M) { durabletest.Main(m) }
//
//	func TestFlow(t *testing.T) {
//		srv := durabletest.Server(t)
//		w := durabletest.StartWorker(t, srv, func(r worker.Registry) { r.RegisterWorkflow(Flow) })
//		run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, Flow)
//		...
//	}
//
// The server is the temporal CLI found by [durable.FindCLI] (`make tools` builds
// it into ./bin). When it cannot be found, tests that call [Server] skip and
// say why, unless the environment sets DURABLE_INTEGRATION=1 (as `make test`
// and CI do): then they fail, so integration tests never skip silently.
//
// # Crashes
//
// [Worker.Kill] cuts the worker's own connection to the server before stopping
// it, so whatever its activities finish afterwards never reaches the server: to
// Temporal it is a worker that died. The server retries those activities once
// their start-to-close or heartbeat timeout passes; [Worker.Restart] brings up a
// fresh worker on the same task queue to take them.
//
// # Replay
//
// [Replay] replays every *.json history in a folder against the current
// workflow code, so a change that breaks determinism fails a unit test rather
// than a running workflow. [SaveHistory] records one from a real run.
// [ReplayWith] replays each history under the workflow ID it ran under, for
// workflows that name children or keys after their own ID.
package durabletest
