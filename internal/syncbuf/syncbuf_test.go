package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// Writes from many goroutines all land, whole, while String reads.
func TestBuffer_concurrentWritesAllLand(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			b.Write([]byte("line\n"))
			_ = b.String()
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "line\n"); got != 50 {
		t.Errorf("%d lines, want 50", got)
	}
}
