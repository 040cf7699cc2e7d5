package docapproval

import "github.com/durable-llm/durable-llm/hitl"

// StreamTopic is the topic of the review workflow's stream (package
// stream) that the draft and every revision are written to while the
// model generates them; the review page shows it live.
const StreamTopic = "document"

// Generation implements hitl.Generated: the review records, per version,
// the model that wrote it and what that call cost, and the review page
// shows them.
func (d Document) Generation() hitl.Generation {
	return hitl.Generation{
		Model: d.Model, Calls: d.Call.Calls,
		PromptTokens: d.Call.PromptTokens, CompletionTokens: d.Call.CompletionTokens,
		CostUSD: d.Call.CostUSD, CostKnown: d.Call.UnknownCostCalls == 0 && !d.Offline,
	}
}

// live says whether a call streams its answer to topic.
func (a *Activities) live(topic string) bool { return topic != "" && !a.noLive }
