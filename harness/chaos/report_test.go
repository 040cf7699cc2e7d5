package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/llm"
)

func TestMarkdownSideBySide(t *testing.T) {
	t0 := time.Unix(1000, 0)
	run := func(api llm.API, billed, rebought int, violations ...string) APIRun {
		r := Result{
			Config: Config{Runs: 200, Prefix: "kill-restart-"}, API: api, Kills: 80, Billed: billed, MinBilled: 600,
			Rebought: rebought, RebuyCut: rebought, Violations: violations,
			Flows:  map[string]*FlowStats{"docapproval": {Runs: 200, OK: 200}, "research": {Runs: 200, OK: 200}, "ordersaga": {Runs: 200, OK: 200}},
			Stalls: []Stall{{Kill: 1, KillTime: t0, Workflow: "kill-restart-doc-1", Call: "c", Next: t0.Add(12500 * time.Millisecond), Wait: 12500 * time.Millisecond}},
		}
		return APIRun{API: api, Runs: []Result{r}, Duration: 10 * time.Minute}
	}
	info := ReportInfo{Command: "make chaos N=200", Seed: 1, CPUs: 2, LoadStart: "1", LoadEnd: "2", Duration: 20 * time.Minute, Time: t0}
	md := Markdown(info, []APIRun{run(llm.APIResponsesBackground, 600, 0), run(llm.APIChatCompletions, 640, 40)})

	begin, end := strings.Index(md, SummaryBegin), strings.Index(md, SummaryEnd)
	require.True(t, begin >= 0 && end > begin, "the summary sits between its markers")
	assert.Equal(t, 1, strings.Count(md, SummaryBegin))
	summary := md[begin:end]
	assert.Contains(t, summary, "| background Responses (`background`) | 200 | 80 | 600/600 | 600 / 600 | 0 |")
	assert.Contains(t, summary, "| chat completions (`chat`) | 200 | 80 | 600/600 | 640 / 600 | 40 (+6.7 %), each cut mid-generation |")
	assert.Contains(t, summary, "passed: every answer paid once")
	assert.Contains(t, summary, "paying once is not promised")

	failed := Markdown(info, []APIRun{run(llm.APIResponsesBackground, 601, 0, "docapproval kill-restart-doc-1: the LLM billed 3 answers, want exactly 2")})
	assert.Contains(t, failed, "FAILED: 1 violation")
	assert.Contains(t, failed, "- docapproval kill-restart-doc-1: the LLM billed 3 answers")
}
