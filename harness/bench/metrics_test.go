package bench_test

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// counts are the SDK's metric counters, summed by name and operation tag
// ("temporal_request/StartWorkflowExecution"): the requests a client or a
// worker made to the server, without wrapping the gRPC connection. Timers
// count their records. Safe for concurrent use.
type counts struct {
	mu sync.Mutex
	m  map[string]int64
}

func newCounts() *counts { return &counts{m: map[string]int64{}} }

func (c *counts) add(key string, n int64) {
	c.mu.Lock()
	c.m[key] += n
	c.mu.Unlock()
}

// snapshot is a copy of the counters.
func (c *counts) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.m)
}

// handler is a client.MetricsHandler that counts into c.
func (c *counts) handler() client.MetricsHandler { return countHandler{c: c} }

// writeFile writes the counters as JSON to path.
func (c *counts) writeFile(path string) error {
	b, err := json.Marshal(c.snapshot())
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// readCounts adds the counters a worker process wrote to path into into.
func readCounts(path string, into map[string]int64) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[string]int64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k, v := range m {
		into[k] += v
	}
	return nil
}

type countHandler struct {
	c  *counts
	op string // the "operation" tag, the request's name
}

func (h countHandler) WithTags(tags map[string]string) client.MetricsHandler {
	if op, ok := tags["operation"]; ok {
		h.op = op
	}
	return h
}

func (h countHandler) key(name string) string {
	if h.op == "" {
		return name
	}
	return name + "/" + h.op
}

func (h countHandler) Counter(name string) client.MetricsCounter {
	return counter{h.c, h.key(name)}
}

func (h countHandler) Gauge(string) client.MetricsGauge { return client.MetricsNopHandler.Gauge("") }

func (h countHandler) Timer(name string) client.MetricsTimer { return timer{h.c, h.key(name)} }

type counter struct {
	c   *counts
	key string
}

func (k counter) Inc(n int64) { k.c.add(k.key, n) }

type timer struct {
	c   *counts
	key string
}

func (k timer) Record(time.Duration) { k.c.add(k.key+" (records)", 1) }

// Counter names of the SDK (go.temporal.io/sdk/internal/common/metrics).
const (
	metricRequest     = "temporal_request"
	metricLongRequest = "temporal_long_request"
)

// requests are the requests to the server in m by operation, long polls
// included: "temporal_request/X" and "temporal_long_request/X" are X.
func requests(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		name, op, ok := strings.Cut(k, "/")
		if ok && (name == metricRequest || name == metricLongRequest) {
			out[op] += v
		}
	}
	return out
}

// sortedKeys are m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
