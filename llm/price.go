package llm

import "strings"

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	// InputPerMillion is the price of a million prompt tokens.
	InputPerMillion float64
	// OutputPerMillion is the price of a million completion tokens.
	OutputPerMillion float64
}

// Cost returns the price of a call with the given usage.
func (p Price) Cost(promptTokens, completionTokens int64) float64 {
	return (float64(promptTokens)*p.InputPerMillion + float64(completionTokens)*p.OutputPerMillion) / 1e6
}

// DefaultPrices returns a fresh copy of the built-in price table: OpenAI list
// prices (standard tier, uncached input) for common models, keyed by model
// id. Prices change: override or extend them with [Config.Prices]. A model
// missing from the table has an unknown cost ([Response.CostKnown] false),
// never a zero one.
func DefaultPrices() map[string]Price {
	return map[string]Price{
		"gpt-4o":        {InputPerMillion: 2.50, OutputPerMillion: 10.00},
		"gpt-4o-mini":   {InputPerMillion: 0.15, OutputPerMillion: 0.60},
		"gpt-4.1":       {InputPerMillion: 2.00, OutputPerMillion: 8.00},
		"gpt-4.1-mini":  {InputPerMillion: 0.40, OutputPerMillion: 1.60},
		"gpt-4.1-nano":  {InputPerMillion: 0.10, OutputPerMillion: 0.40},
		"gpt-5":         {InputPerMillion: 1.25, OutputPerMillion: 10.00},
		"gpt-5-mini":    {InputPerMillion: 0.25, OutputPerMillion: 2.00},
		"gpt-5-nano":    {InputPerMillion: 0.05, OutputPerMillion: 0.40},
		"o3":            {InputPerMillion: 2.00, OutputPerMillion: 8.00},
		"o4-mini":       {InputPerMillion: 1.10, OutputPerMillion: 4.40},
		"gpt-3.5-turbo": {InputPerMillion: 0.50, OutputPerMillion: 1.50},
	}
}

// lookupPrice finds the price of a model id: an exact entry first, then the
// longest entry that the id extends with "-" (so "gpt-4o-mini-2024-07-18"
// costs what "gpt-4o-mini" costs).
func lookupPrice(prices map[string]Price, model string) (Price, bool) {
	if p, ok := prices[model]; ok {
		return p, true
	}
	best, found := "", false
	for id := range prices {
		if strings.HasPrefix(model, id+"-") && len(id) > len(best) {
			best, found = id, true
		}
	}
	if !found {
		return Price{}, false
	}
	return prices[best], true
}
