package goals

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
)

// The queue keeps one pending wake-up however many goals were pushed, so
// pushes that land while no walker waits collapse into one. The walker it
// wakes passes it on while goals remain: every idle walker gets a goal,
// not just the first (virtual time: synctest.Wait returns once nothing can
// move).
//
// Which pushes collapse depends on the scheduler, so the test sets the
// queue in that state itself: three goals queued under one wake-up, three
// walkers waiting.
func TestQueue_drain_oneWakeUpReachesEveryIdleWalker(t *testing.T) {
	const walkers = 3
	synctest.Test(t, func(t *testing.T) {
		q := newQueue()
		taken := make(chan *keptGoal, walkers)
		release := make(chan struct{})
		var wg sync.WaitGroup
		for range walkers {
			wg.Go(func() {
				for kg := range q.drain(context.Background()) {
					taken <- kg
					<-release
				}
			})
		}
		synctest.Wait() // every walker waits on the empty queue

		q.mu.Lock()
		for range walkers {
			q.items = append(q.items, &keptGoal{})
		}
		q.mu.Unlock()
		q.signal()
		synctest.Wait()

		if n := len(taken); n != walkers {
			t.Errorf("%d of %d idle walkers took a goal; one wake-up must reach them all while goals remain", n, walkers)
		}
		close(release)
		q.close()
		wg.Wait()
		if n := len(taken); n != walkers {
			t.Errorf("%d goals taken in all, want %d", n, walkers)
		}
	})
}
