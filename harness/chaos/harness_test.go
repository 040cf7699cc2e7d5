package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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
	// envCommand is the command named in the report ("make chaos N=200").
	envCommand = "CHAOS_COMMAND"
)

// defaultSeed chooses the kill points when CHAOS_SEED is unset.
const defaultSeed = 20261122

// apisBoth is the CHAOS_API value (and the default) that runs background
// Responses, then chat completions.
const apisBoth = "both"

// TestChaos runs every scenario on each LLM API of CHAOS_API ("both", the
// default: background Responses, then chat completions; or one of "background",
// "chat", "responses"): CHAOS_N runs of each flow with kills (2 when unset,
// the CI version), the dev server restart while a review waits, and two
// workers of which one is killed. Each API gets its own dev server, fake
// provider and worker processes. CHAOS_REPORT names the Markdown report to
// write, with one section per API and a side-by-side summary.
//
// Every API must keep every result, charge and record right. Background
// Responses must bill each workflow exactly its minimum; chat completions
// and foreground Responses do not promise it, and the answers they buy again
// after a kill are reported, not failed.
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
	apis := envAPIs(t)
	t.Logf("chaos: seed %d (CHAOS_SEED=%d reproduces the kill points), %d runs per flow, APIs %v", seed, seed, runs, apis)

	t0 := time.Now()
	loadStart := loadAverage()
	bin, err := chaos.BuildWorker(t.Context(), "..", t.TempDir())
	require.NoError(t, err)
	var done []chaos.APIRun
	for _, api := range apis {
		t.Run(string(api), func(t *testing.T) {
			done = append(done, runAPI(t, bin, api, runs, seed))
		})
	}

	if path := os.Getenv(envReport); path != "" {
		if !filepath.IsAbs(path) {
			path = filepath.Join("..", path) // relative to the module root, as make runs it
		}
		command := os.Getenv(envCommand)
		if command == "" {
			command = fmt.Sprintf("CHAOS_N=%d CHAOS_API=%s go test ./chaos -run TestChaos", runs, apiFlag())
		}
		info := chaos.ReportInfo{
			Command: command, Seed: seed, CPUs: runtime.NumCPU(),
			LoadStart: loadStart, LoadEnd: loadAverage(), Duration: time.Since(t0), Time: time.Now(),
		}
		require.NoError(t, os.WriteFile(path, []byte(chaos.Markdown(info, done)), 0o644))
		t.Logf("report written to %s", path)
	}
}

// runAPI runs every scenario with workers calling the LLM on api, on a
// harness of its own.
func runAPI(t *testing.T, bin string, api llm.API, runs int, seed uint64) chaos.APIRun {
	t0 := time.Now()
	out := chaos.APIRun{API: api}
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(runs)*time.Minute+5*time.Minute)
	defer cancel()
	h, err := chaos.New(ctx, bin, t.TempDir())
	require.NoError(t, err)
	t.Cleanup(h.Close)
	h.SetAPI(api)
	t.Logf("chaos: workers call the LLM with API %q", api)
	w, err := h.StartWorker(ctx, "main")
	require.NoError(t, err)
	t.Cleanup(w.Kill)

	kills := h.Run(ctx, w, chaos.Config{Runs: runs, Seed: seed, Prefix: "kill-restart-"})
	logResult(t, kills)
	checkResult(t, kills, "crash-and-restart runs")

	out.Restart, out.RestartProblems = h.ServerRestart(ctx)
	t.Logf("server restart: %s", out.Restart)
	assert.Empty(t, out.RestartProblems, "dev server restart while a review waits")

	b, two := h.TwoWorkers(ctx, w, chaos.Config{Runs: min(runs, 3), Seed: seed + 1, Prefix: "two-workers-"})
	if b != nil {
		t.Cleanup(b.Kill)
	}
	logResult(t, two)
	checkResult(t, two, "two workers, one killed")
	out.Runs = []chaos.Result{kills, two}
	out.Duration = time.Since(t0)
	return out
}

// checkResult fails on every violation and, where the API promises to pay
// once, on any answer billed beyond the minimum.
func checkResult(t *testing.T, r chaos.Result, what string) {
	t.Helper()
	if chaos.PaidOnce(r.API) {
		assert.Empty(t, r.Violations, "%s: results, side effects, and exactly the minimum LLM billing per workflow", what)
		assert.Equal(t, r.MinBilled, r.Billed, "%s: no LLM answer bought twice", what)
		return
	}
	assert.Empty(t, r.Violations, "%s: results, side effects, and at least the minimum LLM billing per workflow", what)
}

// apiFlag is CHAOS_API, "both" when unset.
func apiFlag() string {
	if s := os.Getenv(envAPI); s != "" {
		return s
	}
	return apisBoth
}

// envAPIs returns the APIs of CHAOS_API.
func envAPIs(t *testing.T) []llm.API {
	switch s := apiFlag(); s {
	case apisBoth:
		return []llm.API{llm.APIResponsesBackground, llm.APIChatCompletions}
	case string(llm.APIResponsesBackground), string(llm.APIChatCompletions), string(llm.APIResponses):
		return []llm.API{llm.API(s)}
	default:
		t.Fatalf("%s=%q: want %q, %q, %q or %q", envAPI, s, apisBoth, llm.APIResponsesBackground, llm.APIChatCompletions, llm.APIResponses)
		return nil
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

// loadAverage returns the machine's 1, 5 and 15 minute load averages, or
// "unknown" where /proc/loadavg is missing.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " / ")
}

// logResult logs a run's figures.
func logResult(t *testing.T, r chaos.Result) {
	t.Helper()
	longest := "none"
	if s, ok := r.Longest(); ok {
		longest = s.String()
	}
	over, _ := r.OverBound()
	t.Logf("%s%s: %d kills, LLM billed %d of minimum %d (%d bought again, %d cut mid-generation), %d generations running at kills, %d calls abandoned, %d stalls (%d over their bound), longest: %s; %s",
		r.Config.Prefix, r.API, r.Kills, r.Billed, r.MinBilled, r.Rebought, r.RebuyCut, r.Running, r.Abandoned, len(r.Stalls), len(over), longest, r.Duration)
}
