package idemlinks_test

import (
	"context"
	"fmt"
	"time"

	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/idemlinks"
	"github.com/durable-llm/durable-llm/idem"
)

// Two replicas of the review handler share the idem store the workers use
// (here in memory; in production the PostgreSQL store): a signed link
// opens on one of them, once.
func Example() {
	shared := idem.NewMemoryStore()
	replicaA := hitlhttp.Options{LinkStore: idemlinks.New(shared)}
	replicaB := hitlhttp.Options{LinkStore: idemlinks.New(shared)}

	ctx := context.Background()
	expires := time.Now().Add(time.Hour)
	first, _ := replicaA.LinkStore.Redeem(ctx, "link-id", expires)
	second, _ := replicaB.LinkStore.Redeem(ctx, "link-id", expires)
	fmt.Println(first, second)
	// Output: true false
}
