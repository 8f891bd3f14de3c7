package goals

import (
	"context"
	"iter"
	"sync"
)

// queue hands kept goals from the scan to the sub-goal walkers. It never
// blocks the scan: the page chain is the sync's critical path, and what
// waits here is bounded by the kept goals, which the sync holds anyway.
type queue struct {
	mu     sync.Mutex
	items  []*keptGoal
	closed bool
	wake   chan struct{} // one pending wake-up; a woken walker passes it on
	done   chan struct{} // closed by close
}

func newQueue() *queue {
	return &queue{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (q *queue) push(kg *keptGoal) {
	q.mu.Lock()
	q.items = append(q.items, kg)
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close says no more goals will come; walkers finish what is queued.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	close(q.done)
}

// drain yields queued goals until the queue is closed and empty, or ctx is
// done.
func (q *queue) drain(ctx context.Context) iter.Seq[*keptGoal] {
	return func(yield func(*keptGoal) bool) {
		for {
			kg, more, ok := q.pop()
			if ok {
				if more {
					q.signal() // let another walker take the next one
				}
				if ctx.Err() != nil || !yield(kg) {
					return
				}
				continue
			}
			if !more {
				return
			}
			select {
			case <-q.wake:
			case <-q.done:
			case <-ctx.Done():
				return
			}
		}
	}
}

// pop takes the next goal. ok reports whether it got one; more reports
// whether anything may still come (items left, or the queue still open).
func (q *queue) pop() (kg *keptGoal, more, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > 0 {
		kg = q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		return kg, len(q.items) > 0, true
	}
	return nil, !q.closed, false
}
