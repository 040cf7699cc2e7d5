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
	// Profile, when set, is the file the worker writes a CPU profile of
	// its life to (envProfile also asks for one, named by flow and pid).
	Profile string `json:"profile,omitempty"`
	// Counts is the file the worker writes its SDK counters to (requests
	// to the server by operation) when it stops.
	Counts string `json:"counts"`
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
	cnt := newCounts()
	c, err := client.Dial(client.Options{HostPort: spec.HostPort, Namespace: spec.Namespace, Logger: durabletest.Logger(), MetricsHandler: cnt.handler()})
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
	prof := spec.Profile
	if dir := os.Getenv(envProfile); prof == "" && dir != "" {
		prof = filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", spec.Flow, os.Getpid()))
	}
	if prof != "" {
		stop, err := startProfile(prof)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench worker: %v\n", err)
			return 1
		}
		defer stop()
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	w.Stop()
	if spec.Counts != "" {
		if err := cnt.writeFile(spec.Counts); err != nil {
			fmt.Fprintf(os.Stderr, "bench worker: counters: %v\n", err)
			return 1
		}
	}
	return 0
}

// startProfile starts a CPU profile written to path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// workerProc is a worker process started by startWorkerProcs.
type workerProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// log is the file that receives the worker's stderr.
	log string
	// counts is the file of its SDK counters, written when it stops.
	counts string
	// profile is its CPU profile ("" when none was asked for), complete
	// once it stopped.
	profile string
}

// logTail is the end of the worker's log, for failure messages.
func (p *workerProc) logTail() string {
	b, _ := os.ReadFile(p.log)
	return string(b[max(0, len(b)-4096):])
}

// startWorkerProcs starts n worker processes of f on task queue tq, all
// sharing dir, and waits until each polls. They stop when the test ends.
// With profDir set, each writes a CPU profile into it.
func startWorkerProcs(t *testing.T, srv *durable.DevServer, f flow, tq, llmURL, dir string, n int, profDir string) []*workerProc {
	t.Helper()
	procs := make([]*workerProc, n)
	logs := t.TempDir()
	for i := range procs {
		p := &workerProc{cmd: exec.Command(os.Args[0], "-test.run=^$"), log: filepath.Join(logs, fmt.Sprintf("worker-%d.log", i)),
			counts: filepath.Join(logs, fmt.Sprintf("worker-%d.counts.json", i))}
		if profDir != "" {
			p.profile = filepath.Join(profDir, fmt.Sprintf("%s-%d.pprof", f.key, i))
		}
		spec, err := json.Marshal(workerSpec{Flow: f.key, HostPort: srv.HostPort(), Namespace: srv.Namespace(), TaskQueue: tq,
			LLMURL: llmURL, Dir: dir, Profile: p.profile, Counts: p.counts})
		require.NoError(t, err)
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

// machineCPU is the CPU time all processes of the machine have used so
// far (the busy time of every CPU in /proc/stat: all but idle and iowait).
func machineCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errNoProc, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, fmt.Errorf("%w: unexpected /proc/stat %q", errNoProc, line)
	}
	var busy int64
	// user nice system idle iowait irq softirq steal (guest time is
	// already in user and nice).
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %w", errNoProc, err)
		}
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * clockTick, nil
}

// diskCounters are the machine's block-device counters (/proc/diskstats,
// summed over its disks) and its CPUs' time waiting for I/O (/proc/stat).
type diskCounters struct {
	// Writes and Flushes are write and flush (fsync's cache flush)
	// requests completed; Busy the time a disk had requests in flight.
	Writes, Flushes int64
	Busy            time.Duration
	// IOWait is the CPUs' idle time while a request was outstanding.
	IOWait time.Duration
}

// sub is c − o.
func (c diskCounters) sub(o diskCounters) diskCounters {
	return diskCounters{Writes: c.Writes - o.Writes, Flushes: c.Flushes - o.Flushes, Busy: c.Busy - o.Busy, IOWait: c.IOWait - o.IOWait}
}

// readDisk reads the disk counters: every whole disk that /sys/block
// lists, loop, RAM and zram devices left out.
func readDisk() (diskCounters, error) {
	var c diskCounters
	b, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		return c, fmt.Errorf("%w: %w", errNoProc, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 14 {
			continue
		}
		name := f[2]
		if strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") {
			continue
		}
		if _, err := os.Stat(filepath.Join("/sys/block", name)); err != nil {
			continue // a partition: its disk counts it
		}
		num := func(i int) int64 {
			if i >= len(f) {
				return 0
			}
			n, _ := strconv.ParseInt(f[i], 10, 64)
			return n
		}
		// Fields after major, minor and name: writes completed is the 5th,
		// time doing I/O (ms) the 10th, flushes completed the 16th
		// (Documentation/admin-guide/iostats.rst).
		c.Writes += num(7)
		c.Busy += time.Duration(num(12)) * time.Millisecond
		c.Flushes += num(18)
	}
	st, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c, fmt.Errorf("%w: %w", errNoProc, err)
	}
	line, _, _ := strings.Cut(string(st), "\n")
	if f := strings.Fields(line); len(f) > 5 {
		n, _ := strconv.ParseInt(f[5], 10, 64)
		c.IOWait = time.Duration(n) * clockTick
	}
	return c, nil
}
