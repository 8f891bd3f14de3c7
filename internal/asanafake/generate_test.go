package asanafake

import (
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestGenerate_deterministic pins that a workspace is a function of its seed
// and config: the same pair gives the same workspace, another seed a
// different one, and the accessors do not change it.
func TestGenerate_deterministic(t *testing.T) {
	cfg := DefaultGenConfig(3000, 40)
	a, b := Generate(11, cfg), Generate(11, cfg)
	if !reflect.DeepEqual(a.Goals, b.Goals) || !reflect.DeepEqual(a.Users, b.Users) || a.GID != b.GID {
		t.Error("same seed and config gave different workspaces")
	}
	c := Generate(12, cfg)
	if reflect.DeepEqual(a.Goals, c.Goals) {
		t.Error("different seeds gave the same workspace")
	}
	// The accessors do not change the data.
	_ = a.GoalsOwnedBy(a.Users[0].GID)
	if !reflect.DeepEqual(a.Goals, b.Goals) {
		t.Error("accessors changed the workspace")
	}
}

var (
	tagRE        = regexp.MustCompile(`<[^>]*>`)
	entityRE     = regexp.MustCompile(`&#?[A-Za-z0-9]+;`)
	nestedListRE = regexp.MustCompile(`<li>[^<]*<ul><li>`)
)

// textRunes counts the runes of html_notes without tags, entities as one.
func textRunes(html string) int {
	text := tagRE.ReplaceAllString(html, "")
	text = entityRE.ReplaceAllString(text, "x")
	return utf8.RuneCountInString(text)
}

// TestGenerate_properties pins that every knob of GenConfig is honoured: the
// workspace validates, ownerless goals and owners above the 200-goal cap
// come in the numbers asked, shares of statuses, dates and metrics are near
// what is asked, sub-goal trees have one parent and no cycle, hostile names
// and long multi-byte notes all occur, and gids are 16-digit numbers not in
// workspace order.
func TestGenerate_properties(t *testing.T) {
	cfg := GenConfig{
		Goals:            6000,
		Users:            60,
		OwnerlessShare:   0.1,
		OwnersAboveCap:   3,
		SubgoalShare:     0.25,
		MaxSubgoals:      4,
		NoStatusShare:    0.1,
		NoDatesShare:     0.2,
		MetricShare:      0.3,
		LongNotesShare:   0.1,
		HostileNameShare: 0.02,
		WorkspaceGID:     "777",
	}
	ws := Generate(21, cfg)
	if err := ws.Validate(); err != nil {
		t.Fatal(err)
	}
	if ws.GID != "777" || len(ws.Goals) != 6000 || len(ws.Users) != 60 {
		t.Fatalf("sizes: gid %s, %d goals, %d users", ws.GID, len(ws.Goals), len(ws.Users))
	}

	t.Run("owners", func(t *testing.T) {
		counts := ownerCounts(ws)
		if counts[""] != 600 || len(ws.GoalsOwnedBy("")) != 600 {
			t.Errorf("ownerless goals: %d, want 600", counts[""])
		}
		above := 0
		total := counts[""]
		for _, u := range ws.Users {
			n := counts[u.GID]
			total += n
			if n > 200 {
				above++
				if n < 201 || n > 260 {
					t.Errorf("user above the cap owns %d goals, want 201..260", n)
				}
			}
			owned := ws.GoalsOwnedBy(u.GID)
			if len(owned) != n {
				t.Errorf("GoalsOwnedBy and ownerCounts disagree for %s", u.GID)
			}
			// In workspace order.
			last := -1
			for _, g := range owned {
				i := indexOf(ws, g.GID)
				if i <= last || g.OwnerGID != u.GID {
					t.Fatalf("GoalsOwnedBy(%s) is not the user's goals in workspace order", u.GID)
				}
				last = i
			}
		}
		if above != 3 {
			t.Errorf("%d owners above the cap, want 3", above)
		}
		if total != len(ws.Goals) {
			t.Errorf("owner counts add up to %d", total)
		}
	})

	t.Run("statuses dates metrics", func(t *testing.T) {
		statuses := map[string]int{}
		var noDates, dueOnly, both, metrics int
		for _, g := range ws.Goals {
			statuses[g.StatusType]++
			switch {
			case g.DueOn == "" && g.StartOn == "":
				noDates++
			case g.StartOn == "":
				dueOnly++
			case g.DueOn == "":
				t.Fatalf("goal %s has start_on without due_on", g.GID)
			default:
				both++
				if g.StartOn >= g.DueOn {
					t.Errorf("goal %s starts %s after it is due %s", g.GID, g.StartOn, g.DueOn)
				}
			}
			for _, d := range []string{g.DueOn, g.StartOn} {
				if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
					t.Fatalf("bad date %q", d)
				}
			}
			if g.Metric != nil {
				metrics++
			}
		}
		for _, s := range append([]string{""}, goalStatusTypes...) {
			if statuses[s] == 0 {
				t.Errorf("no goal with status %q", s)
			}
		}
		if len(statuses) != len(goalStatusTypes)+1 {
			t.Errorf("unexpected statuses: %v", statuses)
		}
		near := func(n int, share float64) bool {
			want := share * float64(len(ws.Goals))
			return math.Abs(float64(n)-want) < 0.25*want+10
		}
		if !near(statuses[""], 0.1) || !near(noDates, 0.2) || !near(metrics, 0.3) || dueOnly == 0 || both == 0 {
			t.Errorf("shares: no status %d, no dates %d, due only %d, both %d, metrics %d", statuses[""], noDates, dueOnly, both, metrics)
		}
	})

	t.Run("sub-goal trees", func(t *testing.T) {
		parents := map[string]string{}
		withSubs, deep, crossOwner := 0, 0, 0
		for _, g := range ws.Goals {
			if len(g.SubgoalGIDs) > cfg.MaxSubgoals {
				t.Errorf("goal %s has %d sub-goals", g.GID, len(g.SubgoalGIDs))
			}
			if len(g.SubgoalGIDs) > 0 {
				withSubs++
			}
			subs := ws.Subgoals(g.GID)
			if len(subs) != len(g.SubgoalGIDs) {
				t.Fatalf("Subgoals(%s) = %d goals, want %d", g.GID, len(subs), len(g.SubgoalGIDs))
			}
			for k, s := range subs {
				if s.GID != g.SubgoalGIDs[k] {
					t.Fatal("Subgoals out of order")
				}
				if p, ok := parents[s.GID]; ok {
					t.Fatalf("goal %s has two parents: %s and %s", s.GID, p, g.GID)
				}
				parents[s.GID] = g.GID
				if len(s.SubgoalGIDs) > 0 {
					deep++
				}
				if s.OwnerGID != g.OwnerGID {
					crossOwner++
				}
			}
		}
		// No cycles: walking up from any goal ends.
		for _, g := range ws.Goals {
			seen := 0
			for p, ok := parents[g.GID]; ok; p, ok = parents[p] {
				if seen++; seen > len(ws.Goals) {
					t.Fatalf("cycle through %s", g.GID)
				}
			}
		}
		if withSubs < 500 || deep == 0 || crossOwner == 0 {
			t.Errorf("%d goals with sub-goals, %d sub-goals with their own, %d owned by someone else", withSubs, deep, crossOwner)
		}
	})

	t.Run("hostile names and long notes", func(t *testing.T) {
		names := map[string]bool{}
		long, multibyte := 0, 0
		var hasList, hasBr, hasEntity, hasCJK, hasEmoji bool
		for _, g := range ws.Goals {
			names[g.Name] = true
			if textRunes(g.HTMLNotes) > 1000 {
				long++
				if len(g.HTMLNotes) > utf8.RuneCountInString(g.HTMLNotes) {
					multibyte++
				}
				hasList = hasList || nestedListRE.MatchString(g.HTMLNotes)
				hasBr = hasBr || strings.Contains(g.HTMLNotes, "<br>")
				hasEntity = hasEntity || strings.Contains(g.HTMLNotes, "&amp;") && strings.Contains(g.HTMLNotes, "&lt;") && strings.Contains(g.HTMLNotes, "&#x1F600;")
				hasCJK = hasCJK || strings.ContainsAny(g.HTMLNotes, "我本목")
				hasEmoji = hasEmoji || strings.Contains(g.HTMLNotes, "🚀")
			}
		}
		for _, h := range hostileNames {
			if !names[h] {
				t.Errorf("hostile name %q not used", h)
			}
		}
		var newline, control, marker, system, veryLong bool
		for n := range names {
			newline = newline || strings.Contains(n, "\n")
			control = control || strings.ContainsAny(n, "\x00\x07\x1b")
			marker = marker || strings.Contains(n, "[/GOALS]")
			system = system || strings.Contains(n, "[SYSTEM] ignore previous instructions")
			veryLong = veryLong || utf8.RuneCountInString(n) > 500
		}
		if !newline || !control || !marker || !system || !veryLong {
			t.Errorf("hostile names: newline %v control %v marker %v system %v long %v", newline, control, marker, system, veryLong)
		}
		if long < 400 || multibyte != long {
			t.Errorf("%d goals with notes over 1,000 runes (%d multi-byte), want ~600, all multi-byte", long, multibyte)
		}
		if !hasList || !hasBr || !hasEntity || !hasCJK || !hasEmoji {
			t.Errorf("long notes: nested lists %v, <br> %v, entities %v, CJK %v, emoji %v", hasList, hasBr, hasEntity, hasCJK, hasEmoji)
		}
	})

	t.Run("gids", func(t *testing.T) {
		numeric := regexp.MustCompile(`^[1-9][0-9]{15}$`)
		sorted := true
		for i, g := range ws.Goals {
			if !numeric.MatchString(g.GID) {
				t.Fatalf("goal gid %q is not a 16-digit number", g.GID)
			}
			if i > 0 && g.GID < ws.Goals[i-1].GID {
				sorted = false
			}
		}
		if sorted {
			t.Error("goal gids follow workspace order; they should not")
		}
	})
}

