package bench_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmoke runs the measurements of TestReport at their smallest: one review
// round of each flow and their history sizes, then three concurrent reviews
// on worker processes with their CPU time. It proves the harness works; it
// asserts no figure beyond "positive" or "known".
func TestSmoke(t *testing.T) {
	b := newBench(t)
	for _, f := range append([]flow{baselineFlow, libraryFlow}, ablations...) {
		t.Run(f.key, func(t *testing.T) {
			h := roundCost(t, b, f, 1)
			assert.Positive(t, h.none.Events)
			assert.Greater(t, h.one.Events, h.none.Events, "a review round adds events")
			assert.Greater(t, h.more.Tasks, h.one.Tasks, "a review round adds workflow tasks")
			t.Logf("%s: %+v", f.name, h)
		})
	}
	for _, f := range []flow{baselineFlow, libraryFlow} {
		t.Run("load/"+f.key, func(t *testing.T) {
			res := load(t, b.srv, f, 3)
			assert.Equal(t, 3, res.Completed)
			assert.Equal(t, 3*2, res.Billed, "a draft and one revision per review")
			if runtime.GOOS == "linux" {
				assert.GreaterOrEqual(t, res.ServerCPU, 0*res.ServerCPU, "the server's CPU time is known")
				assert.Positive(t, res.WorkerCPU, "the worker processes used CPU")
			}
			t.Logf("%s: %+v", f.name, res)
		})
	}
}

// TestServerPID finds the dev server's process and reads its CPU time.
func TestServerPID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU figures come from /proc, which only Linux has")
	}
	b := newBench(t)
	pid, err := serverPID(b.srv)
	require.NoError(t, err)
	cpu, err := procCPU(pid)
	require.NoError(t, err)
	assert.Positive(t, cpu, "the server used CPU to start")
}
