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
			// Workflow tasks per round depend on timing (the live stream's
			// signals batch differently run to run); the revision does not.
			assert.Equal(t, 1, h.more.TypeEvents["ActivityTaskScheduled"]-h.one.TypeEvents["ActivityTaskScheduled"], "a review round schedules one revision")
			t.Logf("%s: %+v", f.name, h)
		})
	}
	for _, f := range []flow{baselineFlow, libraryFlow} {
		t.Run("load/"+f.key, func(t *testing.T) {
			prof := t.TempDir()
			res := load(t, b.srv, f, 3, prof)
			assert.Equal(t, 3, res.Completed)
			assert.Equal(t, 3*2, res.Billed, "a draft and one revision per review")
			if runtime.GOOS == "linux" {
				assert.GreaterOrEqual(t, res.ServerCPU, 0*res.ServerCPU, "the server's CPU time is known")
				assert.Positive(t, res.WorkerCPU, "the worker processes used CPU")
				assert.Positive(t, res.ClientCPU, "the test process used CPU")
				assert.GreaterOrEqual(t, res.MachineCPU, res.ServerCPU+res.WorkerCPU, "the machine's CPU time holds the server's and the workers'")
				assert.True(t, res.DiskKnown, "the disk counters are read")
			}
			// The reviewers' and the workers' requests, as the SDK counts them.
			assert.Positive(t, res.Requests["RespondWorkflowTaskCompleted"], "the workers completed workflow tasks")
			assert.Positive(t, res.Requests["RespondActivityTaskCompleted"], "the workers completed activities")
			if f.key == baselineFlow.key {
				assert.EqualValues(t, 3, res.Requests["StartWorkflowExecution"], "one start per review")
				assert.EqualValues(t, 3*2, res.Requests["SignalWorkflowExecution"], "an edit and an approval per review")
			} else {
				assert.EqualValues(t, 3*2, res.Requests["UpdateWorkflowExecution"], "an edit and an approval per review")
			}
			// Three reviews may take too little CPU for a sample: the profiles
			// are read, their figures not asserted.
			require.Len(t, res.Profiles, loadWorkers)
			p, err := readProfiles(res.Profiles)
			require.NoError(t, err)
			for _, st := range p.Stacks {
				assert.Positive(t, st.Time)
				assert.NotEmpty(t, st.Frames)
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
