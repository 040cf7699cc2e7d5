package llm

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// BenchmarkBackgroundRecordWindow measures the only moment a crash can
// lose a background generation: from the create call returning to the
// response id being recorded in Config.Store (idem.SetPending). Each
// iteration is a whole background call against llmtest (create, record,
// poll); window-p50-ms and window-p99-ms are the window alone, per store.
// Run it with go test -run '^$' -bench BackgroundRecordWindow ./llm/.
func BenchmarkBackgroundRecordWindow(b *testing.B) {
	stores := map[string]func(b *testing.B) idem.Store{
		"memory": func(*testing.B) idem.Store { return idem.NewMemoryStore() },
		"file": func(b *testing.B) idem.Store {
			s, err := idem.NewFileStore(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) idem.Store {
			pool := durabletest.Postgres(b)
			table := "llm_bench_" + uuid.NewString()[:8]
			s, err := idem.NewPostgresStore(context.Background(), pool, idem.WithTable(table))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })
			return s
		},
	}
	for _, name := range []string{"memory", "file", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := llmtest.NewServer(b)
			cfg := apiConfig(s, APIResponsesBackground)
			cfg.Store = stores[name](b)
			a := newActivities(b, cfg)
			var windows []time.Duration
			a.onRecorded = func(d time.Duration) { windows = append(windows, d) }
			i := 0
			for b.Loop() {
				i++
				ctx := idem.WithKeyContext(context.Background(), fmt.Sprintf("bench-%s-%d", name, i))
				if _, err := a.Complete(ctx, ask("hello")); err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(windows)
			if len(windows) > 0 {
				ms := func(q float64) float64 {
					return float64(windows[int(q*float64(len(windows)-1))]) / float64(time.Millisecond)
				}
				b.ReportMetric(ms(0.5), "window-p50-ms")
				b.ReportMetric(ms(0.99), "window-p99-ms")
			}
		})
	}
}
