package asana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// These tests drive a gate directly, in a synctest bubble, with every send
// and every answer at a fixed virtual instant, and check the exact rate the
// gate settles on after each event.

// gateRun is a gate and the instant its test started.
type gateRun struct {
	t     *testing.T
	g     *gate
	start time.Time
}

func newGateRun(t *testing.T, perMinute int) *gateRun {
	t.Helper()
	return &gateRun{
		t:     t,
		g:     newGate(perMinute, MaxInFlight, DefaultMaxWait, slog.New(slog.DiscardHandler), &counters{}),
		start: time.Now(),
	}
}

// at moves the virtual clock to d after the start.
func (r *gateRun) at(d time.Duration) {
	r.t.Helper()
	now := time.Since(r.start)
	if d < now {
		r.t.Fatalf("at(%s): the clock is already at %s", d, now)
	}
	time.Sleep(d - now)
}

// send lets one request through the gate at d; it must go at once.
func (r *gateRun) send(d time.Duration) time.Time {
	r.t.Helper()
	r.at(d)
	release, sent, err := r.g.enter(context.Background(), false)
	if err != nil {
		r.t.Fatalf("send at %s: %v", d, err)
	}
	release()
	if want := r.start.Add(d); !sent.Equal(want) {
		r.t.Fatalf("request let through at %s, want at once at %s", sent.Sub(r.start), d)
	}
	return sent
}

// ok is an answer (not a 429) at d for the request sent at sent.
func (r *gateRun) ok(d time.Duration, sent time.Time) {
	r.t.Helper()
	r.at(d)
	r.g.answeredOK(sent)
}

// limited is a 429 with the given Retry-After at d for the request sent at
// sent.
func (r *gateRun) limited(d time.Duration, sent time.Time, retryAfter time.Duration) {
	r.t.Helper()
	r.at(d)
	r.g.rateLimited(context.Background(), sent, retryAfter, true, "/goals")
}

// wantRate checks the limiter's rate, in requests a second.
func (r *gateRun) wantRate(what string, perSecond float64) {
	r.t.Helper()
	if got := float64(r.g.limiter.Limit()); math.Abs(got-perSecond) > 1e-9*perSecond {
		r.t.Errorf("%s: rate %.6f/s, want %.6f/s", what, got, perSecond)
	}
}

// served sends n requests, one every 50 ms from the start, each answered
// 10 ms after it was sent.
func (r *gateRun) served(n int) {
	r.t.Helper()
	for i := range n {
		d := time.Duration(i) * 50 * time.Millisecond
		sent := r.send(d)
		r.ok(d+10*time.Millisecond, sent)
	}
}

// configured is the rate of a gate configured at 6000 a minute: 99 a
// second after the 1% headroom.
const configured = 99.0

// The limiter runs below the configured rate by one request a minute, or by
// 1% when that is more, since Asana counts over a sliding minute and a late
// request must not push the next minute over; a quota of one stays one.
func TestLimiterRate_keepsAtLeastOneRequestAMinuteOfHeadroom(t *testing.T) {
	for _, tc := range []struct {
		perMinute int
		want      float64 // requests a minute
	}{
		{1, 1}, // nothing to keep back from a single request
		{2, 1},
		{60, 59},
		{99, 98},
		{100, 99},
		{150, 148.5},
		{1500, 1485},
	} {
		if got := float64(limiterRate(tc.perMinute)) * 60; math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("limiterRate(%d) = %v a minute, want %v", tc.perMinute, got, tc.want)
		}
	}
}

// A request waiting for its turn at the limiter when Asana refuses the
// token is not sent: its turn comes, and it fails instead.
func TestGate_refusedTokenStopsARequestQueuedAtTheLimiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 60) // one request every 60/59 s
		r.send(0)
		type result struct {
			err error
			at  time.Duration
		}
		done := make(chan result, 1)
		go func() {
			release, _, err := r.g.enter(context.Background(), false)
			if err == nil {
				release()
			}
			done <- result{err, time.Since(r.start)}
		}()
		r.at(500 * time.Millisecond)
		r.g.refused.Store(true) // the 401 of the first request
		got := <-done
		if !errors.Is(got.err, errRefused) {
			t.Fatalf("queued request: err = %v at %s, want errRefused", got.err, got.at)
		}
	})
}

