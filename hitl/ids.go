package hitl

// remembered returns the applied decision with id, when the review still
// remembers it (State.Decided).
func (r *run[T]) remembered(id string) (*Decided, bool) {
	if id == "" {
		return nil, false
	}
	i, ok := r.ids[id]
	if !ok {
		return nil, false
	}
	return &r.s.Decided[i], true
}

// remember keeps d's ID, dropping the oldest beyond Config.DecisionIDLimit.
func (r *run[T]) remember(d Decided) {
	if d.ID == "" {
		return
	}
	r.s.Decided = append(r.s.Decided, d)
	if over := len(r.s.Decided) - r.cfg.DecisionIDLimit; over > 0 {
		r.s.Decided = append(r.s.Decided[:0:0], r.s.Decided[over:]...)
		r.index()
		return
	}
	r.ids[d.ID] = len(r.s.Decided) - 1
}

// settle gives a remembered edit the receipt of its new version, or
// forgets it when its revision failed (it was not applied).
func (r *run[T]) settle(id string, rc Receipt, failed bool) {
	prev, ok := r.remembered(id)
	if !ok {
		return
	}
	if !failed {
		prev.Receipt, prev.Revising = rc, false
		return
	}
	i := r.ids[id]
	r.s.Decided = append(r.s.Decided[:i:i], r.s.Decided[i+1:]...)
	r.index()
}

// index rebuilds the ID lookup from State.Decided.
func (r *run[T]) index() {
	r.ids = make(map[string]int, len(r.s.Decided))
	for i, d := range r.s.Decided {
		r.ids[d.ID] = i
	}
}
