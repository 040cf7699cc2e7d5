// Package consumer checks the library as an importer sees it: a throwaway
// module outside the repository requires github.com/durable-llm/durable-llm
// (through a replace to this checkout), builds a small workflow with hitl,
// llm, saga and idem, and after go mod tidy its module graph holds none of
// the dependencies that only the examples and harnesses use.
//
// Run it with the other harnesses:
//
//	cd harness && go test ./consumer
//
// It needs the go command and the module proxy (or a warm module cache).
package consumer
