package idemtest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/idem/idemtest"
)

func ExampleRunStoreTests() {
	// In a _test.go file of a store implementation:
	testStore := func(t *testing.T) {
		idemtest.RunStoreTests(t, func(_ *testing.T, opts ...idem.StoreOption) idem.Store {
			return idem.NewMemoryStore(opts...) // your store, built with opts
		})
	}
	_ = testStore
}

func ExampleClock() {
	clock := idemtest.NewClock(time.Time{})
	store := idem.NewMemoryStore(idem.WithClock(clock.Now))
	_ = store
	fmt.Println(clock.Now().Format(time.RFC3339))
	clock.Advance(time.Hour)
	fmt.Println(clock.Now().Format(time.RFC3339))
	// Output:
	// 2026-01-01T00:00:00Z
	// 2026-01-01T01:00:00Z
}
