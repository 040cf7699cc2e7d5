package consumer_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examplesOnly are modules an importer of the root packages must never
// inherit: what only the examples and harnesses use, and what only opt-in
// subpackages need.
var examplesOnly = []string{
	"github.com/chromedp/",
	"github.com/go-pdf/fpdf",
	"github.com/ledongthuc/pdf",
	"golang.org/x/image",
	"github.com/durable-llm/durable-llm/examples",
	"github.com/durable-llm/durable-llm/harness",
	// Needed only by subpackages the consumer does not import:
	// hitl/hitlhttp/oidcauth (OIDC sign-in) and agent/mcptool (MCP).
	"github.com/coreos/go-oidc",
	"github.com/modelcontextprotocol/go-sdk",
}

const consumerGoMod = `module example.com/consumer

go 1.26.0

require github.com/durable-llm/durable-llm v0.0.0-00010101000000-000000000000

replace github.com/durable-llm/durable-llm => REPO
`

// consumerMain is a small service: an LLM draft, a human review, a saga
// step with an undo and an at-most-once side effect.
const consumerMain = `package main

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/saga"
)

// Publish is the paid side effect, run at most once per key.
func Publish(ctx context.Context, text string) (string, error) { return "published", nil }

// Unpublish undoes Publish.
func Unpublish(ctx context.Context, text string) error { return nil }

// Review drafts with an LLM, asks a human, then publishes inside a saga.
func Review(ctx workflow.Context, prompt string) (out string, err error) {
	res, err := hitl.Run(ctx, hitl.Config[string]{
		Draft: func(ctx workflow.Context) (string, error) {
			r, err := llm.Complete(ctx, llm.Request{Prompt: prompt})
			return r.Text, err
		},
		Stages: []hitl.Stage{{Name: "editor", Reviewers: []string{"alice"}}},
	}, nil)
	if err != nil || !res.Approved() {
		return "", err
	}
	s := saga.New(ctx, saga.Options{})
	defer s.CompensateOnError(ctx, &err)
	return saga.Step[string](ctx, s, "publish", Publish, res.Artifact, durable.Standard("publish"),
		saga.Activity(Unpublish, res.Artifact))
}

func main() {
	once := idem.Wrap(idem.NewMemoryStore(), Publish)
	fmt.Println(once != nil, Review != nil)
}
`

func TestConsumerModuleIsLean(t *testing.T) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(repo, "go.mod"), "the library's root module")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(strings.ReplaceAll(consumerGoMod, "REPO", repo)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(consumerMain), 0o644))

	goCmd(t, dir, "mod", "tidy")
	goCmd(t, dir, "build", "./...")

	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	// The modules whose packages the consumer's build compiles. (The full
	// module graph, go list -m all, also holds go.mod-only requirements of
	// third parties, such as x/tools naming an old goldmark; no code of
	// those is built.)
	built := goCmd(t, dir, "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", "./...")
	require.Contains(t, built, "go.temporal.io/sdk", "the build's modules were listed")
	for _, dep := range examplesOnly {
		assert.NotContains(t, string(mod), dep, "consumer go.mod after tidy")
		assert.NotContains(t, built, dep, "modules compiled into the consumer")
	}
	t.Logf("consumer go.mod after tidy:\n%s", mod)
}

func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}