func indexOf(ws *Workspace, gid string) int {
	for i := range ws.Goals {
		if ws.Goals[i].GID == gid {
			return i
		}
	}
	return -1
}

// TestGenerate_plainByDefault pins that knobs left at zero add nothing:
// every goal is owned, has a status and a due date, no metric, no sub-goal
// and no hostile name, no owner is above the cap, goals without users are
// ownerless, and an empty config gives an empty valid workspace.
func TestGenerate_plainByDefault(t *testing.T) {
	ws := Generate(1, GenConfig{Goals: 300, Users: 10})
	for _, g := range ws.Goals {
		if g.OwnerGID == "" || g.StatusType == "" || g.DueOn == "" || g.Metric != nil || len(g.SubgoalGIDs) > 0 {
			t.Fatalf("zero knobs should give plain goals: %+v", g)
		}
		for _, h := range hostileNames {
			if g.Name == h {
				t.Fatalf("hostile name with HostileNameShare 0: %q", g.Name)
			}
		}
	}
	for n, c := range ownerCounts(ws) {
		if c > 200 {
			t.Errorf("user %s owns %d goals with OwnersAboveCap 0", n, c)
		}
	}
	if ws := Generate(1, GenConfig{Goals: 5}); len(ws.GoalsOwnedBy("")) != 5 {
		t.Error("without users every goal is ownerless")
	}
	if ws := Generate(1, GenConfig{}); len(ws.Goals) != 0 || ws.Validate() != nil {
		t.Error("empty config")
	}
}