// Once the token is refused, a new request fails at once: it does not wait
// for a turn at the limiter first.
func TestGate_refusedTokenFailsANewRequestAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 60)
		r.send(0) // the limiter has no turn free for a second
		r.g.refused.Store(true)
		_, _, err := r.g.enter(context.Background(), false)
		if !errors.Is(err, errRefused) {
			t.Fatalf("err = %v, want errRefused", err)
		}
		if el := time.Since(r.start); el != 0 {
			t.Errorf("failed after %s, want at once", el)
		}
	})
}

// A lone 429 changes nothing; a second one in its episode, for a request
// sent after the one that met the first, slows the gate. With fewer than
// minEstimateSample answers to go on, it halves the rate (less the margin).
func TestGate_second429ForALaterRequestSlowsDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		a := r.send(0)
		c := r.send(20 * time.Millisecond)
		r.limited(100*time.Millisecond, a, time.Second)
		r.wantRate("after a lone 429", configured)
		r.limited(200*time.Millisecond, c, time.Second)
		r.wantRate("after a second 429 for a later request", configured/2*estimateMargin)
	})
}

// An answer during an episode for a request sent before the one that met
// its first 429 says nothing: the server may have served it before the
// quota ran out. A second 429 for a later request still slows the gate.
func TestGate_earlierRequestServedDuringAnEpisodeDecidesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		p := r.send(0)
		a := r.send(20 * time.Millisecond)
		c := r.send(40 * time.Millisecond)
		r.limited(100*time.Millisecond, a, time.Second)
		r.ok(200*time.Millisecond, p)
		r.limited(300*time.Millisecond, c, time.Second)
		r.wantRate("after a later request's 429", configured/2*estimateMargin)
	})
}

// A 429 for a request sent before the one that opened the episode is no
// evidence of a spent quota: the rate stays.
func TestGate_a429ForAnEarlierRequestIsNoEvidence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		p := r.send(0)
		a := r.send(20 * time.Millisecond)
		r.limited(100*time.Millisecond, a, time.Second)
		r.limited(200*time.Millisecond, p, time.Second)
		r.wantRate("after a 429 for a request sent before the first", configured)
	})
}

// A shorter Retry-After does not cut a longer pause in force.
func TestGate_shorterRetryAfterDoesNotCutALongerPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		p := r.send(0)
		a := r.send(20 * time.Millisecond)
		r.limited(100*time.Millisecond, a, 10*time.Second)
		r.limited(200*time.Millisecond, p, time.Second)
		if got, want := r.g.pausedFor(), 9900*time.Millisecond; got != want {
			t.Errorf("pause left = %s, want %s: the 10 s pause stands", got, want)
		}
		release, sent, err := r.g.enter(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if got, want := sent.Sub(r.start), 10100*time.Millisecond; got != want {
			t.Errorf("next request sent at %s, want %s", got, want)
		}
		if got, want := time.Duration(r.g.stats.pauseNanos.Load()), 10*time.Second; got != want {
			t.Errorf("pauses counted %s, want %s", got, want)
		}
	})
}

// An episode lasts until its longest pause is over: a 429 for a later
// request that comes after the first pause but within a longer one that a
// second 429 started is still evidence.
func TestGate_episodeLastsUntilItsLongestPauseEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		p := r.send(0)
		a := r.send(20 * time.Millisecond)
		c := r.send(40 * time.Millisecond)
		r.limited(100*time.Millisecond, a, time.Second)   // the episode, until 1.1 s
		r.limited(200*time.Millisecond, p, 3*time.Second) // no evidence; until 3.2 s
		r.wantRate("after two 429s that are no evidence", configured)
		r.limited(2*time.Second, c, time.Second)
		r.wantRate("after a later request's 429 within the longer pause", configured/2*estimateMargin)
	})
}

