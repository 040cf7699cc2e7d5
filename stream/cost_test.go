package stream_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/stream"
)

// cost is what one run wrote to its history.
type cost struct {
	events, bytes int
	byType        map[string]int
	active        time.Duration // from the activity's start to its completion
}

func historyCost(ctx context.Context, t *testing.T, c client.Client, id string) cost {
	t.Helper()
	k := cost{byType: map[string]int{}}
	var started time.Time
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		k.events++
		k.bytes += proto.Size(ev)
		k.byType[ev.GetEventType().String()]++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			started = ev.GetEventTime().AsTime()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			k.active = ev.GetEventTime().AsTime().Sub(started)
		}
	}
	return k
}

// TestHistoryCostPer1000Tokens measures what streaming 1,000 tokens adds to
// a workflow's history, on the dev server.
//
// Method: one activity emits 1,000 deltas ("t0 " … "t999 ", 4.9 bytes on
// average) paced 5 ms apart (STREAM_COST_PACE overrides it; the report
// gives the rate reached) through a Publisher with the default options
// (MaxDelay 500 ms, MaxBatchBytes 16 KiB). The same workflow runs four
// times: without publishing (the baseline), publishing with no subscriber,
// with one long-polling subscriber (update), and with one query-polling
// subscriber (250 ms). Each figure is the difference to the baseline:
// history events, and bytes as the sum of the events' protobuf sizes.
func TestHistoryCostPer1000Tokens(t *testing.T) {
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, register)
	c := srv.Client()
	text := words("t", 1000)
	pace := 5 * time.Millisecond
	if v := os.Getenv("STREAM_COST_PACE"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "STREAM_COST_PACE is a duration like 20ms")
		pace = d
	}

	measure := func(silent bool, opts ...stream.SubscribeOption) (cost, int) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		run := start(ctx, t, c, w, chatInput{Calls: []speech{{Text: text, Pace: pace}}, Silent: silent})
		n := 0
		if opts != nil {
			evs := collect(t, stream.Subscribe(ctx, c, run.GetID(), 0, opts...))
			assert.Equal(t, text, deltaText(evs))
			n = len(evs)
		}
		require.NoError(t, run.Get(ctx, nil))
		return historyCost(ctx, t, c, run.GetID()), n
	}
	base, _ := measure(true)
	rows := []struct {
		name string
		opts []stream.SubscribeOption
	}{
		{"published, no subscriber", nil},
		{"published, 1 long-poll subscriber", []stream.SubscribeOption{}},
		{"published, 1 query subscriber", []stream.SubscribeOption{stream.WithQueryPolling(0)}},
	}
	var report strings.Builder
	fmt.Fprintf(&report, "baseline (no publishing): %d events, %d bytes; activity %s\n", base.events, base.bytes, base.active.Round(10*time.Millisecond))
	for _, r := range rows {
		k, n := measure(false, r.opts...)
		signals := k.byType[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED.String()]
		// A batch leaves at least every MaxDelay while deltas arrive, plus
		// the final one: the bound of PublisherOptions' documentation.
		bound := int(k.active/stream.DefaultMaxDelay) + len(text)/stream.DefaultMaxBatchBytes + 3
		assert.LessOrEqual(t, signals, bound, "%s: signals over %s", r.name, k.active)
		types := make([]string, 0, len(k.byType))
		for typ, n := range k.byType {
			if d := n - base.byType[typ]; d != 0 {
				types = append(types, fmt.Sprintf("%s %+d", typ, d))
			}
		}
		slices.Sort(types)
		fmt.Fprintf(&report, "%-36s +%d events, +%d bytes (%d signals, %d items read; %d tokens in %s, %.0f tokens/s) [%s]\n",
			r.name+":", k.events-base.events, k.bytes-base.bytes, signals, n, 1000, k.active.Round(10*time.Millisecond),
			1000/k.active.Seconds(), strings.Join(types, ", "))
	}
	t.Logf("history cost of streaming 1,000 tokens (%d bytes of text), paced %s apart, default PublisherOptions:\n%s", len(text), pace, report.String())
}
