package idemtest_test

import (
	"testing"

	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/idem/idemtest"
)

// The suite checks itself against the reference store.
func TestRunStoreTestsOnMemoryStore(t *testing.T) {
	idemtest.RunStoreTests(t, func(_ *testing.T, opts ...idem.StoreOption) idem.Store {
		return idem.NewMemoryStore(opts...)
	})
}
