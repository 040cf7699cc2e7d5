package idem_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/durable-llm/durable-llm/idem"
)

// The benchmarks set what idem adds against the raw store operation it
// wraps, on each store:
//
//	BenchmarkRaw/<store>/read    read a recorded result by key and decode it
//	BenchmarkWrap/<store>/replay a wrapped call whose result is recorded
//	BenchmarkRaw/<store>/write   encode a result and store it durably by key
//	BenchmarkWrap/<store>/first  a wrapped call with a new key: claim, run, record
//
// replay/read and first/write are the ratios to watch; the Large variants
// repeat them with a 20 KB result (an LLM answer). The raw operations
// are what a hand-written result cache does on the same store: a map under
// a mutex; a file named by the key's SHA-256, written to a temporary file,
// fsynced, renamed and the directory fsynced; one SELECT or one INSERT ...
// ON CONFLICT DO UPDATE (a synchronous commit) on a two-column table.
// Besides ns/op, each reports cpu-ns/op, the process's CPU time per call.
// BenchmarkHandWritten/<store>/first is a reference, not a baseline: a
// hand-written at-most-once call that also claims before its side effect.
//
//	go test ./idem -run '^$' -bench . -benchmem -count 6 | benchstat -

// benchIn and benchOut are small, typical activity payloads.
type benchIn struct {
	OrderID string `json:"order_id"`
	Cents   int    `json:"cents"`
}

type benchOut struct {
	ChargeID string `json:"charge_id"`
	Status   string `json:"status"`
	// Text is empty in the small payload and about 20 KB in the large one
	// (an LLM answer).
	Text string `json:"text,omitempty"`
}

// largeText is the answer of the large payload.
var largeText = strings.Repeat("The quick brown fox jumps over the lazy dog. ", 450)

// recorded is how a result is stored, by idem and by the raw baselines.
type recorded struct {
	Result benchOut `json:"result"`
}

func benchBody(_ context.Context, in benchIn) (benchOut, error) {
	return benchOut{ChargeID: "ch_" + in.OrderID, Status: "succeeded"}, nil
}

func largeBody(_ context.Context, in benchIn) (benchOut, error) {
	return benchOut{ChargeID: "ch_" + in.OrderID, Status: "succeeded", Text: largeText}, nil
}

func benchKey(_ context.Context, in benchIn) (string, error) { return "charge:" + in.OrderID, nil }

// rawStore is the raw operation of one store.
type rawStore interface {
	write(ctx context.Context, key string, doc []byte) error
	read(ctx context.Context, key string) ([]byte, error)
}

type benchStore struct {
	name string
	idem func(b *testing.B) idem.Store
	raw  func(b *testing.B) rawStore
}

var benchStores = []benchStore{
	{"memory",
		func(*testing.B) idem.Store { return idem.NewMemoryStore() },
		func(*testing.B) rawStore { return &rawMemory{m: map[string][]byte{}} }},
	{"file",
		func(b *testing.B) idem.Store {
			s, err := idem.NewFileStore(b.TempDir())
			require.NoError(b, err)
			return s
		},
		func(b *testing.B) rawStore { return rawFile(b.TempDir()) }},
	{"postgres",
		func(b *testing.B) idem.Store { return postgresStore(b, postgresPool(b)) },
		func(b *testing.B) rawStore { return newRawPostgres(b, postgresPool(b)) }},
}

// BenchmarkWrap and BenchmarkRaw use a small result; BenchmarkWrapLarge and
// BenchmarkRawLarge a 20 KB one.
func BenchmarkWrap(b *testing.B)      { benchWrap(b, benchBody) }
func BenchmarkRaw(b *testing.B)       { benchRaw(b, benchBody) }
func BenchmarkWrapLarge(b *testing.B) { benchWrap(b, largeBody) }
func BenchmarkRawLarge(b *testing.B)  { benchRaw(b, largeBody) }

