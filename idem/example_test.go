package idem_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/idem"
)

// Charge is an activity with a side effect that must not repeat.
func Charge(ctx context.Context, o Order) (Receipt, error) {
	key, _ := idem.KeyFrom(ctx)
	return Receipt{ChargeID: "ch_" + o.ID, Key: key}, nil
}

func ExampleWrap() {
	calls := 0
	charge := idem.Wrap(idem.NewMemoryStore(), func(ctx context.Context, o Order) (Receipt, error) {
		calls++
		return Charge(ctx, o)
	}, idem.WithKey(func(_ context.Context, o Order) (string, error) { return "charge:" + o.ID, nil }))

	// A retry (or any later call with the same key) gets the recorded result.
	for range 3 {
		r, err := charge(context.Background(), Order{ID: "order-123", Cents: 500})
		fmt.Println(r.ChargeID, r.Key, err)
	}
	fmt.Println("charged", calls, "time(s)")
	// Output:
	// ch_order-123 charge:order-123 <nil>
	// ch_order-123 charge:order-123 <nil>
	// ch_order-123 charge:order-123 <nil>
	// charged 1 time(s)
}

func ExampleWrap_register() {
	c, err := client.Dial(client.Options{})
	if err != nil {
		return
	}
	defer c.Close()
	store, err := idem.NewFileStore("/var/lib/myworker/idem")
	if err != nil {
		return
	}
	w := worker.New(c, "payments", worker.Options{})
	// Without WithKey the key is idem.DefaultKey: <run ID>/<activity ID>.
	w.RegisterActivityWithOptions(idem.Wrap(store, Charge), activity.RegisterOptions{Name: "Charge"})
	_ = w.Run(worker.InterruptCh())
}

func ExampleKeyFrom() {
	// Inside the body, the key goes to APIs that deduplicate on it.
	call := func(ctx context.Context, body string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://api.example.com/v1/charges", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		if key, ok := idem.KeyFrom(ctx); ok {
			req.Header.Set("Idempotency-Key", key)
		}
		return req, nil
	}
	req, _ := call(idem.WithKeyContext(context.Background(), "charge:order-123"), "{}")
	fmt.Println(req.Header.Get("Idempotency-Key"))
	// Output: charge:order-123
}

func ExampleWithReconcile() {
	ctx := context.Background()
	charged := map[string]Receipt{} // the payment provider's records, by key
	calls := 0
	store := idem.NewMemoryStore()
	charge := idem.Wrap(store, func(ctx context.Context, o Order) (Receipt, error) {
		calls++
		r, err := Charge(ctx, o)
		charged[r.Key] = r
		return r, err
	},
		idem.WithKey(func(_ context.Context, o Order) (string, error) { return "charge:" + o.ID, nil }),
		// After a takeover, ask the provider before charging again.
		idem.WithReconcile(func(_ context.Context, key string, _ Order) (Receipt, bool, error) {
			r, ok := charged[key]
			return r, ok, nil
		}),
	)

	// A worker claimed the key, charged, and died before recording the result.
	order := Order{ID: "order-1", Cents: 500}
	fp, _ := idem.Fingerprint(order)
	_, _ = store.Claim(ctx, idem.ClaimRequest{Key: "charge:order-1", Fingerprint: fp, Owner: "crashed-worker", Lease: time.Minute, TTL: time.Hour})
	charged["charge:order-1"] = Receipt{ChargeID: "ch_by_crashed_worker", Key: "charge:order-1"}
	_ = store.Abandon(ctx, "charge:order-1", "crashed-worker") // as if its lease had ended

	r, err := charge(ctx, order)
	fmt.Println(r.ChargeID, err, "body runs:", calls)
	// Output: ch_by_crashed_worker <nil> body runs: 0
}

func ExampleIsKeyReused() {
	charge := idem.Wrap(idem.NewMemoryStore(), Charge,
		idem.WithKey(func(context.Context, Order) (string, error) { return "charge:order-123", nil }))
	_, _ = charge(context.Background(), Order{ID: "order-123", Cents: 500})
	_, err := charge(context.Background(), Order{ID: "order-123", Cents: 900}) // same key, other amount
	fmt.Println(idem.IsKeyReused(err))
	if ae, ok := err.(*temporal.ApplicationError); ok {
		fmt.Println(ae.Type(), ae.NonRetryable())
	}
	// Output:
	// true
	// idem.KeyReused true
}

func ExampleNewFileStore() {
	dir, _ := os.MkdirTemp("", "idem-example")
	defer func() { _ = os.RemoveAll(dir) }()
	store, err := idem.NewFileStore(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	draft := idem.Wrap(store, func(_ context.Context, version int) (string, error) {
		return fmt.Sprintf("draft v%d", version), nil
	}, idem.WithKey(func(_ context.Context, version int) (string, error) {
		return fmt.Sprintf("draft:doc-1:%d", version), nil
	}))
	out, err := draft(context.Background(), 1)
	fmt.Println(out, err)
	// Output: draft v1 <nil>
}

func ExampleNewPostgresStore() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return
	}
	defer pool.Close()
	// Creates the idem_records table (idem.PostgresSchema) when missing.
	store, err := idem.NewPostgresStore(ctx, pool)
	if err != nil {
		return
	}
	_ = idem.Wrap(store, Charge)
}

func ExamplePurger() {
	store := idem.NewMemoryStore()
	// Run from time to time: expired records are ignored but take space.
	var p idem.Purger = store
	n, err := p.Purge(context.Background())
	fmt.Println(n, err)
	// Output: 0 <nil>
}

func ExampleSetPending() {
	ctx := context.Background()
	type background struct {
		ResponseID string `json:"response_id"`
	}
	bought := 0
	generate := idem.Wrap(idem.NewMemoryStore(), func(ctx context.Context, prompt string) (string, error) {
		if bg, ok, err := idem.Pending[background](ctx); err != nil {
			return "", err
		} else if ok { // an earlier attempt started it: resume instead of buying again
			return "answer from " + bg.ResponseID, nil
		}
		bought++
		id := fmt.Sprintf("resp_%d", bought) // the provider's id, returned at once in background mode
		if err := idem.SetPending(ctx, background{ResponseID: id}); err != nil {
			return "", err
		}
		return "", errors.New("connection reset while waiting") // this attempt dies waiting
	}, idem.WithKey(func(_ context.Context, prompt string) (string, error) { return "draft:" + prompt, nil }))

	_, err := generate(ctx, "doc-1")
	fmt.Println("attempt 1:", err)
	answer, err := generate(ctx, "doc-1") // the retry takes the key over with the pending id
	fmt.Println("attempt 2:", answer, err)
	fmt.Println("generations bought:", bought)
	// Output:
	// attempt 1: connection reset while waiting
	// attempt 2: answer from resp_1 <nil>
	// generations bought: 1
}

func ExampleHeartbeat() {
	slow := idem.Wrap(idem.NewMemoryStore(), func(ctx context.Context, n int) (int, error) {
		for i := range n {
			// Not activity.RecordHeartbeat: Wrap's own heartbeats repeat these details.
			idem.Heartbeat(ctx, i)
		}
		return n, nil
	}, idem.WithKey(func(_ context.Context, n int) (string, error) { return fmt.Sprint("count:", n), nil }))
	fmt.Println(slow(context.Background(), 3))
	// Output: 3 <nil>
}
