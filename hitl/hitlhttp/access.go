package hitlhttp

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/durable-llm/durable-llm/hitl"
)

// ReviewInfo is what an [Access] policy decides on.
type ReviewInfo struct {
	// WorkflowID identifies the review.
	WorkflowID string
	// Status is the review's current status (hitl.QueryStatus).
	Status hitl.Status
}

// Access decides which reviews a signed-in reviewer may read: see in the
// list, open, and fetch the draft of. A review the policy hides answers 404,
// exactly like one that does not exist, and takes no decisions from that
// reviewer. Implementations must be safe for concurrent use and fast: the
// list calls CanRead once per review.
type Access interface {
	CanRead(reviewer string, review ReviewInfo) bool
}

// AccessFunc adapts a function to [Access].
type AccessFunc func(reviewer string, review ReviewInfo) bool

// CanRead implements [Access].
func (f AccessFunc) CanRead(reviewer string, review ReviewInfo) bool { return f(reviewer, review) }

// Participants is the default [Access]: a reviewer reads the reviews they
// take part in. That is every review with a stage that lets anyone decide,
// and every review whose stages or escalations name the reviewer, or whose
// audit trail shows them, whatever stage the review is in and after it
// closed.
var Participants Access = AccessFunc(participates)

func participates(reviewer string, rv ReviewInfo) bool {
	st := rv.Status
	if st.AnyReviewer || slices.Contains(st.Participants, reviewer) ||
		slices.Contains(st.Reviewers, reviewer) || st.ClosedBy == reviewer {
		return true
	}
	for _, e := range st.Audit {
		if e.Reviewer == reviewer {
			return true
		}
	}
	return false
}

// Everyone is the [Access] that lets every signed-in reviewer read every
// review the handler lists (the behaviour before read access existed). With
// it the list costs no status queries. Use it only where every reviewer may
// see every draft.
var Everyone Access = everyone{}

type everyone struct{}

func (everyone) CanRead(string, ReviewInfo) bool { return true }

// listChecks bounds the status queries the list runs at once, and
// listCheckTimeout each of them.
const (
	listChecks       = 8
	listCheckTimeout = 5 * time.Second
)

// readable returns the review's status when who may read it, and an error
// matching hitl.ErrNotFound otherwise: a hidden review is
// indistinguishable from a missing one.
func (h *Handler) readable(ctx context.Context, who grant, id string) (hitl.Status, error) {
	if !who.covers(id) {
		return hitl.Status{}, notFound(id)
	}
	st, err := hitl.GetStatus(ctx, h.c, id)
	if err != nil {
		return st, err
	}
	if !h.opts.Access.CanRead(who.Reviewer, ReviewInfo{WorkflowID: id, Status: st}) {
		return hitl.Status{}, notFound(id)
	}
	return st, nil
}

func notFound(id string) error {
	return fmt.Errorf("%w: hitlhttp: no review %q that you can see", hitl.ErrNotFound, id)
}

// filterReadable keeps the summaries who may read, checking up to
// listChecks reviews at once. A review whose status cannot be read (its
// worker is down, say) is left out and counted in unchecked.
func (h *Handler) filterReadable(ctx context.Context, who grant, list []Summary) (out []Summary, unchecked int) {
	if _, all := h.opts.Access.(everyone); all && !who.scoped() {
		return list, 0
	}
	keep := make([]bool, len(list))
	failed := make([]bool, len(list))
	sem := make(chan struct{}, listChecks)
	var wg sync.WaitGroup
	for i, s := range list {
		if !who.covers(s.WorkflowID) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cctx, cancel := context.WithTimeout(ctx, listCheckTimeout)
			defer cancel()
			_, err := h.readable(cctx, who, s.WorkflowID)
			keep[i] = err == nil
			failed[i] = err != nil && !isNotFound(err)
		}()
	}
	wg.Wait()
	for i, s := range list {
		if keep[i] {
			out = append(out, s)
		}
		if failed[i] {
			unchecked++
		}
	}
	return out, unchecked
}
