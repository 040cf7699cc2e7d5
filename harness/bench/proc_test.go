package bench_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
)

// envWorkerProc, when set in the environment of this test binary, makes it
// a worker process instead of running tests: its value is a JSON
// workerSpec. The load phases run their workers this way, so each worker's
// CPU time is its own process's, apart from the reviewers and the LLM
// server that run in the test process.
const envWorkerProc = "BENCH_WORKER_PROCESS"

// envProfile, when set, names a directory where each worker process
// writes a CPU profile of its whole life (<flow>-<pid>.pprof), for
// `go tool pprof`.
const envProfile = "BENCH_PROFILE"

// workerSpec is what a worker process serves.
type workerSpec struct {
	Flow      string `json:"flow"`
	HostPort  string `json:"host_port"`
	Namespace string `json:"namespace"`
	TaskQueue string `json:"task_queue"`
	LLMURL    string `json:"llm_url"`
	Dir       string `json:"dir"`
}

// workerMain runs one worker for the spec in $BENCH_WORKER_PROCESS. It
// prints "ready" once polling, and stops gracefully when stdin closes.
func workerMain() int {
	var spec workerSpec
	if err := json.Unmarshal([]byte(os.Getenv(envWorkerProc)), &spec); err != nil {
		fmt.Fprintf(os.Stderr, "bench worker: bad %s: %v\n", envWorkerProc, err)
		return 2
	}
	f, ok := flowByKey(spec.Flow)
	if !ok {
		fmt.Fprintf(os.Stderr, "bench worker: unknown flow %q\n", spec.Flow)
		return 2
	}
	reg, err := f.register(spec.LLMURL, spec.Dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench worker: %v\n", err)
		return 1
	}
	c, err := client.Dial(client.Options{HostPort: spec.HostPort, Namespace: spec.Namespace, Logger: durabletest.Logger()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench worker: dial %s: %v\n", spec.HostPort, err)
		return 1
	}
	defer c.Close()
	w := worker.New(c, spec.TaskQueue, worker.Options{})
	reg(w)
	if err := w.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "bench worker: start: %v\n", err)
		return 1
	}
	if dir := os.Getenv(envProfile); dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", spec.Flow, os.Getpid())))
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	w.Stop()
	return 0
}

// workerProc is a worker process started by startWorkerProcs.
type workerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// log is the file that receives the worker's stderr.
	log string
}

// logTail is the end of the worker's log, for failure messages.
func (p *workerProc) logTail() string {
	b, _ := os.ReadFile(p.log)
	return string(b[max(0, len(b)-4096):])
}

// startWorkerProcs starts n worker processes of f on task queue tq, all
// sharing dir, and waits until each polls. They stop when the test ends.
func startWorkerProcs(t *testing.T, srv *durable.DevServer, f flow, tq, llmURL, dir string, n int) []*workerProc {
	t.Helper()
	spec, err := json.Marshal(workerSpec{Flow: f.key, HostPort: srv.HostPort(), Namespace: srv.Namespace(), TaskQueue: tq, LLMURL: llmURL, Dir: dir})
	require.NoError(t, err)
	procs := make([]*workerProc, n)
	logs := t.TempDir()
	for i := range procs {
		p := &workerProc{cmd: exec.Command(os.Args[0], "-test.run=^$"), log: filepath.Join(logs, fmt.Sprintf("worker-%d.log", i))}
		p.cmd.Env = append(os.Environ(), envWorkerProc+"="+string(spec))
		logf, err := os.Create(p.log)
		require.NoError(t, err)
		t.Cleanup(func() { _ = logf.Close() })
		p.cmd.Stderr = logf
		dieWithParent(p.cmd)
		p.stdin, err = p.cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := p.cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, p.cmd.Start(), "start worker process")
		t.Cleanup(p.stop)
		br := bufio.NewReader(stdout)
		line, err := br.ReadString('\n')
		require.NoError(t, err, "worker process %d of %s did not start: %s", i, f.key, p.logTail())
		require.Equal(t, "ready\n", line, p.logTail())
		go func() { _, _ = io.Copy(io.Discard, br) }()
		procs[i] = p
	}
	return procs
}

// stop closes the worker's stdin and waits for it to exit; it kills a
// worker that has not stopped within a minute.
func (p *workerProc) stop() {
	if p.stdin == nil {
		return
	}
	_ = p.stdin.Close()
	p.stdin = nil
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// errNoProc is returned where /proc cannot tell a process's CPU time.
var errNoProc = errors.New("bench: no /proc: CPU time unknown")

// procCPU is the user plus system CPU time process pid has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errNoProc, err)
	}
	// The command name is in parentheses and may hold spaces: the fields
	// after its closing parenthesis start with the state (field 3); utime
	// and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: unexpected stat %q", errNoProc, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: unexpected stat %q", errNoProc, b)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%w: %w", errNoProc, err)
	}
	return time.Duration(ut+st) * clockTick, nil
}

// procsCPU sums procCPU over the worker processes.
func procsCPU(procs []*workerProc) (time.Duration, error) {
	var sum time.Duration
	for _, p := range procs {
		d, err := procCPU(p.cmd.Process.Pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// serverPID finds the dev server's process: the temporal CLI that this test
// process started (testsuite.StartDevServer runs it as a direct child) with
// --port set to the server's frontend port.
func serverPID(srv *durable.DevServer) (int, error) {
	_, port, ok := strings.Cut(srv.HostPort(), ":")
	if !ok {
		return 0, fmt.Errorf("bench: host:port %q", srv.HostPort())
	}
	want := "\x00--port\x00" + port + "\x00"
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errNoProc, err)
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid(pid) != self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains("\x00"+string(cmdline), want) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("%w: no child of %d serves port %s", errNoProc, self, port)
}

// ppid is the parent of pid, or -1.
func ppid(pid int) int {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return -1
	}
	p, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return p
}