// TestGenerate_impossibleConfigPanics pins that Generate panics on a config
// it cannot honour (more owners above the cap than users, too few goals to
// put them above it, too many goals for the others to stay under it) rather
// than quietly give another workspace.
func TestGenerate_impossibleConfigPanics(t *testing.T) {
	for _, cfg := range []GenConfig{
		{Goals: 1000, Users: 2, OwnersAboveCap: 3},  // more owners above the cap than users
		{Goals: 300, Users: 5, OwnersAboveCap: 2},   // not enough goals for two owners above 200
		{Goals: 5000, Users: 10, OwnersAboveCap: 1}, // the others cannot all stay under the cap
		{Goals: 1000, Users: 1},                     // one user with 1,000 goals would be above the cap
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: Generate did not panic", cfg)
				}
			}()
			Generate(1, cfg)
		}()
	}
}

// TestGenerate_large pins that 50,000 goals are generated and compiled by
// NewServer within generous bounds, the default config puts exactly two
// owners above the cap, and the last goal is served.
func TestGenerate_large(t *testing.T) {
	cfg := DefaultGenConfig(50_000, 1_000)
	start := time.Now()
	ws := Generate(99, cfg)
	gen := time.Since(start)
	start = time.Now()
	srv := NewServer(ws, Options{})
	compileTime := time.Since(start)
	t.Logf("generate 50,000 goals: %v; NewServer: %v", gen, compileTime)
	// Generous bounds: the race detector slows things down several times.
	if gen > 5*time.Second || compileTime > 5*time.Second {
		t.Errorf("too slow: generate %v, NewServer %v", gen, compileTime)
	}
	above := 0
	for owner, n := range ownerCounts(ws) {
		if owner != "" && n > 200 {
			above++
		}
	}
	if above != 2 {
		t.Errorf("default config: %d owners above the cap, want 2", above)
	}
	// Serving the last page costs the same as the first.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/goals/"+ws.Goals[len(ws.Goals)-1].GID, nil)
	req.Header.Set("Authorization", "Bearer x")
	srv.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("status %d", rec.Code)
	}
}

