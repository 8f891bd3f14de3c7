package asana

import (
	"sort"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// episode is the gate's learning of Asana's quota: the rate the gate runs
// at, the 429 episodes that lower it and the quiet periods that raise it
// again. The rule it follows is the package doc's (Rate limits); this type
// is that rule as a state machine. Its methods take the instant of the
// event and return what the gate must do; it reads no clock and holds no
// lock (the gate calls it under its mutex).
//
// An episode opens with a 429 when none is in force, and lasts until its
// longest pause is over: max(Retry-After, minEpisode) from each of its
// 429s. The states, and the events that move between them:
//
//   - episodeIdle: no episode in force, and the last one (if any) settled
//     something. A 429 opens an episode: episodeOpen, or episodeUndoing when
//     the rate had climbed above the rate learnt.
//   - episodeOpen: in force, no evidence yet. A 429 for a request sent
//     after the one that opened it slows the rate to the estimate
//     (episodeDecided); an answer for such a request is evidence against
//     (episodeDecided, rate kept). At its end with neither it becomes
//     episodeInconclusive.
//   - episodeUndoing: as episodeOpen, but it opened by sending a climb back
//     to the rate learnt; at its end it becomes episodeIdle, not
//     episodeInconclusive (the climb, not the quota, met the 429).
//   - episodeDecided: in force, and it slowed the rate or proved it need
//     not; its further 429s only lengthen it. At its end: episodeIdle.
//   - episodeInconclusive: no episode in force, and the last one ended
//     with no evidence either way. The next 429 opens an episode and, as a
//     recurrence, slows the rate at once (episodeDecided), never below the
//     floor (at the floor already, it decides and changes nothing); an
//     episode that undoes a climb takes precedence.
//
// Independently of the state, an answer raises the rate a step once
// recoverAfter has passed both since the last change of rate and since the
// last 429.
type episode struct {
	state episodeState
	end   time.Time // when the episode in force ends
	sent  time.Time // when the request that opened it was sent
	// estimate is the quota seen honoured in the stretch before the
	// episode in force: the rate a slow-down goes to, less estimateMargin.
	estimate rate.Limit

	rate    rate.Limit // the rate the gate runs at now
	maxRate rate.Limit // the configured rate, with headroom
	floor   rate.Limit // Asana's lowest documented quota, with headroom
	learned rate.Limit // the rate of the last slow-down; 0 once back at maxRate
	// step is the next climb's factor: small just after a slow-down, so
	// that a quota that really is lower is overshot by little, then growing
	// with every quiet step, so that a quota that came back is regained fast.
	step       float64
	lastChange time.Time // the last change of rate
	last429    time.Time

	stretch stretch // the requests since the last episode opened
}

// Tuning of the adaptive rate.
const (
	// recoverAfter is the quiet time (no 429) after which the rate goes up
	// again, and again after each such time. The first step is
	// firstRecoverStep; each quiet step doubles the next one's increase
	// (+10%, +20%, +40%, …), so from Asana's free tier to its paid tier
	// takes about two minutes.
	recoverAfter     = 20 * time.Second
	firstRecoverStep = 1.1
	// estimateMargin keeps the rate a little under the observed quota.
	estimateMargin = 0.95
	// minEstimateSample is how many answers make an estimate trustworthy;
	// with fewer the rate is halved instead.
	minEstimateSample = 10
	// maxSendLog is the most send times a stretch keeps; past it, the
	// stretch is long enough for its answers alone to tell.
	maxSendLog = 4096
	// minEpisode is how long a 429 without Retry-After counts as one
	// episode.
	minEpisode = time.Second
	// minRateShare is the slowest the gate ever goes, as a share of the
	// configured rate, however long 429s keep coming.
	minRateShare = 50
)

// episodeState names where an episode stands (see episode).
type episodeState int

const (
	// episodeIdle: no episode in force; the next 429 opens a lone one.
	episodeIdle episodeState = iota
	// episodeOpen: an episode in force without evidence either way.
	episodeOpen
	// episodeUndoing: an episode in force that sent a climb back to the
	// rate learnt, without evidence either way.
	episodeUndoing
	// episodeDecided: an episode in force that slowed the rate, or proved
	// it need not.
	episodeDecided
	// episodeInconclusive: no episode in force; the last one ended without
	// evidence, and the next 429 is taken as a recurrence.
	episodeInconclusive
)

func (s episodeState) String() string {
	switch s {
	case episodeIdle:
		return "idle"
	case episodeOpen:
		return "open"
	case episodeUndoing:
		return "undoing"
	case episodeDecided:
		return "decided"
	case episodeInconclusive:
		return "inconclusive"
	}
	return "episodeState(" + strconv.Itoa(int(s)) + ")"
}

// rateChange is how an event changes the rate.
type rateChange int

const (
	rateKept    rateChange = iota
	rateSlowed             // evidence of a spent quota: down to the estimate
	rateBack               // a climb above the rate learnt met a 429: back to it
	rateClimbed            // a quiet period: up a step
)

func (c rateChange) String() string {
	switch c {
	case rateKept:
		return "kept"
	case rateSlowed:
		return "slowed"
	case rateBack:
		return "back"
	case rateClimbed:
		return "climbed"
	}
	return "rateChange(" + strconv.Itoa(int(c)) + ")"
}

// decision is what an event asks of the gate.
type decision struct {
	opened bool       // the 429 opened an episode
	change rateChange // how the rate changes
	rate   rate.Limit // the rate to set, unless change is rateKept
}

// newEpisode returns the learning of a gate configured at maxRate, started
// at now, with floor as Asana's lowest documented quota.
func newEpisode(now time.Time, maxRate, floor rate.Limit) episode {
	return episode{
		rate:       maxRate,
		maxRate:    maxRate,
		floor:      floor,
		step:       firstRecoverStep,
		lastChange: now,
	}
}

// inForce reports whether an episode is in force at now, and ends the one
// that is over: episodeOpen becomes episodeInconclusive, episodeUndoing and
// episodeDecided become episodeIdle.
func (e *episode) inForce(now time.Time) bool {
	if now.Before(e.end) {
		return e.state == episodeOpen || e.state == episodeUndoing || e.state == episodeDecided
	}
	switch e.state {
	case episodeOpen:
		e.state = episodeInconclusive
	case episodeUndoing, episodeDecided:
		e.state = episodeIdle
	}
	return false
}

// onSend records a request let through at sent.
func (e *episode) onSend(sent time.Time) {
	e.stretch.send(sent)
}

// onAnswer records an answer that was not a 429, at now, for a request
// sent at sent. An answer in an episode for a request sent after the one
// that opened it decides the episode against a slow-down: the server
// served it, so it was not out of quota. Once recoverAfter has passed
// since the last change of rate and since the last 429, the rate climbs a
// step.
func (e *episode) onAnswer(now, sent time.Time) decision {
	e.stretch.answered++
	if e.inForce(now) && sent.After(e.sent) {
		e.state = episodeDecided
	}
	if e.rate < e.maxRate && now.Sub(e.lastChange) >= recoverAfter && now.Sub(e.last429) >= recoverAfter {
		next := min(e.maxRate, e.rate*rate.Limit(e.step))
		e.setRate(now, next)
		e.step = 1 + 2*(e.step-1)
		if next == e.maxRate {
			e.learned = 0 // the quota is back: nothing learnt holds any more
		}
		return decision{change: rateClimbed, rate: next}
	}
	return decision{}
}

// on429 records a 429 at now for a request sent at sent, with the pause
// Asana asked for (0 without Retry-After).
func (e *episode) on429(now, sent time.Time, retryAfter time.Duration) decision {
	e.last429 = now
	length := max(retryAfter, minEpisode)
	if e.inForce(now) {
		e.end = later(e.end, now.Add(length))
		if e.state == episodeDecided || !sent.After(e.sent) {
			return decision{}
		}
		return e.slowDown(now, false)
	}
	recurring := e.state == episodeInconclusive
	e.state = episodeOpen
	e.end = now.Add(length)
	e.sent = sent
	e.estimate = e.stretch.estimate(now, sent, retryAfter, e.rate/2)
	e.stretch.reset()
	if e.learned > 0 && e.rate > e.learned {
		// A climb above the rate learnt met a 429: it went too far.
		e.state = episodeUndoing
		e.setRate(now, e.learned)
		e.step = firstRecoverStep
		return decision{opened: true, change: rateBack, rate: e.learned}
	}
	if !recurring {
		return decision{opened: true}
	}
	d := e.slowDown(now, true)
	d.opened = true
	return d
}

// slowDown decides the episode in force on evidence of a spent quota, and
// slows the rate to the estimate. A recurrence alone never takes the rate
// below the floor; a second 429 for a later request does, once there, down
// to a minRateShare-th of the configured rate.
func (e *episode) slowDown(now time.Time, recurring bool) decision {
	e.state = episodeDecided
	lowest := e.floor
	if e.rate <= e.floor {
		if recurring {
			return decision{}
		}
		lowest = e.maxRate / minRateShare
	}
	next := max(lowest, min(e.rate, e.estimate*estimateMargin))
	e.setRate(now, next)
	e.learned = next
	e.step = firstRecoverStep
	return decision{change: rateSlowed, rate: next}
}

func (e *episode) setRate(now time.Time, r rate.Limit) {
	e.rate = r
	e.lastChange = now
}

// stretch is what the requests since the last episode opened tell of the
// quota: when the first was sent, the send times of the first maxSendLog,
// and how many were answered (not 429).
type stretch struct {
	since    time.Time // the first request sent; zero before it
	answered int64
	sends    []time.Time
}

func (s *stretch) send(sent time.Time) {
	if s.since.IsZero() {
		s.since = sent
	}
	if len(s.sends) < maxSendLog {
		s.sends = append(s.sends, sent)
	}
}

// estimate is the rate the server honoured over the stretch, for an
// episode opened at now by a request sent at sent with the given pause:
// the requests let through (answered, or sent before the refused one and
// so admitted though still on their way) over the stretch and the pause, a
// whole-second pause of two seconds or more counted half a second short
// (the server rounded it up). With fewer than minEstimateSample of them it
// is fallback.
func (s *stretch) estimate(now, sent time.Time, pause time.Duration, fallback rate.Limit) rate.Limit {
	if pause >= 2*time.Second && pause%time.Second == 0 {
		pause -= time.Second / 2
	}
	served := s.answered
	if len(s.sends) < maxSendLog {
		before := int64(sort.Search(len(s.sends), func(i int) bool { return !s.sends[i].Before(sent) }))
		served = max(served, before)
	}
	if span := now.Sub(s.since) + pause; !s.since.IsZero() && served >= minEstimateSample && span > 0 {
		return rate.Limit(float64(served) / span.Seconds())
	}
	return fallback
}

func (s *stretch) reset() {
	s.since = time.Time{}
	s.answered = 0
	s.sends = s.sends[:0]
}
