package docapproval

import "github.com/durable-llm/durable-llm/hitl"

// StreamTopic is the topic of the review workflow's stream (package
// stream) that the draft and every revision are written to while the
// model generates them, on workers with [Config.Live]; the review page
// shows it live.
const StreamTopic = "document"

// Generation implements hitl.Generated: the review records, per version,
// the model that wrote it and what that version cost (its call, and the
// generations reviewers stopped or redirected on the way: Call plus
// Interrupted), and the review page shows them.
func (d Document) Generation() hitl.Generation {
	u := addUsage(d.Call, d.Interrupted)
	return hitl.Generation{
		Model: d.Model, Calls: u.Calls,
		PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens,
		CostUSD: u.CostUSD, CostKnown: u.UnknownCostCalls == 0 && !d.Offline,
	}
}
