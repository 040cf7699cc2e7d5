package bench_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// streamCostHead starts the report that stream's TestHistoryCostPer1000Tokens
// logs.
const streamCostHead = "history cost of streaming 1,000 tokens"

// streamCost is what streaming 1,000 tokens adds to a workflow's history,
// measured by stream's TestHistoryCostPer1000Tokens on the dev server.
type streamCost struct {
	// Head is the measurement's first line (pace, publisher options);
	// Lines are its rows.
	Head  string
	Lines []string
	// Missing says why there are none.
	Missing string
}

// measureStreamCost runs stream's TestHistoryCostPer1000Tokens in the root
// module and reads its logged report.
func measureStreamCost(t *testing.T) streamCost {
	t.Helper()
	cmd := exec.Command("go", "test", "./stream", "-run", "^TestHistoryCostPer1000Tokens$", "-count=1", "-v")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	c := parseStreamCost(string(out))
	if err != nil {
		c.Missing = "go test ./stream -run TestHistoryCostPer1000Tokens failed: " + err.Error()
		t.Logf("stream cost: %s\n%s", c.Missing, out)
	}
	return c
}

// parseStreamCost reads the report out of the test's -v output: the line
// with streamCostHead and the indented lines after it.
func parseStreamCost(out string) streamCost {
	var c streamCost
	sc := bufio.NewScanner(bytes.NewBufferString(out))
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.Contains(line, streamCostHead):
			in = true
			_, head, _ := strings.Cut(line, streamCostHead)
			c.Head = strings.TrimSuffix(strings.TrimSpace(streamCostHead+head), ":")
		case in && strings.HasPrefix(line, "        "):
			c.Lines = append(c.Lines, strings.TrimSpace(line))
		case in:
			in = false
		}
	}
	if len(c.Lines) == 0 {
		c.Missing = "the test printed no measurement"
	}
	return c
}

// streamSection reports the history cost of a streamed answer.
func (r *report) streamSection(s *md) {
	c := r.stream
	s.p("## Streaming: history per 1,000 tokens")
	s.p("")
	if c.Missing != "" && len(c.Lines) == 0 {
		s.p("Not measured: %s.", strings.TrimSuffix(c.Missing, "."))
		s.p("")
		return
	}
	s.p("Measured when this report was written by `go test ./stream -run TestHistoryCostPer1000Tokens -v` (root module, dev server):")
	s.p("one activity emits 1,000 deltas through a `stream.Publisher` with the default options; the same workflow runs")
	s.p("without publishing (the baseline), publishing with no subscriber, with one long-polling subscriber (update) and")
	s.p("with one query-polling subscriber. Each row is the difference to the baseline: history events, and bytes as the sum")
	s.p("of the events' protobuf sizes (%s).", c.Head)
	s.p("")
	s.p("```")
	for _, l := range c.Lines {
		s.p("%s", l)
	}
	s.p("```")
	s.p("")
}