// The slow-down goes to the quota seen honoured before the episode, less
// estimateMargin: 20 answers over the stretch (1.1 s) and the pause (0.9 s)
// are 10 a second, so the gate goes to 9.5 a second.
func TestGate_slowDownIsTheHonouredRateLessTheMargin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		r.served(20)
		a := r.send(1000 * time.Millisecond)
		c := r.send(1020 * time.Millisecond)
		r.limited(1100*time.Millisecond, a, 900*time.Millisecond)
		r.limited(1200*time.Millisecond, c, 900*time.Millisecond)
		r.wantRate("after the evidence", 10*estimateMargin)
	})
}

// Fewer than minEstimateSample answers are too few to estimate the quota
// from: the rate is halved instead. From minEstimateSample answers on, the
// estimate counts.
func TestGate_fewAnswersHalveTheRateInsteadOfEstimating(t *testing.T) {
	for _, tc := range []struct {
		answers int
		want    float64
	}{
		{minEstimateSample - 1, configured / 2 * estimateMargin},
		{minEstimateSample, minEstimateSample * estimateMargin}, // over 1 s: 0.6 s and a 0.4 s pause
	} {
		t.Run(fmt.Sprintf("%d answers", tc.answers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newGateRun(t, 6000)
				r.served(tc.answers)
				a := r.send(500 * time.Millisecond)
				c := r.send(520 * time.Millisecond)
				r.limited(600*time.Millisecond, a, 400*time.Millisecond)
				r.limited(700*time.Millisecond, c, 400*time.Millisecond)
				r.wantRate("after the evidence", tc.want)
			})
		})
	}
}

// A second episode estimates the quota from its own stretch, the one since
// the first episode, not from the start of the client's work.
func TestGate_secondEpisodeEstimatesFromItsOwnStretch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		r.served(20)
		a := r.send(1000 * time.Millisecond)
		c := r.send(1020 * time.Millisecond)
		r.limited(1100*time.Millisecond, a, 900*time.Millisecond)
		r.limited(1200*time.Millisecond, c, 900*time.Millisecond)
		r.wantRate("after the first episode", 9.5)
		// The second stretch: 12 answers from 2.2 s on, one every 200 ms.
		for i := range 12 {
			d := 2200*time.Millisecond + time.Duration(i)*200*time.Millisecond
			sent := r.send(d)
			r.ok(d+10*time.Millisecond, sent)
		}
		a2 := r.send(4600 * time.Millisecond)
		c2 := r.send(4800 * time.Millisecond)
		r.limited(5200*time.Millisecond, a2, time.Second) // 12 answers over 3 s + 1 s: 3 a second
		r.limited(5300*time.Millisecond, c2, time.Second)
		r.wantRate("after the second episode", 3*estimateMargin)
	})
}

// After a slow-down the rate climbs back by +10%, +20%, … every quiet
// recoverAfter; each slow-down starts the climb at +10% again.
func TestGate_recoveryStartsSmallAfterEachSlowDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		episode := func(at time.Duration) {
			a := r.send(at)
			c := r.send(at + 50*time.Millisecond)
			r.limited(at+100*time.Millisecond, a, time.Second)
			r.limited(at+200*time.Millisecond, c, time.Second)
		}
		quiet := func(at time.Duration) {
			r.ok(at, r.send(at))
		}
		episode(0) // slowed at 0.2 s
		want := configured / 2 * estimateMargin
		r.wantRate("after the first slow-down", want)
		quiet(20*time.Second + 100*time.Millisecond)
		r.wantRate("before recoverAfter", want)
		quiet(20*time.Second + 200*time.Millisecond)
		want *= 1.1
		r.wantRate("after the first quiet period", want)
		quiet(40*time.Second + 200*time.Millisecond)
		want *= 1.2
		r.wantRate("after the second quiet period", want)

		episode(41 * time.Second) // slowed at 41.2 s
		want = want / 2 * estimateMargin
		r.wantRate("after the second slow-down", want)
		quiet(61*time.Second + 200*time.Millisecond)
		want *= 1.1
		r.wantRate("after the first quiet period since the second slow-down", want)
	})
}

