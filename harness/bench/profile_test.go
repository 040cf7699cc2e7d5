package bench_test

import (
	"bufio"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// cpuProfile is the CPU time of one or more merged profiles, by sampled
// stack.
type cpuProfile struct {
	// Total is the time of every sample.
	Total time.Duration
	// Stacks are the samples' stacks, leaf first, with their time.
	Stacks []sampledStack
}

type sampledStack struct {
	Time   time.Duration
	Frames []string
}

// readProfiles merges CPU profiles with `go tool pprof -traces`.
func readProfiles(files []string) (cpuProfile, error) {
	out, err := exec.Command("go", append([]string{"tool", "pprof", "-traces"}, files...)...).CombinedOutput()
	if err != nil {
		return cpuProfile{}, fmt.Errorf("go tool pprof -traces: %w: %s", err, out)
	}
	return parseTraces(string(out))
}

// parseTraces reads the output of `go tool pprof -traces`: a header, then
// one block per stack, each opened by a "-----------+---" line; the first
// line of a block holds the stack's time and its leaf frame, the next ones
// a frame each, callers last.
func parseTraces(out string) (cpuProfile, error) {
	var p cpuProfile
	var cur *sampledStack
	flush := func() {
		if cur != nil && len(cur.Frames) > 0 {
			p.Total += cur.Time
			p.Stacks = append(p.Stacks, *cur)
		}
		cur = nil
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			cur = &sampledStack{}
			continue
		}
		if cur == nil || strings.TrimSpace(line) == "" {
			continue
		}
		if len(cur.Frames) == 0 {
			f := strings.Fields(line)
			if len(f) < 2 {
				return p, fmt.Errorf("pprof traces: unexpected line %q", line)
			}
			d, err := parsePprofTime(f[0])
			if err != nil {
				return p, fmt.Errorf("pprof traces: %w in %q", err, line)
			}
			cur.Time = d
			cur.Frames = append(cur.Frames, frameName(strings.Join(f[1:], " ")))
			continue
		}
		cur.Frames = append(cur.Frames, frameName(strings.TrimSpace(line)))
	}
	flush()
	if err := sc.Err(); err != nil {
		return p, err
	}
	if len(p.Stacks) == 0 && !strings.Contains(out, "Type: cpu") {
		return p, fmt.Errorf("pprof traces: not a CPU profile: %q", out[:min(len(out), 300)])
	}
	return p, nil
}

// frameName drops pprof's " (inline)" mark.
func frameName(s string) string { return strings.TrimSuffix(s, " (inline)") }

// parsePprofTime reads a sample value such as "10ms", "1.20s" or "500us".
func parsePprofTime(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"mins", time.Minute}, {"min", time.Minute}, {"hrs", time.Hour}, {"ns", time.Nanosecond}, {"us", time.Microsecond},
		{"µs", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("sample value %q: %w", s, err)
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("sample value %q: unknown unit", s)
}

// component is a part of a worker's work that its CPU time is charged to.
type component struct {
	name string
	// match says whether a frame belongs to the component.
	match func(frame string) bool
}

func prefix(ps ...string) func(string) bool {
	return func(f string) bool {
		for _, p := range ps {
			if strings.HasPrefix(f, p) {
				return true
			}
		}
		return false
	}
}

// components are checked from a sample's leaf towards its root: the first
// frame that belongs to one names the component the sample is charged to,
// so the time of encoding/json or of the allocator (and GC assists) goes
// to the code that called it.
var components = []component{
	{"openai-go: decoding the answer", prefix("github.com/openai/openai-go/v3/internal/apijson", "github.com/openai/openai-go/v3/packages/ssestream",
		"github.com/openai/openai-go/v3.(*ChatCompletion", "github.com/openai/openai-go/v3/packages/respjson")},
	{"openai-go: request, HTTP", prefix("github.com/openai/openai-go/v3")},
	{"llm (call, heartbeats)", prefix("github.com/durable-llm/durable-llm/llm.")},
	{"idem (claim, record, read)", prefix("github.com/durable-llm/durable-llm/idem.")},
	{"stream", prefix("github.com/durable-llm/durable-llm/stream.")},
	{"hitl", prefix("github.com/durable-llm/durable-llm/hitl.")},
	{"docapproval (activities, drafts, store)", prefix("github.com/durable-llm/durable-llm/examples/docapproval.")},
	{"baseline (activities, files)", prefix("github.com/durable-llm/durable-llm/harness/bench/baseline.")},
	{"Temporal SDK: payloads (data converter)", prefix("go.temporal.io/sdk/converter.")},
	{"gRPC and protobuf", prefix("google.golang.org/grpc", "google.golang.org/protobuf", "go.temporal.io/api/")},
	{"Temporal SDK: tasks, replay, state machines", prefix("go.temporal.io/sdk/")},
	{"net/http (LLM client)", prefix("net/http.", "net/textproto.", "bufio.")},
	{"GC in the background", prefix("runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge")},
}

// otherComponent is the name of the time no component claims.
const otherComponent = "other (scheduler, syscalls, runtime)"

// byComponent is p's time by component name.
func (p cpuProfile) byComponent() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range p.Stacks {
		out[componentOf(s.Frames)] += s.Time
	}
	return out
}

func componentOf(frames []string) string {
	for _, f := range frames {
		for _, c := range components {
			if c.match(f) {
				return c.name
			}
		}
	}
	return otherComponent
}

// byFunction is p's flat time (the leaf frame's) by function.
func (p cpuProfile) byFunction() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range p.Stacks {
		out[s.Frames[0]] += s.Time
	}
	return out
}

// cumulative is the time of the samples with a frame that has prefix pre
// (each sample counted once).
func (p cpuProfile) cumulative(pre string) time.Duration {
	var d time.Duration
	for _, s := range p.Stacks {
		for _, f := range s.Frames {
			if strings.HasPrefix(f, pre) {
				d += s.Time
				break
			}
		}
	}
	return d
}
