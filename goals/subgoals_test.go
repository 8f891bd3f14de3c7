package goals_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
	"github.com/perfcopilot/asanagoals/status"
)

// Against today's Asana a sync sends one request to the retired path,
// whatever its concurrency: every walker waits for the first probe's
// answer. The probe is held for a (virtual) second, long enough for all
// 50 walkers to have a goal each and nothing else to do.
func TestIngester_Sync_oneProbeWhateverTheConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var ws []asanafake.Goal
		for i := 1; i <= 300; i++ {
			ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "G", OwnerGID: "501"})
		}
		m := newMock(t, ws...)
		m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
			if kind == "subgoals" {
				time.Sleep(time.Second)
			}
			return nil, nil
		}
		cfg := testConfig()
		cfg.Concurrency = goals.MaxConcurrency
		rep, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada)
		if err != nil {
			t.Fatal(err)
		}
		if rep.SubgoalPath != goals.PathGoalRelationships {
			t.Errorf("source = %q", rep.SubgoalPath)
		}
		if n := m.count("subgoals"); n != 1 {
			t.Errorf("%d requests to the retired path, want 1 probe", n)
		}
		if n := m.count("relationships"); n != 200 {
			t.Errorf("%d sub-goal listings, want 200 (one per kept goal)", n)
		}
	})
}

// A probe that fails for another reason than a 404 (a 500 after the
// retries) decides nothing: that goal fails, the next one probes, and the
// rest of the sync goes on the path found.
func TestIngester_Sync_failedProbeDecidesNothing(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501", SubgoalGIDs: []string{"9"}},
		asanafake.Goal{GID: "3", Name: "C", OwnerGID: "501"}, asanafake.Goal{GID: "9", Name: "Nine"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "subgoals" && gid == "1" {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	cfg := testConfig()
	cfg.Concurrency = 1
	rep, err := runSync(t, m, goals.NewMemoryStore(), cfg, ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || e.GoalsKept != 2 {
		t.Errorf("ada = %+v, want partial with goals 2 and 3", e)
	}
	if rep.SubgoalPath != goals.PathGoalRelationships {
		t.Errorf("source = %q", rep.SubgoalPath)
	}
	// Goal 1's probe (with its retry), then goal 2's probe; goal 3 goes
	// straight to relationships.
	if n := m.count("subgoals"); n != 3 {
		t.Errorf("%d requests to the spec's path, want 3 (goal 1 tried twice, then goal 2's probe)", n)
	}
}

// A goal is never its own Key Result. Asana can return a sub-goal link
// from a goal to itself (a goal relationship whose supporting goal is the
// goal it supports, or the goal in its own sub-goal list): the link is
// skipped and counted in Report.SelfSubgoals, and the goal is written,
// complete, with its other Key Results.
func TestIngester_Sync_selfSubgoalIsSkippedAndCounted(t *testing.T) {
	for _, spec := range []bool{true, false} {
		t.Run(map[bool]string{true: "spec's path", false: "goal relationships"}[spec], func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"},
				asanafake.Goal{GID: "9", Name: "Nine"})
			m.specPath = spec
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				switch {
				case gid != "1":
				case kind == "subgoals" && spec:
					return rawResp(200, `{"data":[{"gid":"1","name":"A"},{"gid":"9","name":"Nine"}],"next_page":null}`), nil
				case kind == "relationships":
					return rawResp(200, `{"data":[`+
						`{"gid":"r1","resource_subtype":"subgoal","supporting_resource":{"gid":"1","resource_type":"goal"}},`+
						`{"gid":"r2","resource_subtype":"subgoal","supporting_resource":{"gid":"9","resource_type":"goal"}}],"next_page":null}`), nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatal(err)
			}
			if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenComplete || e.KeyResults != 1 || e.Err != nil {
				t.Errorf("ada = %+v, want complete with one Key Result", e)
			}
			if rep.SelfSubgoals != 1 {
				t.Errorf("self_subgoals = %d, want 1", rep.SelfSubgoals)
			}
			gs := stored(t, store, "emp-ada")
			if gidsOf(gs) != "1,2" || krGIDs(gs[0]) != "9" || krGIDs(gs[1]) != "" {
				t.Errorf("stored = %s, Key Results of 1: %q; want goal 1 with Key Result 9 only", gidsOf(gs), krGIDs(gs[0]))
			}
		})
	}
}

// A sub-goal the scan never returns is fetched once per sync, however many
// kept goals it supports, and even when their walkers need it at the same
// moment: they share the one answer (a deleted sub-goal's 404 too). The
// fetch is held for a (virtual) second, long enough for every walker to
// ask for it.
func TestIngester_Sync_unscannedSubgoalIsFetchedOncePerSync(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		t.Run(map[bool]string{false: "found", true: "deleted"}[deleted], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ws := []asanafake.Goal{{GID: "99", Name: "Shared", StatusType: "achieved", Unlisted: true}}
				for i := 1; i <= 6; i++ {
					ws = append(ws, asanafake.Goal{GID: fmt.Sprint(i), Name: "G", OwnerGID: "501", SubgoalGIDs: []string{"99"}})
				}
				m := newMock(t, ws...)
				m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
					if kind == "goal" {
						time.Sleep(time.Second)
						if deleted {
							return asanaError(404, "goal: Unknown object: "+gid), nil
						}
					}
					return nil, nil
				}
				store := goals.NewMemoryStore()
				rep, err := runSync(t, m, store, testConfig(), ada)
				if err != nil {
					t.Fatal(err)
				}
				if n := m.count("goal"); n != 1 {
					t.Errorf("GET /goals/{gid} made %d times for one unscanned sub-goal of 6 goals, want 1", n)
				}
				want, krs := "99", 6
				if deleted {
					want, krs = "", 0
				}
				if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenComplete || e.KeyResults != krs {
					t.Errorf("ada = %+v, want complete with %d Key Results", e, krs)
				}
				gs := stored(t, store, "emp-ada")
				if len(gs) != 6 {
					t.Fatalf("stored = %s, want 6 goals", gidsOf(gs))
				}
				for _, g := range gs {
					if krGIDs(g) != want {
						t.Errorf("goal %s: Key Results %q, want %q", g.GID, krGIDs(g), want)
					}
				}
			})
		})
	}
}