// A 429 that opens an episode right after one in which nothing sent after
// its refused request was answered or refused (no evidence either way, as
// when the 429 came back before the next request went) is taken as a
// spent quota: the gate slows to the estimate at the second. A lone one
// still changes nothing.
func TestGate_recurringUndecidedEpisodesSlowDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		r.served(20)                                                                 // to 950 ms
		r.limited(1000*time.Millisecond, r.send(1000*time.Millisecond), time.Second) // undecided, until 2 s
		r.wantRate("after a lone 429", configured)
		// The second stretch: 15 answers from 2 s, one every 20 ms.
		for i := range 15 {
			d := 2*time.Second + time.Duration(i)*20*time.Millisecond
			r.ok(d+10*time.Millisecond, r.send(d))
		}
		r.limited(2300*time.Millisecond, r.send(2300*time.Millisecond), 1200*time.Millisecond)
		// 15 requests over the stretch (0.3 s) and the pause (1.2 s).
		r.wantRate("after a second undecided episode", 10*estimateMargin)
		// The next episode opens after one that slowed: it is lone again.
		r.limited(3600*time.Millisecond, r.send(3600*time.Millisecond), time.Second)
		r.wantRate("after the next lone 429", 10*estimateMargin)
	})
}

// An answer for a later request in between makes the next episode lone:
// the server was busy, not out of quota.
func TestGate_evidenceAgainstBreaksRecurrence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		r.served(20)
		a := r.send(1000 * time.Millisecond)
		c := r.send(1020 * time.Millisecond)
		r.limited(1030*time.Millisecond, a, time.Second)
		r.ok(1040*time.Millisecond, c) // evidence against
		for i := range 15 {
			d := 2040*time.Millisecond + time.Duration(i)*20*time.Millisecond
			r.ok(d+10*time.Millisecond, r.send(d))
		}
		r.limited(2400*time.Millisecond, r.send(2400*time.Millisecond), time.Second)
		r.wantRate("after a 429 following an episode decided against", configured)
		r.limited(3400*time.Millisecond, r.send(3400*time.Millisecond), time.Second)
		r.wantRate("after a second undecided episode, with few answers to go on", configured/2*estimateMargin)
	})
}

// Recurring 429s alone never take the rate below Asana's lowest documented
// quota; only a second 429 for a later request does, once there.
func TestGate_recurringEpisodesStopAtTheFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, FreeRequestsPerMinute) // 148.5 a minute: the floor
		floor := float64(limiterRate(FreeRequestsPerMinute))
		at := time.Duration(0)
		for range 4 {
			r.limited(at+10*time.Millisecond, r.send(at), 5*time.Second)
			at += 6 * time.Second
		}
		r.wantRate("after recurring 429s at the floor", floor)
	})
}

// Requests sent before the refused one and still on their way count as
// let through: at the 429 their answers have not arrived, but the server
// admitted them before it ran out.
func TestGate_estimateCountsRequestsStillOnTheirWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		var sent []time.Time
		for i := range 20 { // one every 50 ms; none answered yet
			sent = append(sent, r.send(time.Duration(i)*50*time.Millisecond))
		}
		a := r.send(1000 * time.Millisecond)
		c := r.send(1020 * time.Millisecond)
		r.limited(1100*time.Millisecond, a, 900*time.Millisecond)
		r.limited(1200*time.Millisecond, c, 900*time.Millisecond)
		// 20 let through over 1.1 s and the 0.9 s pause.
		r.wantRate("after the evidence", 10*estimateMargin)
		for _, s := range sent {
			r.ok(1300*time.Millisecond, s)
		}
	})
}