func benchWrap(b *testing.B, body func(context.Context, benchIn) (benchOut, error)) {
	ctx := context.Background()
	for _, st := range benchStores {
		b.Run(st.name+"/first", func(b *testing.B) {
			fn := idem.Wrap(st.idem(b), body, idem.WithKey(benchKey))
			b.ReportAllocs()
			cpu := cpuTime()
			i := 0
			for b.Loop() {
				i++
				if _, err := fn(ctx, benchIn{OrderID: strconv.Itoa(i), Cents: 500}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(st.name+"/replay", func(b *testing.B) {
			fn := idem.Wrap(st.idem(b), body, idem.WithKey(benchKey))
			in := benchIn{OrderID: "1", Cents: 500}
			_, err := fn(ctx, in)
			require.NoError(b, err)
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := fn(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

func benchRaw(b *testing.B, body func(context.Context, benchIn) (benchOut, error)) {
	ctx := context.Background()
	for _, st := range benchStores {
		b.Run(st.name+"/write", func(b *testing.B) {
			s := st.raw(b)
			b.ReportAllocs()
			cpu := cpuTime()
			i := 0
			for b.Loop() {
				i++
				in := benchIn{OrderID: strconv.Itoa(i), Cents: 500}
				out, _ := body(ctx, in)
				key, _ := benchKey(ctx, in)
				doc, err := json.Marshal(recorded{Result: out})
				if err == nil {
					err = s.write(ctx, key, doc)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run(st.name+"/read", func(b *testing.B) {
			s := st.raw(b)
			in := benchIn{OrderID: "1", Cents: 500}
			key, _ := benchKey(ctx, in)
			want, _ := body(ctx, in)
			doc, err := json.Marshal(recorded{Result: want})
			require.NoError(b, err)
			require.NoError(b, s.write(ctx, key, doc))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				key, _ := benchKey(ctx, in)
				raw, err := s.read(ctx, key)
				var got recorded
				if err == nil {
					err = json.Unmarshal(raw, &got)
				}
				if err != nil || got.Result.ChargeID != want.ChargeID {
					b.Fatal(err, got)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// reportCPU reports the process's CPU time per iteration since start: on a
// shared machine it varies less than the wall time (ns/op), which for the
// file and Postgres stores is mostly waiting for the disk.
func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; start > 0 && d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkUnwrapped is the body alone.
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

type rawMemory struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (r *rawMemory) write(_ context.Context, key string, doc []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[key] = doc
	return nil
}

func (r *rawMemory) read(_ context.Context, key string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[key], nil
}

// rawFile is a directory of files named by the key's SHA-256.
type rawFile string

func (r rawFile) path(key string) string {
	h := sha256.Sum256([]byte(key)) // like the file store's names
	return filepath.Join(string(r), hex.EncodeToString(h[:])+".json")
}

func (r rawFile) write(_ context.Context, key string, doc []byte) error {
	tmp := r.path(key) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(doc)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, r.path(key))
	}
	if err != nil {
		return err
	}
	d, err := os.Open(string(r))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r rawFile) read(_ context.Context, key string) ([]byte, error) { return os.ReadFile(r.path(key)) }

// rawPostgres is a two-column table of its own.
type rawPostgres struct {
	pool  *pgxpool.Pool
	table string
}

func newRawPostgres(b *testing.B, pool *pgxpool.Pool) *rawPostgres {
	_, table := postgresTableStore(b, pool) // a fresh name, dropped after the benchmark
	ctx := context.Background()
	_, err := pool.Exec(ctx, "DROP TABLE "+table+"; CREATE TABLE "+table+" (key text PRIMARY KEY, outcome json NOT NULL)")
	require.NoError(b, err)
	return &rawPostgres{pool: pool, table: table}
}

func (r *rawPostgres) write(ctx context.Context, key string, doc []byte) error {
	_, err := r.pool.Exec(ctx, "INSERT INTO "+r.table+" (key, outcome) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET outcome = excluded.outcome", key, doc)
	return err
}

func (r *rawPostgres) read(ctx context.Context, key string) ([]byte, error) {
	var doc []byte
	err := r.pool.QueryRow(ctx, "SELECT outcome FROM "+r.table+" WHERE key = $1", key).Scan(&doc)
	return doc, err
}

// BenchmarkHandWritten is, for reference, what a hand-written at-most-once
// activity does on each store for a new key without idem: claim the key
// before the side effect (so that a concurrent or retried attempt cannot
// run it too), run the body, record the result. The claim follows each
// store's own rule: memory, a map entry; file, a claim file created with
// O_EXCL (not fsynced, as the file store's claims are not) before the
// result's durable write; PostgreSQL, an INSERT ... ON CONFLICT DO NOTHING
// (a synchronous commit) before the UPDATE of the result (another one). It
// has no fingerprint, lease, renewal or fencing. It is not the baseline of
// the targets (BenchmarkRaw is): it shows what claiming before the side
// effect costs anyone.
func BenchmarkHandWritten(b *testing.B) {
	ctx := context.Background()
	for _, st := range []struct {
		name string
		new  func(b *testing.B) handWritten
	}{
		{"memory", func(*testing.B) handWritten { return &handMemory{m: map[string][]byte{}} }},
		{"file", func(b *testing.B) handWritten { return handFile{rawFile(b.TempDir())} }},
		{"postgres", func(b *testing.B) handWritten { return newHandPostgres(b, postgresPool(b)) }},
	} {
		b.Run(st.name+"/first", func(b *testing.B) {
			s := st.new(b)
			b.ReportAllocs()
			cpu := cpuTime()
			i := 0
			for b.Loop() {
				i++
				in := benchIn{OrderID: strconv.Itoa(i), Cents: 500}
				key, _ := benchKey(ctx, in)
				won, err := s.claim(ctx, key)
				if err != nil || !won {
					b.Fatal(err, won)
				}
				out, _ := benchBody(ctx, in)
				doc, err := json.Marshal(recorded{Result: out})
				if err == nil {
					err = s.record(ctx, key, doc)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// handWritten claims a key (won is false when it is taken) and records its result.
type handWritten interface {
	claim(ctx context.Context, key string) (won bool, err error)
	record(ctx context.Context, key string, doc []byte) error
}

type handMemory struct {
	mu sync.Mutex
	m  map[string][]byte // nil value: claimed
}

func (h *handMemory) claim(_ context.Context, key string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.m[key]; ok {
		return false, nil
	}
	h.m[key] = nil
	return true, nil
}

func (h *handMemory) record(_ context.Context, key string, doc []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.m[key] = doc
	return nil
}

type handFile struct{ rawFile }

func (h handFile) claim(_ context.Context, key string) (bool, error) {
	f, err := os.OpenFile(h.path(key)+".claim", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if os.IsExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

func (h handFile) record(ctx context.Context, key string, doc []byte) error {
	return h.write(ctx, key, doc)
}

type handPostgres struct{ *rawPostgres }

func newHandPostgres(b *testing.B, pool *pgxpool.Pool) handPostgres {
	r := newRawPostgres(b, pool)
	_, err := pool.Exec(context.Background(), "ALTER TABLE "+r.table+" ALTER COLUMN outcome DROP NOT NULL")
	require.NoError(b, err)
	return handPostgres{r}
}

func (h handPostgres) claim(ctx context.Context, key string) (bool, error) {
	tag, err := h.pool.Exec(ctx, "INSERT INTO "+h.table+" (key) VALUES ($1) ON CONFLICT (key) DO NOTHING", key)
	return err == nil && tag.RowsAffected() == 1, err
}

func (h handPostgres) record(ctx context.Context, key string, doc []byte) error {
	_, err := h.pool.Exec(ctx, "UPDATE "+h.table+" SET outcome = $2 WHERE key = $1", key, doc)
	return err
}
