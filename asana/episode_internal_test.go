package asana

import (
	"fmt"
	"math"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// These tests drive an episode on instants, without a clock or a gate: each
// row is a state, an event at an instant, and the decision and next state
// the package doc's rule (Rate limits) asks for.

var episodeT0 = time.Date(2026, time.December, 8, 9, 0, 0, 0, time.UTC)

// instant is the instant d after episodeT0.
func instant(d time.Duration) time.Time { return episodeT0.Add(d) }

// Rates of an episode configured at 6000 a minute: 99 a second after the
// headroom, with the free tier's 148.5 a minute as its floor.
var (
	maxRate99 = limiterRate(6000)
	freeFloor = limiterRate(FreeRequestsPerMinute)
)

// anEpisode is an episode configured at maxRate99, in state s; an episode
// in force opened at 10 s, by a request sent at 9.9 s, until 11 s, with an
// estimate of 20 a second. The rate is the configured one; the last change
// and the last 429 are at episodeT0.
func anEpisode(s episodeState, opts ...func(*episode)) episode {
	e := newEpisode(episodeT0, maxRate99, freeFloor)
	e.state = s
	e.last429 = episodeT0
	if s == episodeOpen || s == episodeUndoing || s == episodeDecided {
		e.end = instant(11 * time.Second)
		e.sent = instant(9900 * time.Millisecond)
		e.estimate = 20
		e.last429 = instant(10 * time.Second)
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func withRate(r rate.Limit) func(*episode)    { return func(e *episode) { e.rate = r } }
func withLearned(r rate.Limit) func(*episode) { return func(e *episode) { e.learned = r } }
func withStep(s float64) func(*episode)       { return func(e *episode) { e.step = s } }
func lastChangeAt(d time.Duration) func(*episode) {
	return func(e *episode) { e.lastChange = instant(d) }
}
func last429At(d time.Duration) func(*episode) { return func(e *episode) { e.last429 = instant(d) } }

// episodeEvent is a 429 (retryAfter set, or is429) or an answer at now for a
// request sent at sent.
type episodeEvent struct {
	is429      bool
	now, sent  time.Duration
	retryAfter time.Duration
}

func tooManyAt(now, sent, retryAfter time.Duration) episodeEvent {
	return episodeEvent{is429: true, now: now, sent: sent, retryAfter: retryAfter}
}
func answerAt(now, sent time.Duration) episodeEvent { return episodeEvent{now: now, sent: sent} }

func (ev episodeEvent) String() string {
	if ev.is429 {
		return fmt.Sprintf("429 at %s for a request sent at %s, Retry-After %s", ev.now, ev.sent, ev.retryAfter)
	}
	return fmt.Sprintf("answer at %s for a request sent at %s", ev.now, ev.sent)
}

// Each event (a 429 or an answer, with when its request was sent) moves an
// episode from one state to the next with the decision the table states: a
// lone 429 opens an episode and changes no rate, only a 429 for a request
// sent after the opening one is evidence to slow down, and each case pins the
// state, the episode's end, the rate learnt and the next climb's step.
func TestEpisode_events(t *testing.T) {
	const s = time.Second
	const ms = time.Millisecond
	for _, tc := range []struct {
		name  string
		from  episode
		event episodeEvent
		want  decision
		state episodeState
		// end, when set, is when the episode in force must end after the
		// event; learned and step, when set, are the rate learnt and the
		// next climb's factor.
		end     time.Duration
		learned rate.Limit
		step    float64
	}{
		// A 429 with no episode in force opens one, lasting its
		// Retry-After, or minEpisode without one; alone it changes no rate.
		{name: "lone 429 opens an episode", from: anEpisode(episodeIdle),
			event: tooManyAt(10*s, 9900*ms, 3*s), want: decision{opened: true}, state: episodeOpen, end: 13 * s},
		{name: "without Retry-After an episode lasts minEpisode", from: anEpisode(episodeIdle),
			event: tooManyAt(10*s, 9900*ms, 0), want: decision{opened: true}, state: episodeOpen, end: 11 * s},
		{name: "a short Retry-After still lasts minEpisode", from: anEpisode(episodeIdle),
			event: tooManyAt(10*s, 9900*ms, 200*ms), want: decision{opened: true}, state: episodeOpen, end: 11 * s},

		// In an open episode, a 429 for a request sent after the one that
		// opened it is evidence: down to the estimate less the margin.
		{name: "second 429 for a later request slows down", from: anEpisode(episodeOpen),
			event: tooManyAt(10500*ms, 10*s, s), want: decision{change: rateSlowed, rate: 20 * estimateMargin},
			state: episodeDecided, end: 11500 * ms, learned: 20 * estimateMargin, step: firstRecoverStep},
		{name: "429 for an earlier request is no evidence", from: anEpisode(episodeOpen),
			event: tooManyAt(10500*ms, 9800*ms, 3*s), want: decision{}, state: episodeOpen, end: 13500 * ms},
		{name: "429 for the request that opened it is no evidence", from: anEpisode(episodeOpen),
			event: tooManyAt(10500*ms, 9900*ms, s), want: decision{}, state: episodeOpen, end: 11500 * ms},
		{name: "a shorter pause does not shorten the episode", from: anEpisode(episodeOpen, func(e *episode) { e.end = instant(13 * s) }),
			event: tooManyAt(10500*ms, 9800*ms, 0), want: decision{}, state: episodeOpen, end: 13 * s},
		{name: "evidence within a longer pause still counts", from: anEpisode(episodeOpen, func(e *episode) { e.end = instant(13 * s) }),
			event: tooManyAt(12*s, 10*s, s), want: decision{change: rateSlowed, rate: 20 * estimateMargin}, state: episodeDecided, end: 13 * s},
		{name: "the slow-down never speeds up", from: anEpisode(episodeOpen, func(e *episode) { e.estimate = 1000 }),
			event: tooManyAt(10500*ms, 10*s, s), want: decision{change: rateSlowed, rate: maxRate99}, state: episodeDecided},
		{name: "the slow-down stops at the floor", from: anEpisode(episodeOpen, func(e *episode) { e.estimate = 1 }),
			event: tooManyAt(10500*ms, 10*s, s), want: decision{change: rateSlowed, rate: freeFloor}, state: episodeDecided},
		{name: "at the floor, evidence goes below it, to a fiftieth", from: anEpisode(episodeOpen, withRate(freeFloor), func(e *episode) { e.estimate = 1 }),
			event: tooManyAt(10500*ms, 10*s, s), want: decision{change: rateSlowed, rate: maxRate99 / minRateShare}, state: episodeDecided},

		// An answer for a later request is evidence against.
		{name: "answer for a later request decides against", from: anEpisode(episodeOpen),
			event: answerAt(10500*ms, 10*s), want: decision{}, state: episodeDecided},
		{name: "answer for an earlier request decides nothing", from: anEpisode(episodeOpen),
			event: answerAt(10500*ms, 9800*ms), want: decision{}, state: episodeOpen},
		{name: "answer for the request that opened it decides nothing", from: anEpisode(episodeOpen),
			event: answerAt(10500*ms, 9900*ms), want: decision{}, state: episodeOpen},

		// An episode ends when its pause is over: an open one is
		// inconclusive, and the next 429 slows down as a recurrence.
		{name: "answer at the end finds the episode inconclusive", from: anEpisode(episodeOpen),
			event: answerAt(11*s, 10*s), want: decision{}, state: episodeInconclusive},
		{name: "429 at the end opens a recurrence", from: anEpisode(episodeOpen),
			event: tooManyAt(11*s, 10*s, s), want: decision{opened: true, change: rateSlowed, rate: maxRate99 / 2 * estimateMargin},
			state: episodeDecided, end: 12 * s, learned: maxRate99 / 2 * estimateMargin},
		{name: "recurrence slows to the estimate", from: anEpisode(episodeInconclusive),
			event: tooManyAt(30*s, 29*s, s), want: decision{opened: true, change: rateSlowed, rate: maxRate99 / 2 * estimateMargin},
			state: episodeDecided, end: 31 * s},
		{name: "recurrence never goes below the floor", from: anEpisode(episodeInconclusive, withRate(freeFloor)),
			event: tooManyAt(30*s, 29*s, s), want: decision{opened: true}, state: episodeDecided, end: 31 * s},
		{name: "recurrence stops at the floor", from: anEpisode(episodeInconclusive, withRate(2*freeFloor)),
			event: tooManyAt(30*s, 29*s, s), want: decision{opened: true, change: rateSlowed, rate: freeFloor}, state: episodeDecided},

		// A decided episode only lengthens; at its end the next 429 is lone.
		{name: "decided episode only lengthens", from: anEpisode(episodeDecided),
			event: tooManyAt(10500*ms, 10*s, 2*s), want: decision{}, state: episodeDecided, end: 12500 * ms},
		{name: "decided episode ends idle", from: anEpisode(episodeDecided),
			event: answerAt(11*s, 10*s), want: decision{}, state: episodeIdle},
		{name: "429 after a decided episode is lone", from: anEpisode(episodeDecided),
			event: tooManyAt(11*s, 10*s, s), want: decision{opened: true}, state: episodeOpen, end: 12 * s},

		// A climb above the rate learnt that meets a 429 goes back to it,
		// and the climb starts small again; that episode is no recurrence
		// when it ends, but evidence within it still slows down.
		{name: "429 above the rate learnt goes back to it", from: anEpisode(episodeIdle, withLearned(10), withRate(11), withStep(1.4)),
			event: tooManyAt(30*s, 29*s, s), want: decision{opened: true, change: rateBack, rate: 10},
			state: episodeUndoing, end: 31 * s, learned: 10, step: firstRecoverStep},
		{name: "going back takes precedence over a recurrence", from: anEpisode(episodeInconclusive, withLearned(10), withRate(11)),
			event: tooManyAt(30*s, 29*s, s), want: decision{opened: true, change: rateBack, rate: 10}, state: episodeUndoing},
		{name: "429 at the rate learnt is lone", from: anEpisode(episodeIdle, withLearned(10), withRate(10)),
			event: tooManyAt(30*s, 29*s, s), want: decision{opened: true}, state: episodeOpen},
		{name: "evidence while undoing slows down", from: anEpisode(episodeUndoing, withLearned(30), withRate(30)),
			event: tooManyAt(10500*ms, 10*s, s), want: decision{change: rateSlowed, rate: 20 * estimateMargin}, state: episodeDecided, learned: 20 * estimateMargin},
		{name: "evidence against while undoing decides", from: anEpisode(episodeUndoing),
			event: answerAt(10500*ms, 10*s), want: decision{}, state: episodeDecided},
		{name: "undoing ends idle, not inconclusive", from: anEpisode(episodeUndoing, withLearned(10), withRate(10)),
			event: tooManyAt(11*s, 10*s, s), want: decision{opened: true}, state: episodeOpen},

		// After recoverAfter without a change of rate or a 429, an answer
		// raises the rate by the step, and the next step's increase doubles.
		{name: "quiet period climbs a step", from: anEpisode(episodeIdle, withRate(10), withLearned(10)),
			event: answerAt(20*s, 19*s), want: decision{change: rateClimbed, rate: 11}, state: episodeIdle, learned: 10, step: 1.2},
		{name: "climb after a longer step", from: anEpisode(episodeIdle, withRate(10), withLearned(10), withStep(1.2)),
			event: answerAt(20*s, 19*s), want: decision{change: rateClimbed, rate: 12}, state: episodeIdle, step: 1.4},
		{name: "no climb before recoverAfter since the change", from: anEpisode(episodeIdle, withRate(10), withLearned(10)),
			event: answerAt(20*s-time.Nanosecond, 19*s), want: decision{}, state: episodeIdle, step: firstRecoverStep},
		{name: "no climb before recoverAfter since a 429", from: anEpisode(episodeIdle, withRate(10), withLearned(10), last429At(5*s)),
			event: answerAt(24*s, 19*s), want: decision{}, state: episodeIdle},
		{name: "climb after recoverAfter since both", from: anEpisode(episodeIdle, withRate(10), withLearned(10), last429At(5*s), lastChangeAt(2*s)),
			event: answerAt(25*s, 19*s), want: decision{change: rateClimbed, rate: 11}, state: episodeIdle},
		{name: "climb stops at the configured rate and forgets the rate learnt", from: anEpisode(episodeIdle, withRate(90), withLearned(50), withStep(1.8)),
			event: answerAt(20*s, 19*s), want: decision{change: rateClimbed, rate: maxRate99}, state: episodeIdle, learned: 0},
		{name: "no climb at the configured rate", from: anEpisode(episodeIdle),
			event: answerAt(60*s, 59*s), want: decision{}, state: episodeIdle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.from
			before := e.state
			var got decision
			if tc.event.is429 {
				got = e.on429(instant(tc.event.now), instant(tc.event.sent), tc.event.retryAfter)
			} else {
				got = e.onAnswer(instant(tc.event.now), instant(tc.event.sent))
			}
			if !sameDecision(got, tc.want) || e.state != tc.state {
				t.Errorf("%s, %s: decision %+v, state %s; want %+v, %s", before, tc.event, got, e.state, tc.want, tc.state)
			}
			if tc.want.change != rateKept && e.rate != got.rate {
				t.Errorf("rate %v after deciding %v", e.rate, got.rate)
			}
			if tc.want.change != rateKept && !e.lastChange.Equal(instant(tc.event.now)) {
				t.Errorf("last change at %s, want at the episodeEvent", e.lastChange.Sub(episodeT0))
			}
			if tc.end != 0 && !e.end.Equal(instant(tc.end)) {
				t.Errorf("episode ends at %s, want %s", e.end.Sub(episodeT0), tc.end)
			}
			if tc.learned != 0 && !nearly(float64(e.learned), float64(tc.learned)) {
				t.Errorf("rate learnt %v, want %v", e.learned, tc.learned)
			}
			if tc.want.change == rateClimbed && tc.want.rate == maxRate99 && e.learned != 0 {
				t.Errorf("rate learnt %v back at the configured rate, want it forgotten", e.learned)
			}
			if tc.step != 0 && !nearly(e.step, tc.step) {
				t.Errorf("next step %v, want %v", e.step, tc.step)
			}
			if tc.event.is429 && !e.last429.Equal(instant(tc.event.now)) {
				t.Errorf("last 429 at %s, want at the episodeEvent", e.last429.Sub(episodeT0))
			}
		})
	}
}

func nearly(got, want float64) bool { return math.Abs(got-want) <= 1e-9*math.Abs(want) }

func sameDecision(got, want decision) bool {
	return got.opened == want.opened && got.change == want.change && nearly(float64(got.rate), float64(want.rate))
}

// An episode that opens takes its estimate from the stretch before it, and
// starts the next stretch empty.
func TestEpisode_opensWithTheStretchsEstimate(t *testing.T) {
	e := newEpisode(episodeT0, maxRate99, freeFloor)
	for i := range 20 { // one every 50 ms, answered
		e.onSend(instant(time.Duration(i) * 50 * time.Millisecond))
		e.onAnswer(instant(time.Duration(i)*50*time.Millisecond+10*time.Millisecond), instant(time.Duration(i)*50*time.Millisecond))
	}
	e.onSend(instant(1000 * time.Millisecond))
	e.on429(instant(1100*time.Millisecond), instant(1000*time.Millisecond), 900*time.Millisecond)
	if !nearly(float64(e.estimate), 10) { // 20 over 1.1 s and 0.9 s
		t.Errorf("estimate %v, want 10", e.estimate)
	}
	if !e.stretch.since.IsZero() || e.stretch.answered != 0 || len(e.stretch.sends) != 0 {
		t.Errorf("stretch after the episode opened: %+v, want it empty", e.stretch)
	}
}

// The quota seen honoured over a stretch: the requests let through (the
// answers, or the requests sent before the refused one, whichever are
// more) over the stretch and the pause, a whole-second pause of 2 s or
// more counted half a second short; fewer than minEstimateSample give the
// fallback.
func TestStretch_estimate(t *testing.T) {
	const ms = time.Millisecond
	// every sends n requests from episodeT0, one every 50 ms; the first answered
	// of them are answered.
	every := func(n, answered int) stretch {
		var s stretch
		for i := range n {
			s.send(instant(time.Duration(i) * 50 * ms))
		}
		s.answered = int64(answered)
		return s
	}
	const fallback = 7
	for _, tc := range []struct {
		name      string
		s         stretch
		now, sent time.Duration
		pause     time.Duration
		want      float64
	}{
		{"answers over the stretch and the pause", every(20, 20), 1100 * ms, 1000 * ms, 900 * ms, 10},
		{"requests on their way count", every(20, 0), 1100 * ms, 1000 * ms, 900 * ms, 10},
		{"only those sent before the refused one", every(20, 0), 1100 * ms, 450 * ms, 900 * ms, fallback},
		{"answers beyond the requests sent before", every(10, 30), 1150 * ms, 450 * ms, 850 * ms, 15},
		{"one whole second counts whole", every(20, 20), 1020 * ms, 1000 * ms, time.Second, 20 / 2.02},
		{"a whole-second pause of 2 s counts half a second less", every(20, 20), 1000 * ms, 1000 * ms, 2 * time.Second, 20 / 2.5},
		{"a pause of whole seconds counts half a second less", every(20, 20), 1020 * ms, 1000 * ms, 3 * time.Second, 20 / 3.52},
		{"a pause not in whole seconds counts as is", every(20, 20), 1020 * ms, 1000 * ms, 2500 * ms, 20 / 3.52},
		{"too few answers", every(minEstimateSample-1, minEstimateSample-1), 600 * ms, 500 * ms, 400 * ms, fallback},
		{"just enough answers", every(minEstimateSample, minEstimateSample), 600 * ms, 500 * ms, 400 * ms, minEstimateSample},
		{"an empty stretch", stretch{answered: 20}, 1000 * ms, 1000 * ms, time.Second, fallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.s.estimate(instant(tc.now), instant(tc.sent), tc.pause, fallback)
			if !nearly(float64(got), tc.want) {
				t.Errorf("estimate %v, want %v", got, tc.want)
			}
		})
	}
}

// The send log stops at maxSendLog; past it the answers alone tell.
func TestStretch_sendLogIsBounded(t *testing.T) {
	var s stretch
	for i := range maxSendLog + 1 {
		s.send(instant(time.Duration(i) * time.Millisecond))
	}
	if len(s.sends) != maxSendLog || !s.since.Equal(episodeT0) {
		t.Fatalf("%d sends logged since %s, want %d since the first", len(s.sends), s.since.Sub(episodeT0), maxSendLog)
	}
	s.answered = 20
	if got := s.estimate(instant(5*time.Second), instant(5*time.Second), time.Second, 1); !nearly(float64(got), 20.0/6) {
		t.Errorf("estimate %v past the send log, want the answers alone (%v)", got, 20.0/6)
	}
}

// Episode states and rate changes print by name, and an unknown value prints
// its type and number rather than nothing.
func TestEpisodeState_String(t *testing.T) {
	for s, want := range map[episodeState]string{
		episodeIdle: "idle", episodeOpen: "open", episodeUndoing: "undoing",
		episodeDecided: "decided", episodeInconclusive: "inconclusive", 9: "episodeState(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", int(s), got, want)
		}
	}
	for c, want := range map[rateChange]string{
		rateKept: "kept", rateSlowed: "slowed", rateBack: "back", rateClimbed: "climbed", 9: "rateChange(9)",
	} {
		if got := c.String(); got != want {
			t.Errorf("%d: %q, want %q", int(c), got, want)
		}
	}
}