// A whole-second Retry-After of 2 s or more is rounded up by up to a
// second: the estimate counts half a second less of it. One second is
// Retry-After's least and is counted whole (a per-second bucket refills
// for all of it).
func TestGate_wholeSecondRetryAfterCountsHalfASecondLess(t *testing.T) {
	for _, tc := range []struct {
		retryAfter time.Duration
		want       float64
	}{
		{time.Second, 20 / (1.02 + 1)},               // the stretch and the whole second
		{3 * time.Second, 20 / (1.02 + 2.5)},         // half a second less
		{2500 * time.Millisecond, 20 / (1.02 + 2.5)}, // not whole: counted as is
	} {
		t.Run(tc.retryAfter.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newGateRun(t, 6000)
				r.served(20)
				a := r.send(1000 * time.Millisecond)
				c := r.send(1020 * time.Millisecond)
				r.limited(1020*time.Millisecond, a, tc.retryAfter)
				r.limited(1020*time.Millisecond, c, tc.retryAfter)
				r.wantRate("after the evidence", tc.want*estimateMargin)
			})
		})
	}
}

// A climb above the rate learnt that meets a 429 goes straight back to the
// rate learnt, and the climb starts small again; the episode is not taken
// for the start of a recurrence.
func TestGate_a429AboveTheRateLearntGoesBackToIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		r.served(20)
		a := r.send(1000 * time.Millisecond)
		c := r.send(1020 * time.Millisecond)
		r.limited(1100*time.Millisecond, a, 900*time.Millisecond)
		r.limited(1200*time.Millisecond, c, 900*time.Millisecond)
		learned := 10 * estimateMargin
		r.wantRate("learnt", learned)
		r.ok(21200*time.Millisecond, r.send(21200*time.Millisecond))
		r.wantRate("after a quiet period", learned*1.1)
		r.limited(22*time.Second, r.send(22*time.Second), time.Second)
		r.wantRate("after a 429 above the rate learnt", learned)
		r.limited(23500*time.Millisecond, r.send(23500*time.Millisecond), time.Second)
		r.wantRate("after the next 429: lone", learned)
		r.ok(43600*time.Millisecond, r.send(43600*time.Millisecond))
		r.wantRate("after the next quiet period: +10% again", learned*1.1)
	})
}

// The rate climbs back only after recoverAfter without a 429: a lone 429
// (which changes no rate) a few seconds before the climb was due holds it
// back until recoverAfter has passed since that 429.
func TestGate_recentLone429HoldsBackTheClimb(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		a := r.send(0)
		c := r.send(50 * time.Millisecond)
		r.limited(100*time.Millisecond, a, time.Second)
		r.limited(200*time.Millisecond, c, time.Second) // slowed at 0.2 s
		learned := configured / 2 * estimateMargin
		r.wantRate("after the slow-down", learned)
		r.limited(15*time.Second, r.send(15*time.Second), time.Second) // lone: changes no rate
		r.wantRate("after a lone 429", learned)
		r.ok(20300*time.Millisecond, r.send(20300*time.Millisecond))
		r.wantRate("recoverAfter since the slow-down, 5 s since a 429", learned)
		r.ok(35*time.Second, r.send(35*time.Second))
		r.wantRate("recoverAfter since the last 429", learned*1.1)
	})
}

// Once the rate has climbed back to the configured rate, the rate learnt
// before no longer holds: a lone 429 at full rate changes nothing, as any
// lone 429 does, instead of sending the rate back to what was learnt.
func TestGate_rateLearntIsForgottenBackAtFullRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		a := r.send(0)
		c := r.send(50 * time.Millisecond)
		r.limited(100*time.Millisecond, a, time.Second)
		r.limited(200*time.Millisecond, c, time.Second)
		r.wantRate("after the slow-down", configured/2*estimateMargin)
		// +10%, +20%, +40%, +80% (capped): back at the configured rate.
		for i := 1; i <= 4; i++ {
			d := time.Duration(i)*20*time.Second + 200*time.Millisecond
			r.ok(d, r.send(d))
		}
		r.wantRate("after four quiet periods", configured)
		r.limited(81*time.Second, r.send(81*time.Second), time.Second)
		r.wantRate("after a lone 429 at full rate", configured)
	})
}

