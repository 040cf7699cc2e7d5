package bench_test

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/durable-llm/durable-llm/hitl"
)

// Temporal's default history limits.
const (
	historyBytesLimit  = 50 << 20
	historyEventsLimit = 51200
	payloadLimit       = 2 << 20
)

// report holds every figure of TestReport.
type report struct {
	rounds, seqN int
	loads        []int
	repeats      int
	repeatsDone  int       // repeats that ran (the time budget may stop them)
	loadStart    time.Time // when the first load phase started
	ablationLoad int
	// profileLoad is the load level of the profiled phases (0: none).
	profileLoad int
	// prof are the profiled phases by flow key.
	prof    map[string]profiled
	chaos   chaosSummary
	stream  streamCost
	flows   []flow
	abl     []flow // the ablations measured
	hist    map[string]rounds
	carried int
	// idleServerCPU is the server's CPU time (ns) per second when idle.
	idleServerCPU  float64
	crashNoFiles   int
	crashSeedFiles int
	crashLibrary   int
	// runs are the load phases by flow key and load level, one per repeat.
	runs map[string]map[int][]loadResult
	// seq are the one-at-a-time p50 and p99 by flow key, one per repeat.
	seq               map[string][][2]time.Duration
	goBenchCount      int
	benchOut          []string
	started, finished time.Time
	loadavg           [2]string
}

func (r *report) init() {
	r.hist = map[string]rounds{}
	r.prof = map[string]profiled{}
	r.runs, r.seq = map[string]map[int][]loadResult{}, map[string][][2]time.Duration{}
	for _, f := range r.flows {
		r.runs[f.key] = map[int][]loadResult{}
	}
}

// perRound is the events and bytes one review round adds to the history
// of flow key.
func (r *report) perRound(key string) (events, bytes float64) {
	k := float64(r.rounds)
	h := r.hist[key]
	return float64(h.more.Events-h.one.Events) / k, float64(h.more.Bytes-h.one.Bytes) / k
}

// perRoundOf is perRound for a histStats field.
func (r *report) perRoundOf(key string, field func(histStats) int) float64 {
	return float64(field(r.hist[key].more)-field(r.hist[key].one)) / float64(r.rounds)
}

// roundsToLimit is how many rounds one run holds before a history limit.
func (r *report) roundsToLimit(key string) (rounds int, which string) {
	e, by := r.perRound(key)
	byBytes := float64(historyBytesLimit-r.hist[key].none.Bytes) / by
	byEvents := float64(historyEventsLimit-r.hist[key].none.Events) / e
	if byBytes < byEvents {
		return int(byBytes), "50 MB of history"
	}
	return int(byEvents), "51,200 events"
}

// loadStat is the median over the repeats of one figure of the load
// phases of flow key at n concurrent reviews, and each repeat's value.
func (r *report) loadStat(key string, n int, fig func(loadResult) float64) (median float64, each []float64) {
	for _, res := range r.runs[key][n] {
		each = append(each, fig(res))
	}
	return medianOf(each), each
}

// Figures of a load phase, as float64 for loadStat.
var (
	figPerSecond = func(l loadResult) float64 { return l.PerSecond() }
	figP50       = func(l loadResult) float64 { return float64(l.P50) }
	figP99       = func(l loadResult) float64 { return float64(l.P99) }
	figServerCPU = func(l loadResult) float64 { return float64(l.ServerCPUPerWF()) }
	figWorkerCPU = func(l loadResult) float64 { return float64(l.WorkerCPUPerWF()) }
	figClientCPU = func(l loadResult) float64 { return float64(l.ClientCPUPerWF()) }
	figOtherCPU  = func(l loadResult) float64 { return float64(l.OtherCPUPerWF()) }
	figBusy      = func(l loadResult) float64 { return l.Busy() }
	figFlushes   = func(l loadResult) float64 { return l.FlushesPerWF() }
	figDiskBusy  = func(l loadResult) float64 { return l.DiskBusy() }
	figIOWait    = func(l loadResult) float64 { return l.IOWaitShare() }
	// figServerCores is the server's CPU time per second of wall time.
	figServerCores = func(l loadResult) float64 {
		if l.ServerCPU < 0 || l.Wall <= 0 {
			return -1
		}
		return l.ServerCPU.Seconds() / l.Wall.Seconds()
	}
	figBilled = func(l loadResult) float64 { return float64(l.Billed) / float64(l.N) }
	figWall   = func(l loadResult) float64 { return float64(l.Wall) }
	figOpen   = func(l loadResult) float64 { return float64(l.Open) }
)

// seqStat is the median over the repeats of the one-at-a-time p50 (i=0) or
// p99 (i=1) of flow key.
func (r *report) seqStat(key string, i int) float64 {
	var each []float64
	for _, s := range r.seq[key] {
		each = append(each, float64(s[i]))
	}
	return medianOf(each)
}

// profiled is a load phase whose workers wrote CPU profiles, and those
// profiles merged.
type profiled struct {
	res loadResult
	p   cpuProfile
}

// perWF is d per workflow of the profiled phase, in float64 nanoseconds.
func (p profiled) perWF(d time.Duration) float64 {
	return float64(d) / float64(max(1, p.res.Completed))
}

// medianOf is the median of xs, or -1 when xs is empty or holds an
// unknown (negative) figure.
func medianOf(xs []float64) float64 {
	if len(xs) == 0 || slices.Min(xs) < 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// eachRatio are the per-repeat ratios lib/base (the repeats ran side by
// side, so their ratios show the noise of the median's).
func eachRatio(lib, base []float64) []float64 {
	out := make([]float64, 0, len(lib))
	for i := range min(len(lib), len(base)) {
		if lib[i] > 0 && base[i] > 0 {
			out = append(out, lib[i]/base[i])
		}
	}
	return out
}

// metric is the lowest value of unit (for example "ns/op" or
// "cpu-ns/op") of the benchmark named name in the result lines (each
// benchmark ran several times; the lowest is the least disturbed by other
// work on the machine), or 0.
func (r *report) metric(name, unit string) float64 {
	best := 0.0
	for _, l := range r.benchOut {
		f := strings.Fields(l)
		if len(f) < 4 || !strings.HasPrefix(f[0], name+"-") {
			continue
		}
		for i := 3; i < len(f); i++ {
			if f[i] != unit {
				continue
			}
			if v, err := strconv.ParseFloat(f[i-1], 64); err == nil && (best == 0 || v < best) {
				best = v
			}
		}
	}
	return best
}

// maxRunRounds is how many rounds one run of the library holds.
func (r *report) maxRunRounds() int {
	lr, _ := r.roundsToLimit(libraryFlow.key)
	return min(lr, hitl.DefaultMaxDecisionsPerRun)
}
