package idem_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/durable-llm/durable-llm/idem"
)

// benchIn and benchOut are small, typical activity payloads.
type benchIn struct {
	OrderID string `json:"order_id"`
	Cents   int    `json:"cents"`
}

type benchOut struct {
	ChargeID string `json:"charge_id"`
	Status   string `json:"status"`
}

func benchBody(_ context.Context, in benchIn) (benchOut, error) {
	return benchOut{ChargeID: "ch_" + in.OrderID, Status: "succeeded"}, nil
}

func benchKey(_ context.Context, in benchIn) (string, error) { return "charge:" + in.OrderID, nil }

// BenchmarkWrap measures what the wrapper adds to a call: "first" is a call
// with a new key (claim, run, record), "replay" a call whose outcome is
// recorded (claim finds it, decode). Compare with BenchmarkUnwrapped.
//
//	go test ./idem -run '^$' -bench . -benchmem -benchtime 2000x
func BenchmarkWrap(b *testing.B) {
	stores := []struct {
		name string
		new  func(b *testing.B) idem.Store
	}{
		{"memory", func(*testing.B) idem.Store { return idem.NewMemoryStore() }},
		{"file", func(b *testing.B) idem.Store {
			s, err := idem.NewFileStore(b.TempDir())
			require.NoError(b, err)
			return s
		}},
		{"postgres", func(b *testing.B) idem.Store { return postgresStore(b, postgresPool(b)) }},
	}
	ctx := context.Background()
	for _, st := range stores {
		b.Run(st.name+"/first", func(b *testing.B) {
			fn := idem.Wrap(st.new(b), benchBody, idem.WithKey(benchKey))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := fn(ctx, benchIn{OrderID: strconv.Itoa(i), Cents: 500}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(st.name+"/replay", func(b *testing.B) {
			fn := idem.Wrap(st.new(b), benchBody, idem.WithKey(benchKey))
			in := benchIn{OrderID: "1", Cents: 500}
			_, err := fn(ctx, in)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fn(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnwrapped is the body alone, the baseline of BenchmarkWrap.
func BenchmarkUnwrapped(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := benchBody(ctx, benchIn{OrderID: "1", Cents: 500}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSDKPayloads is what the SDK already spends per activity call on
// the same input and result (decode the input, encode the result with the
// default data converter), for scale.
func BenchmarkSDKPayloads(b *testing.B) {
	dc := converter.GetDefaultDataConverter()
	in, err := dc.ToPayload(benchIn{OrderID: "1", Cents: 500})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		var got benchIn
		if err := dc.FromPayload(in, &got); err != nil {
			b.Fatal(err)
		}
		out, _ := benchBody(context.Background(), got)
		if _, err := dc.ToPayload(out); err != nil {
			b.Fatal(err)
		}
	}
}