// A sync that kept goals but whose probe of the spec's path never got an
// answer (every try failed) tried the spec's path: its report says
// subgoal_source "subgoals", never "none", which means no goal was kept.
func TestIngester_Sync_unansweredProbeReportsTheSpecPath(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == "subgoals" {
			return asanaError(500, "Server Error"), nil
		}
		return nil, nil
	}
	rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Err == nil {
		t.Errorf("ada = %+v, want the failed probe in Error", e)
	}
	if rep.SubgoalPath != "subgoals" {
		t.Errorf("subgoal_source = %q, want \"subgoals\": a goal was kept and its sub-goals asked for", rep.SubgoalPath)
	}
}

// The report names the sub-goal path the sync used: when the spec's path
// answers 404 and the listing of goal relationships then fails, the sync
// used goal relationships, and subgoal_source says so, not "subgoals".
func TestIngester_Sync_failedRelationshipsAfterThe404ReportGoalRelationships(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
	}{
		{"server error", 500},
		{"forbidden", 403},
		{"both paths 404", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"})
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if kind == "relationships" {
					return asanaError(tc.status, "goal relationships failed"), nil
				}
				return nil, nil
			}
			rep, err := runSync(t, m, goals.NewMemoryStore(), testConfig(), ada)
			if err != nil {
				t.Fatal(err)
			}
			if e := employeeReport(t, rep, "emp-ada"); e.Err == nil || e.Written == goals.WrittenComplete {
				t.Errorf("ada = %+v, want the failure in Error, not a complete write", e)
			}
			if m.count("subgoals") == 0 || m.count("relationships") == 0 {
				t.Fatalf("%d subgoals and %d relationships requests: both paths must be tried", m.count("subgoals"), m.count("relationships"))
			}
			if rep.SubgoalPath != goals.PathGoalRelationships {
				t.Errorf("subgoal_source = %q, want %q: the spec's path answered 404, goal relationships were asked",
					rep.SubgoalPath, goals.PathGoalRelationships)
			}
		})
	}
}

// A sub-goal listing without its list keeps the goal's stored Key Results.
func TestIngester_Sync_subgoalAnswerWithoutListKeepsKeyResults(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "Fresh", OwnerGID: "501", SubgoalGIDs: []string{"9"}}, asanafake.Goal{GID: "9", Name: "Nine"})
	m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
		if kind == m.listingKind() {
			return rawResp(200, `{"data":null}`), nil
		}
		return nil, nil
	}
	store := goals.NewMemoryStore()
	seed(t, store, "emp-ada", goals.Goal{GID: "1", Name: "Stored", KeyResults: []goals.KeyResult{{GoalGID: "1", GID: "8", Name: "KR"}}})
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written == goals.WrittenComplete || !strings.Contains(message(e.Err), "malformed") {
		t.Errorf("ada = %+v, want not complete, with the malformed answer named", e)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 1 || krGIDs(gs[0]) != "8" || gs[0].Name != "Stored" {
		t.Errorf("stored = %+v, want goal 1 with its Key Result 8 untouched", gs)
	}
}

