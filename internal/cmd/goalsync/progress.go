package main

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
)

// defaultProgressEvery is how often progress to a file or pipe prints a
// line at most (a phase change always prints one).
const defaultProgressEvery = 5 * time.Second

// progress writes a sync's progress to stderr. On a terminal it is one line
// redrawn in place at every update and every second, so that a rate-limit
// pause counts down; to a file or a pipe it is one plain line per phase and
// at most one every few seconds in between.
type progress struct {
	w     io.Writer
	stats func() asana.Stats
	tty   bool
	every time.Duration

	mu           sync.Mutex
	last         goals.SyncProgress
	have         bool
	pending      bool // an update not printed yet (not on a terminal)
	printedPhase goals.Phase
	printedAt    time.Time
	wrote        bool

	stop, stopped chan struct{}
}

// newProgress starts a progress display; finish ends it.
func newProgress(w io.Writer, stats func() asana.Stats, tty bool, every time.Duration) *progress {
	if every <= 0 {
		every = defaultProgressEvery
	}
	p := &progress{w: w, stats: stats, tty: tty, every: every, stop: make(chan struct{}), stopped: make(chan struct{})}
	period := every
	if tty {
		period = time.Second
	}
	go p.tick(period)
	return p
}

// tick redraws between updates: a pause or a slow rate can leave the sync
// without an update for minutes.
func (p *progress) tick(period time.Duration) {
	defer close(p.stopped)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		if p.have && (p.tty || p.pending || p.stats().Paused > 0) {
			p.print()
		}
		p.mu.Unlock()
	}
}

// update is the sync's goals.Config.OnProgress.
func (p *progress) update(sp goals.SyncProgress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.have = sp, true
	if p.tty || sp.Phase != p.printedPhase || time.Since(p.printedAt) >= p.every {
		p.print()
		return
	}
	p.pending = true
}

// print writes the last update with the client's figures of now. p.mu is
// held.
func (p *progress) print() {
	line := "goalsync: " + describeProgress(p.last, p.stats())
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.wrote, p.pending = true, false
	p.printedPhase, p.printedAt = p.last.Phase, time.Now()
}

// describeProgress is one progress line: where the sync is, at what rate,
// how long it may still take, and what it waits for.
func describeProgress(sp goals.SyncProgress, st asana.Stats) string {
	phase := string(sp.Phase)
	switch sp.Phase {
	case goals.PhaseWalking:
		phase = "scan done, fetching sub-goals"
	case goals.PhaseWriting:
		phase = "fetched, writing"
	}
	sp.RequestsPerMinute, sp.Paused = st.RequestsPerMinute, st.Paused
	line := fmt.Sprintf("%s: %s (%s) scanned, %s kept, sub-goals of %d of them fetched; %s, %d answered 429, %.0f requests/min",
		phase, plural(sp.PagesScanned, "page"), plural(sp.GoalsScanned, "goal"), plural(sp.GoalsKept, "goal"),
		sp.KeyResultGoalsDone, plural(int(st.Requests), "request"), st.RateLimited, st.RequestsPerMinute)
	if eta, ok := sp.ETA(); ok && sp.Phase != goals.PhaseWriting && sp.Phase != goals.PhaseDone {
		more := ""
		if sp.Phase == goals.PhaseScanning {
			more = " and the pages still to scan" // Asana does not say how many
		}
		line += fmt.Sprintf(", about %s left%s", roundETA(eta), more)
	}
	if st.Paused > 0 {
		line += fmt.Sprintf("; waiting %s for Asana's rate limit", roundETA(st.Paused))
	}
	return line
}

// roundETA rounds to what a person plans by: seconds under a minute,
// minutes under an hour, then hours and minutes.
func roundETA(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(math.Ceil(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(math.Ceil(d.Minutes())))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

// finish ends the progress display: it prints what is pending, and on a
// terminal ends the line, so that what follows starts on a line of its own.
// It is a no-op on a nil *progress.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending {
		p.print()
	}
	if p.tty && p.wrote {
		fmt.Fprintln(p.w)
	}
}