// Answers count as let through even when they are more than the requests
// logged as sent before the refused one: here ten requests sent after it
// were answered before its 429 came back. 30 answers over the stretch
// (1.15 s) and the pause (0.85 s) are 15 a second.
func TestGate_estimateCountsAnswersBeyondTheRequestsSentBefore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newGateRun(t, 6000)
		r.served(20) // to 960 ms
		a := r.send(1000 * time.Millisecond)
		for i := range 10 { // 1020 to 1128 ms, one a turn of the limiter
			d := 1020*time.Millisecond + time.Duration(i)*12*time.Millisecond
			r.ok(d+2*time.Millisecond, r.send(d))
		}
		c := r.send(1145 * time.Millisecond)
		r.limited(1150*time.Millisecond, a, 850*time.Millisecond)
		r.limited(1200*time.Millisecond, c, 850*time.Millisecond)
		r.wantRate("after the evidence", 15*estimateMargin)
	})
}

// An urgent request (a page of the workspace scan) is let through ahead of
// the requests already queued for the limiter: at 60 a minute (59.4 with
// the headroom), ten requests queued at 0 go one a second or so, and an
// urgent one entering at 2.5 s goes at once, not after the ten.
func TestGate_urgentRequestGoesAheadOfTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(60, MaxInFlight, DefaultMaxWait, slog.New(slog.DiscardHandler), &counters{})
		start := time.Now()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				release, _, err := g.enter(context.Background(), false)
				if err != nil {
					t.Error(err)
					return
				}
				release()
			})
		}
		time.Sleep(2500 * time.Millisecond)
		release, sent, err := g.enter(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		release()
		if d := sent.Sub(start); d != 2500*time.Millisecond {
			t.Errorf("urgent request let through at %s, want at once at 2.5s", d)
		}
		// It counted against the rate: a request queued after it waits for
		// the ten turns, the urgent one's, and its own.
		release, sent, err = g.enter(context.Background(), false)
		if err != nil {
			t.Fatal(err)
		}
		release()
		turn := time.Duration(float64(time.Second) / float64(limiterRate(60)))
		if d, want := sent.Sub(start), 11*turn; d < want-time.Millisecond {
			t.Errorf("a request queued after the urgent one went at %s, want at %s: the urgent one did not count against the rate", d, want)
		}
		wg.Wait()
	})
}

// The gate logs what its episode decided, at warning level: every episode
// it opens (a pause for all requests), a slow-down and a return to the rate
// learnt, each with the rate it goes to; a climb and a 429 that decides
// nothing log nothing.
func TestGate_logsEachDecision(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		r := newGateRun(t, 6000)
		r.g.logger = slog.New(slog.NewJSONHandler(&buf, nil))
		r.served(20)
		a := r.send(1000 * time.Millisecond)
		c := r.send(1020 * time.Millisecond)
		r.limited(1100*time.Millisecond, a, 900*time.Millisecond) // opens an episode
		r.limited(1150*time.Millisecond, a, 900*time.Millisecond) // no evidence
		r.limited(1200*time.Millisecond, c, 900*time.Millisecond) // slows to 9.5 a second
		r.ok(21200*time.Millisecond, r.send(21200*time.Millisecond))
		r.limited(22*time.Second, r.send(22*time.Second), time.Second) // back to the rate learnt
		type line struct {
			Level, Msg, Path string
			RetryAfter       int64   `json:"retry_after"`
			PerMinute        float64 `json:"requests_per_minute"`
		}
		want := []line{
			{Level: "WARN", Msg: "asana: rate limited; pausing all requests", Path: "/goals", RetryAfter: int64(900 * time.Millisecond)},
			{Level: "WARN", Msg: "asana: the quota is lower than the configured rate; slowing down", PerMinute: 570},
			{Level: "WARN", Msg: "asana: rate limited; pausing all requests", Path: "/goals", RetryAfter: int64(time.Second)},
			{Level: "WARN", Msg: "asana: back to the rate learnt", PerMinute: 570},
		}
		var got []line
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var l line
			if err := dec.Decode(&l); err != nil {
				t.Fatal(err)
			}
			l.PerMinute = math.Round(l.PerMinute*1e6) / 1e6
			got = append(got, l)
		}
		if !slices.Equal(got, want) {
			t.Errorf("logged\n%+v\nwant\n%+v", got, want)
		}
	})
}