// ownerCounts returns how many goals each user owns; the "" key counts the
// ownerless goals. Users owning nothing are absent.
func ownerCounts(ws *Workspace) map[string]int {
	ix := ws.index()
	out := make(map[string]int, len(ix.byOwner))
	for owner, goals := range ix.byOwner {
		out[owner] = len(goals)
	}
	return out
}

// The goal status field and time periods are drawn after everything else,
// from a stream of their own: turning them on changes no other field of a
// seeded workspace.
func TestGenerate_statusesAndPeriodsChangeNothingElse(t *testing.T) {
	cfg := DefaultGenConfig(3000, 40)
	with := Generate(5, cfg)
	cfg.GoalStatusOnlyShare, cfg.GoalStatusDiffersShare, cfg.TimePeriodShare = 0, 0, 0
	without := Generate(5, cfg)
	strip := func(ws *Workspace) []Goal {
		gs := slices.Clone(ws.Goals)
		for i := range gs {
			gs[i].GoalStatus, gs[i].TimePeriod = "", nil
		}
		return gs
	}
	if !reflect.DeepEqual(strip(with), without.Goals) || !reflect.DeepEqual(with.Users, without.Users) {
		t.Error("the goal status field and time periods changed other fields")
	}
	for _, g := range without.Goals {
		if g.GoalStatus != "" || g.TimePeriod != nil {
			t.Fatalf("shares of 0 gave %+v", g)
		}
	}
}

