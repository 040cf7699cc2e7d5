package chaos_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/harness/chaos"
	"github.com/durable-llm/durable-llm/llm"
)

// Environment of the long run (make chaos N=200).
const (
	envRuns   = "CHAOS_N"
	envSeed   = "CHAOS_SEED"
	envReport = "CHAOS_REPORT"
	envAPI    = "CHAOS_API"
)

// TestChaos runs every scenario: CHAOS_N runs of each flow with kills (2
// when unset, the CI version), the dev server restart while a review
// waits, and two workers of which one is killed. CHAOS_REPORT names the
// Markdown report to write.
// defaultSeed chooses the kill points when CHAOS_SEED is unset.
const defaultSeed = 20261122

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos: starts a dev server and worker processes")
	}
	if _, err := durable.FindCLI(); err != nil {
		if os.Getenv("DURABLE_INTEGRATION") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	runs := envInt(t, envRuns, 2)
	// A fixed default seed keeps CI reproducible; CHAOS_SEED explores others.
	seed := uint64(envInt(t, envSeed, defaultSeed))
	t.Logf("chaos: seed %d (CHAOS_SEED=%d reproduces the kill points), %d runs per flow", seed, seed, runs)

	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(runs)*time.Minute+5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin, err := chaos.BuildWorker(ctx, "..", dir)
	require.NoError(t, err)
	h, err := chaos.New(ctx, bin, dir)
	require.NoError(t, err)
	t.Cleanup(h.Close)
	api := llm.API(os.Getenv(envAPI))
	if api == "" {
		api = chaos.DefaultAPI
	}
	h.SetAPI(api)
	t.Logf("chaos: workers call the LLM with API %q (%s)", api, envAPI)
	w, err := h.StartWorker(ctx, "main")
	require.NoError(t, err)
	t.Cleanup(w.Kill)

	kills := h.Run(ctx, w, chaos.Config{Runs: runs, Seed: seed, Prefix: "kill-restart-"})
	logResult(t, kills)
	assert.Empty(t, kills.Violations, "crash-and-restart runs: results, side effects, and exactly the minimum LLM billing per workflow")
	assert.Equal(t, kills.MinBilled, kills.Billed, "no LLM answer bought twice")

	restart, problems := h.ServerRestart(ctx)
	t.Logf("server restart: %s", restart)
	assert.Empty(t, problems, "dev server restart while a review waits")

	b, two := h.TwoWorkers(ctx, w, chaos.Config{Runs: min(runs, 3), Seed: seed + 1, Prefix: "two-workers-"})
	if b != nil {
		t.Cleanup(b.Kill)
	}
	logResult(t, two)
	assert.Empty(t, two.Violations, "two workers, one killed")
	assert.Equal(t, two.MinBilled, two.Billed, "no LLM answer bought twice")

	if path := os.Getenv(envReport); path != "" {
		if !filepath.IsAbs(path) {
			path = filepath.Join("..", path) // relative to the module root, as make runs it
		}
		report := chaos.Markdown(seed, string(api), []chaos.Result{kills, two}, restart, problems)
		require.NoError(t, os.WriteFile(path, []byte(report), 0o644))
		t.Logf("report written to %s", path)
	}
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		require.NoError(t, errors.Join(err, errors.New(name+" must be a non-negative integer")))
	}
	return n
}

// logResult logs a run's figures.
func logResult(t *testing.T, r chaos.Result) {
	t.Helper()
	t.Logf("%s: %d kills, LLM billed %d of minimum %d, %d generations running at kills, %d calls abandoned, longest stall after a kill %s over %d calls (%s), %s",
		r.Config.Prefix, r.Kills, r.Billed, r.MinBilled, r.Running, r.Abandoned, r.LongestStall, r.Stalls, r.StallCall, r.Duration)
}
