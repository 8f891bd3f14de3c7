package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// progress writes a sync's progress to stderr: one line per update, or, on
// a terminal, one line rewritten in place.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	stats func() asana.Stats
	tty   bool
	wrote bool
}

func newProgress(w io.Writer, stats func() asana.Stats, tty bool) *progress {
	return &progress{w: w, stats: stats, tty: tty}
}

// update is the sync's goals.Config.OnProgress.
func (p *progress) update(sp goals.SyncProgress) {
	st := p.stats()
	phase := sp.Phase
	switch sp.Phase {
	case "walking":
		phase = "scan done, fetching sub-goals"
	case "writing":
		phase = "fetched, writing"
	}
	line := fmt.Sprintf("goalsync: %s: %s (%s) scanned, %s kept, sub-goals of %d fetched; %s, %d answered 429, rate-limit waits %s (summed over requests)",
		phase, plural(sp.PagesScanned, "page"), plural(sp.GoalsScanned, "goal"), plural(sp.GoalsKept, "goal"), sp.KeyResultGoalsDone,
		plural(int(st.Requests), "request"), st.RateLimited, st.RateLimitWait.Round(100*time.Millisecond))

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.wrote = true
}

// finish ends the progress display, so that what follows starts on a line
// of its own. It is a no-op on a nil *progress.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.wrote {
		fmt.Fprintln(p.w)
	}
}