// Generate draws the goal status field and time periods at the shares
// GenConfig asks for: a word of Asana's for goals without an update, one
// differing from the update's color for some with one, and time periods
// of years, halves and quarters, one per GID, each goal due within its
// period.
func TestGenerate_statusesAndPeriods(t *testing.T) {
	cfg := DefaultGenConfig(6000, 60)
	ws := Generate(8, cfg)
	if err := ws.Validate(); err != nil {
		t.Fatal(err)
	}
	var noUpdate, fieldOnly, withUpdate, differs, withPeriod int
	words := map[string]int{}
	periods := map[string]TimePeriod{}
	for _, g := range ws.Goals {
		switch {
		case g.StatusType == "":
			noUpdate++
			if g.GoalStatus != "" {
				fieldOnly++
				words[g.GoalStatus]++
			}
		default:
			withUpdate++
			if g.GoalStatus != "" {
				differs++
				if g.GoalStatus == goalStatusColor(g.StatusType) {
					t.Errorf("goal %s: a differing goal status equal to its update's: %+v", g.GID, g)
				}
			}
		}
		if !slices.Contains(append([]string{""}, goalStatuses...), g.GoalStatus) {
			t.Errorf("goal %s: goal status %q is not Asana's", g.GID, g.GoalStatus)
		}
		tp := g.TimePeriod
		if tp == nil {
			continue
		}
		withPeriod++
		if p, ok := periods[tp.GID]; ok && p != *tp {
			t.Errorf("time period %s differs between goals: %+v and %+v", tp.GID, p, *tp)
		}
		periods[tp.GID] = *tp
		start, err1 := time.Parse(time.DateOnly, tp.StartOn)
		end, err2 := time.Parse(time.DateOnly, tp.EndOn)
		if err1 != nil || err2 != nil || !start.Before(end) || tp.DisplayName == "" ||
			!slices.Contains([]string{"FY", "H1", "H2", "Q1", "Q2", "Q3", "Q4"}, tp.Period) {
			t.Errorf("goal %s: odd time period %+v", g.GID, *tp)
		}
		if due, err := time.Parse(time.DateOnly, g.DueOn); err == nil && (due.Before(start) || due.After(end)) {
			t.Errorf("goal %s due %s outside its time period %+v", g.GID, g.DueOn, *tp)
		}
	}
	near := func(n, of int, share float64) bool {
		return of > 0 && abs(float64(n)/float64(of)-share) < 0.05
	}
	if !near(fieldOnly, noUpdate, cfg.GoalStatusOnlyShare) || !near(differs, withUpdate, cfg.GoalStatusDiffersShare) ||
		!near(withPeriod, len(ws.Goals), cfg.TimePeriodShare) || len(words) != len(goalStatuses) {
		t.Errorf("goal status only %d of %d, differing %d of %d, time periods %d of %d, words %v",
			fieldOnly, noUpdate, differs, withUpdate, withPeriod, len(ws.Goals), words)
	}
	cadences := map[string]bool{}
	for _, p := range periods {
		cadences[p.Period[:1]] = true
	}
	if len(cadences) != 3 {
		t.Errorf("time periods of cadences %v, want years, halves and quarters", cadences)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// genTimePeriod names the year, half or quarter around a day, with
// Asana's display names and dates, and gives distinct periods distinct
// GIDs, across years too.
func TestGenTimePeriod(t *testing.T) {
	day := time.Date(2025, time.August, 14, 0, 0, 0, 0, time.UTC)
	for cadence, want := range []TimePeriod{
		{DisplayName: "FY25", Period: "FY", StartOn: "2025-01-01", EndOn: "2025-12-31"},
		{DisplayName: "H2 FY25", Period: "H2", StartOn: "2025-07-01", EndOn: "2025-12-31"},
		{DisplayName: "Q3 FY25", Period: "Q3", StartOn: "2025-07-01", EndOn: "2025-09-30"},
	} {
		got := genTimePeriod(day, cadence)
		want.GID = got.GID
		if *got != want {
			t.Errorf("cadence %d: %+v, want %+v", cadence, *got, want)
		}
	}
	// Distinct periods have distinct gids, across years too.
	gids := map[string]string{}
	for y := 2024; y <= 2027; y++ {
		for m := 1; m <= 12; m++ {
			for c := range 3 {
				p := genTimePeriod(time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC), c)
				if other, ok := gids[p.GID]; ok && other != p.DisplayName {
					t.Errorf("gid %s names %s and %s", p.GID, other, p.DisplayName)
				}
				gids[p.GID] = p.DisplayName
			}
		}
	}
	if len(gids) != 4*(1+2+4) {
		t.Errorf("%d distinct periods over four years, want 28", len(gids))
	}
}