// A goal deleted while the sync runs answers 404 on either sub-goal path.
// The employee is written partial; the path, once proven by an earlier
// goal, is not switched on that evidence, and no extra request is spent
// asking the other path.
func TestIngester_Sync_goalDeletedDuringTheWalk(t *testing.T) {
	for _, spec := range []bool{true, false} {
		t.Run(map[bool]string{true: "spec's path", false: "goal relationships"}[spec], func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501", SubgoalGIDs: []string{"9"}}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"}, asanafake.Goal{GID: "9", Name: "Nine"})
			m.specPath = spec
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if gid == "2" && (kind == m.listingKind() || kind == "relationships") {
					return asanaError(404, "goal: Unknown object: 2"), nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			cfg := testConfig()
			cfg.Concurrency = 1 // goal 1 proves the path first
			rep, err := runSync(t, m, store, cfg, ada)
			if err != nil {
				t.Fatal(err)
			}
			e := employeeReport(t, rep, "emp-ada")
			if e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), "no longer in Asana") {
				t.Errorf("ada = %+v, want partial saying goal 2 is gone", e)
			}
			want, subgoals, rels := goals.PathSubgoals, 2, 0
			if !spec {
				want, subgoals, rels = goals.PathGoalRelationships, 1, 2
			}
			if rep.SubgoalPath != want {
				t.Errorf("source = %q, want %q: a deleted goal is no evidence about the path", rep.SubgoalPath, want)
			}
			if n, r := m.count("subgoals"), m.count("relationships"); n != subgoals || r != rels {
				t.Errorf("%d subgoals and %d goal_relationships requests, want %d and %d", n, r, subgoals, rels)
			}
			if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "1" || krGIDs(gs[0]) != "9" {
				t.Errorf("stored = %s", gidsOf(gs))
			}
		})
	}
}

// The first goal probed was deleted: both paths answer 404 for it, which
// says nothing about the path, so the next goal probes again.
func TestIngester_Sync_deletedProbeGoalLeavesThePathOpen(t *testing.T) {
	for _, spec := range []bool{true, false} {
		t.Run(map[bool]string{true: "spec's path", false: "goal relationships"}[spec], func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501", SubgoalGIDs: []string{"9"}}, asanafake.Goal{GID: "9", Name: "Nine"})
			m.specPath = spec
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if gid == "1" && (kind == m.listingKind() || kind == "relationships") {
					return asanaError(404, "goal: Unknown object: 1"), nil
				}
				return nil, nil
			}
			cfg := testConfig()
			cfg.Concurrency = 1
			store := goals.NewMemoryStore()
			rep, err := runSync(t, m, store, cfg, ada)
			if err != nil {
				t.Fatal(err)
			}
			want := map[bool]goals.SubgoalPath{true: goals.PathSubgoals, false: goals.PathGoalRelationships}[spec]
			if rep.SubgoalPath != want {
				t.Errorf("source = %q, want %q", rep.SubgoalPath, want)
			}
			if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "2" || krGIDs(gs[0]) != "9" {
				t.Errorf("stored = %s, want goal 2 with Key Result 9", gidsOf(gs))
			}
			if n := m.count("subgoals"); n != 2 {
				t.Errorf("%d subgoals requests, want 2: one probe per goal until one answers", n)
			}
		})
	}
}

