package durable_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
)

func TestPresetsSetEveryField(t *testing.T) {
	for name, opts := range map[string]workflow.ActivityOptions{
		"quick":    durable.Quick("q"),
		"standard": durable.Standard("s"),
		"long":     durable.Long("l"),
	} {
		t.Run(name, func(t *testing.T) {
			assert.Positive(t, opts.StartToCloseTimeout)
			assert.Greater(t, opts.ScheduleToCloseTimeout, opts.StartToCloseTimeout)
			assert.NotEmpty(t, opts.Summary)
			p := opts.RetryPolicy
			require.NotNil(t, p)
			assert.Positive(t, p.InitialInterval)
			assert.InDelta(t, 2.0, p.BackoffCoefficient, 0)
			assert.GreaterOrEqual(t, p.MaximumInterval, p.InitialInterval)
			assert.Positive(t, p.MaximumAttempts)
		})
	}
	local := durable.Local("l")
	assert.Positive(t, local.StartToCloseTimeout)
	assert.Positive(t, local.RetryPolicy.MaximumAttempts)
}

func TestRetryPolicyNormalisesIntervals(t *testing.T) {
	p := durable.RetryPolicy(0, 0, 3)
	assert.Equal(t, time.Second, p.InitialInterval)
	assert.Equal(t, time.Second, p.MaximumInterval)
	assert.Empty(t, p.NonRetryableErrorTypes)
}

type pair struct{ A, B string }

func upper(_ context.Context, s string) (string, error) { return s + "!", nil }

func pairWorkflow(ctx workflow.Context, s string) (pair, error) {
	a, err := durable.Execute[string](ctx, upper, s, durable.Quick("first"))
	if err != nil {
		return pair{}, err
	}
	f := durable.StartLocal[string](ctx, upper, a, durable.Local("second"))
	b, err := f.Get(ctx)
	return pair{A: a, B: b}, err
}

func TestExecuteIsTyped(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(upper)
	env.ExecuteWorkflow(pairWorkflow, "hi")
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var got pair
	require.NoError(t, env.GetWorkflowResult(&got))
	assert.Equal(t, pair{A: "hi!", B: "hi!!"}, got)
}

func TestExecuteUsesContextOptionsWhenNoneGiven(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(upper)
	wf := func(ctx workflow.Context, s string) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, durable.Quick("from ctx"))
		return durable.Execute[string](ctx, upper, s, workflow.ActivityOptions{})
	}
	env.RegisterWorkflow(wf)
	env.ExecuteWorkflow(wf, "x")
	require.NoError(t, env.GetWorkflowError())
	var got string
	require.NoError(t, env.GetWorkflowResult(&got))
	assert.Equal(t, "x!", got)
}

func TestDialUnreachableSaysWhatToDo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := durable.DialOptions(ctx, client.Options{HostPort: "127.0.0.1:1"})
	require.Error(t, err)
	assert.ErrorIs(t, err, durable.ErrUnreachable)
	var de *durable.DialError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "127.0.0.1:1", de.Address)
	assert.Equal(t, "default", de.Namespace)
	assert.Contains(t, err.Error(), "TEMPORAL_ADDRESS")
}

func TestDialReadsTheStandardEnvironment(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "absent.toml"))
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:2")
	t.Setenv("TEMPORAL_NAMESPACE", "orders")
	opts, err := durable.LoadClientOptions()
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:2", opts.HostPort)
	assert.Equal(t, "orders", opts.Namespace)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = durable.Dial(ctx)
	var de *durable.DialError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "127.0.0.1:2", de.Address)
	assert.Equal(t, "orders", de.Namespace)
}

func TestDialReadsTheConfigFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(f, []byte("[profile.default]\naddress = \"127.0.0.1:3\"\nnamespace = \"from-file\"\n"), 0o600))
	t.Setenv("TEMPORAL_CONFIG_FILE", f)
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
		t.Setenv(k, "") // restores the old value after the test
		require.NoError(t, os.Unsetenv(k))
	}
	opts, err := durable.LoadClientOptions()
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:3", opts.HostPort)
	assert.Equal(t, "from-file", opts.Namespace)
}

func TestBadConfigFileIsAClearError(t *testing.T) {
	f := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(f, []byte("[profile.default\naddress="), 0o600))
	t.Setenv("TEMPORAL_CONFIG_FILE", f)
	_, err := durable.LoadClientOptions()
	require.Error(t, err)
	assert.ErrorIs(t, err, durable.ErrInvalidConfig)
}

func TestFindCLIOrder(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "temporal-custom")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755))
	t.Setenv(durable.EnvTemporalCLI, fake)
	got, err := durable.FindCLI()
	require.NoError(t, err)
	assert.Equal(t, fake, got, "$TEMPORAL_CLI wins")

	t.Setenv(durable.EnvTemporalCLI, "")
	t.Chdir(dir)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin"), 0o755))
	local := filepath.Join(dir, "bin", "temporal")
	require.NoError(t, os.WriteFile(local, []byte("#!/bin/sh\n"), 0o755))
	got, err = durable.FindCLI()
	require.NoError(t, err)
	assert.Equal(t, local, got, "./bin/temporal next")

	// A nested module (its own go.mod) still finds the repository's copy.
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".git"), 0o755))
	nested := filepath.Join(dir, "harness", "chaos")
	require.NoError(t, os.MkdirAll(nested, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "harness", "go.mod"), []byte("module example.com/h\n"), 0o644))
	t.Chdir(nested)
	got, err = durable.FindCLI()
	require.NoError(t, err)
	assert.Equal(t, local, got, "bin/temporal of the repository's root, past a nested go.mod")
}

func TestFindCLINeverDownloads(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv(durable.EnvTemporalCLI, "/nonexistent/temporal")
	t.Setenv("PATH", t.TempDir())
	_, err := durable.FindCLI()
	require.ErrorIs(t, err, durable.ErrNoCLI)
	var nf *durable.CLINotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, nf.Tried, "/nonexistent/temporal")
	assert.Contains(t, err.Error(), "run `make tools`")

	_, err = durable.StartDevServer(context.Background(), durable.DevServerOptions{})
	require.ErrorIs(t, err, durable.ErrNoCLI, "no CLI means an error, not a download")
}
