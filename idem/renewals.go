package idem

import (
	"container/heap"
	"sync"
	"time"
)

// renewals schedules the first renewal of every holder in the process on
// one timer, so that a call whose body returns before its first renewal is
// due (nearly all of them) costs a heap push and pop under a mutex instead
// of a timer and a closure of its own. A holder whose first renewal comes
// due gets its own timer from then on (see holder.renew).
var renewals scheduler

type scheduler struct {
	mu    sync.Mutex
	due   holderHeap
	timer *time.Timer // fires at armed; never stopped, only reset
	armed time.Time   // zero when the timer is not set
}

// add schedules h's first renewal at h.due.
func (s *scheduler) add(h *holder) {
	s.mu.Lock()
	heap.Push(&s.due, h)
	// A timer set for an earlier time is left alone: when it fires it sets
	// itself for the earliest renewal then due, so calls that follow each
	// other do not touch the timer at all.
	if s.armed.IsZero() || h.due.Before(s.armed) {
		s.arm(h.due)
	}
	s.mu.Unlock()
}

// remove unschedules h, if its first renewal has not come due yet.
func (s *scheduler) remove(h *holder) {
	s.mu.Lock()
	if h.index >= 0 {
		heap.Remove(&s.due, h.index)
	}
	s.mu.Unlock()
}

// arm sets the timer for at; s.mu is held.
func (s *scheduler) arm(at time.Time) {
	s.armed = at
	d := time.Until(at)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.fire)
		return
	}
	s.timer.Reset(d)
}

// fire starts the renewals that are due and sets the timer for the next.
func (s *scheduler) fire() {
	var ready []*holder
	s.mu.Lock()
	now := monoNow()
	for len(s.due) > 0 && !s.due[0].due.After(now) {
		ready = append(ready, heap.Pop(&s.due).(*holder))
	}
	if len(s.due) > 0 {
		s.arm(s.due[0].due)
	} else {
		s.armed = time.Time{}
	}
	s.mu.Unlock()
	for _, h := range ready {
		go h.renew(h.rctx, h.r)
	}
}

// holderHeap orders holders by the time of their first renewal.
type holderHeap []*holder

func (q holderHeap) Len() int           { return len(q) }
func (q holderHeap) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q holderHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *holderHeap) Push(x any) {
	h := x.(*holder)
	h.index = len(*q)
	*q = append(*q, h)
}

func (q *holderHeap) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	h.index = -1
	return h
}
