package agent

import "slices"

// status answers [QueryStatus].
func (r *run) status() (Status, error) {
	s := r.s
	return Status{
		Phase:       r.phase,
		Turns:       s.Turns,
		Runs:        s.Runs,
		Messages:    len(s.Messages),
		Compactions: s.Compactions,
		Calls:       append(slices.Clone(s.Calls), r.current...),
		CallCount:   s.CallCount,
		Reviews:     slices.Clone(r.reviews),
		Usage:       s.Budget.Used,
		MaxTokens:   s.Budget.MaxTokens,
		MaxCostUSD:  s.Budget.MaxCostUSD,
		Stop:        r.stopped,
	}, nil
}