// On the fallback path, a relationship to a sub-goal that no longer exists
// is skipped: the write stays complete.
func TestIngester_Sync_deletedSubgoalOnFallbackIsSkipped(t *testing.T) {
	// Six comes first in the scan, so it is seen before goal 1's walk asks.
	m := newMock(t, asanafake.Goal{GID: "6", Name: "Six"}, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	m.onRequest = relationships(`{"gid":"r1","resource_subtype":"subgoal","supporting_resource":{"gid":"77","resource_type":"goal"}},` +
		`{"gid":"r2","resource_subtype":"subgoal","supporting_resource":{"gid":"6","resource_type":"goal"}}`)
	store := goals.NewMemoryStore()
	rep, err := runSync(t, m, store, testConfig(), ada)
	if err != nil {
		t.Fatal(err)
	}
	if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenComplete {
		t.Errorf("ada = %+v, want complete", e)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 1 || krGIDs(gs[0]) != "6" {
		t.Errorf("stored = %+v, want goal 1 with Key Result 6 only", gs)
	}
	if n := m.count("goal"); n != 1 {
		t.Errorf("GET /goals/{gid} made %d times, want 1 (for the unseen 77)", n)
	}
}

// Relationships that are not sub-goals (supporting work, a project behind
// the subtype) never become Key Results, whatever the server sends.
func TestIngester_Sync_nonSubgoalRelationshipsAreNotKeyResults(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "5", Name: "Five"}, asanafake.Goal{GID: "6", Name: "Six"}, asanafake.Goal{GID: "7", Name: "Seven"})
	m.onRequest = relationships(`{"gid":"r1","resource_subtype":"supporting_work","supporting_resource":{"gid":"5","resource_type":"goal"}},` +
		`{"gid":"r2","resource_subtype":"subgoal","supporting_resource":{"gid":"7","resource_type":"project"}},` +
		`{"gid":"r3","resource_subtype":"subgoal","supporting_resource":{"gid":"6","resource_type":"goal"}}`)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 1 || krGIDs(gs[0]) != "6" {
		t.Errorf("stored = %+v, want Key Result 6 only", gs)
	}
}

// A goal relationship whose supporting resource does not say its type is
// still a sub-goal: Asana leaves resource_type out when it is not asked
// for, and only another type (a project) rules the resource out.
func TestIngester_Sync_subgoalWithoutResourceTypeIsAKeyResult(t *testing.T) {
	m := newMock(t, asanafake.Goal{GID: "6", Name: "Six"}, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"})
	m.onRequest = relationships(`{"gid":"r1","resource_subtype":"subgoal","supporting_resource":{"gid":"6"}}`)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	if gs := stored(t, store, "emp-ada"); len(gs) != 1 || krGIDs(gs[0]) != "6" {
		t.Errorf("stored = %+v, want goal 1 with Key Result 6", gs)
	}
}

// A sub-goal relationship without its supporting resource (or one without a
// GID) names no sub-goal: that goal is not written, nothing is removed, and
// the error says why.
func TestIngester_Sync_relationshipWithoutSupportingResourceFailsThatGoal(t *testing.T) {
	for name, rel := range map[string]string{
		"null":     `{"gid":"r1","resource_subtype":"subgoal","supporting_resource":null}`,
		"no GID":   `{"gid":"r1","resource_subtype":"subgoal","supporting_resource":{"resource_type":"goal"}}`,
		"left out": `{"gid":"r1","resource_subtype":"subgoal"}`,
	} {
		t.Run(name, func(t *testing.T) {
			m := newMock(t, asanafake.Goal{GID: "1", Name: "A", OwnerGID: "501"}, asanafake.Goal{GID: "2", Name: "B", OwnerGID: "501"})
			m.onRequest = func(kind, gid string, req *http.Request) (*http.Response, error) {
				if kind == "relationships" && gid == "1" {
					return rawResp(200, `{"data":[`+rel+`],"next_page":null}`), nil
				}
				return nil, nil
			}
			store := goals.NewMemoryStore()
			seed(t, store, "emp-ada", goals.Goal{GID: "1", Name: "Stored one", Status: status.OnTrack})
			rep, err := runSync(t, m, store, testConfig(), ada)
			if err != nil {
				t.Fatal(err)
			}
			if e := employeeReport(t, rep, "emp-ada"); e.Written != goals.WrittenPartial || !strings.Contains(message(e.Err), "has no supporting resource") {
				t.Errorf("ada = %+v, want partial saying the relationship has no supporting resource", e)
			}
			if gs := stored(t, store, "emp-ada"); gidsOf(gs) != "1,2" || gs[0].Name != "Stored one" {
				t.Errorf("stored = %s (%q), want goal 1 as stored and 2 written", gidsOf(gs), gs[0].Name)
			}
		})
	}
}

// A sub-goal the scan did not return is fetched on its own; its goal status
// field is asked for and mapped too.
func TestIngester_Sync_goalStatusOfSubgoalFetchedAlone(t *testing.T) {
	ws := goalStatusWorkspace()
	for i := range ws {
		if ws[i].GID == "11" {
			ws[i].Unlisted = true
		}
	}
	m := newMock(t, ws...)
	fetched := fetchedGoals(m)
	store := goals.NewMemoryStore()
	if _, err := runSync(t, m, store, testConfig(), ada); err != nil {
		t.Fatal(err)
	}
	checkFetchedAlone(t, fetched(), "11")
	checkGoalStatuses(t, stored(t, store, "emp-ada"))
}
