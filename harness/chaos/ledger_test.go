package chaos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

func TestTagOf(t *testing.T) {
	r := llmtest.Request{Messages: []llmtest.Message{
		{Role: "system", Content: "be brief"},
		{Role: "user", Content: "Make it shorter.\n\n--- Current draft ---\necho: Write a note. " + tag("kill-restart-doc-3")},
	}}
	assert.Equal(t, "kill-restart-doc-3", tagOf(r))
	assert.Empty(t, tagOf(llmtest.Request{Messages: []llmtest.Message{{Role: "user", Content: "untagged"}}}))
}

func TestStalls(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	user := func(s string) []llmtest.Message { return []llmtest.Message{{Role: "user", Content: s + " " + tag(s)}} }
	kills := []time.Time{at(10), at(30)}
	reqs := []llmtest.Request{
		// A: generating at the first kill, resumed by id 12 s later.
		{Endpoint: llmtest.EndpointResponses, Messages: user("a"), Time: at(5), CallID: "resp_a"},
		// B: answered before the first kill.
		{Endpoint: llmtest.EndpointResponses, Messages: user("b"), Time: at(6), CallID: "resp_b"},
		// C: cut before its generation started, retried 5 s after the kill.
		{Endpoint: llmtest.EndpointChat, Messages: user("c"), Time: at(9), Status: llmtest.StatusClientClosedRequest},
		{Endpoint: llmtest.EndpointChat, Messages: user("c"), Time: at(15), CallID: "chat_c"},
		{Endpoint: llmtest.EndpointRetrieve, ResponseID: "resp_a", Time: at(22)},
		// D: asked after the first kill, answered before the second.
		{Endpoint: llmtest.EndpointResponses, Messages: user("d"), Time: at(23), CallID: "resp_d"},
		// A's retrieve at 22 was the last request for it: the second kill
		// interrupts nothing that asks again.
	}
	calls := map[string]llmtest.Call{
		"resp_a": {ID: "resp_a", DeliveredAt: at(22)},
		"resp_b": {ID: "resp_b", DeliveredAt: at(8)},
		"chat_c": {ID: "chat_c", DeliveredAt: at(16)},
		"resp_d": {ID: "resp_d", DeliveredAt: at(25)},
	}
	longest, which, n := stalls(kills, reqs, calls)
	assert.Equal(t, 12*time.Second, longest)
	assert.Equal(t, "a (resp_a) after kill 1", which)
	assert.Equal(t, 2, n, "A and C")
}
