package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// world is one of the large side-by-side measurements: a whole sync
// against a fake Asana that counts its quota with a token bucket one second
// deep (asanafake.SecondBucket), with 20 ms of latency, served by another
// process (see TestMain), so that this process's CPU time is the client's.
type world struct {
	name     string
	goals    int
	users    int
	aboveCap int  // users who own more than 200 goals
	spec     bool // the spec's sub-goal path; else today's goal relationships
	seed     int64
	rate     int // the fake's quota, per second (its bucket holds as many)
	client   int // the client's configured rate, per minute
}

// The worlds. large and large-live: 10,000 goals for 300 employees, 60,000
// requests a minute (a bucket of 1,000 refilled at 1,000 a second), the
// client configured at that quota (goalsync -rate 60000), through the
// spec's sub-goal path and through goal relationships. strict: a bucket of
// 10 at 10 a second, the client configured at ten times that (-rate 6000).
var worlds = map[string]world{
	"large":      {name: "large", goals: 10_000, users: 300, aboveCap: 3, spec: true, seed: 42, rate: 1000, client: 60_000},
	"large-live": {name: "large-live", goals: 10_000, users: 300, aboveCap: 3, seed: 42, rate: 1000, client: 60_000},
	"strict":     {name: "strict", goals: 400, users: 12, aboveCap: 1, seed: 17, rate: 10, client: 6000},
}

const worldLatency = 20 * time.Millisecond

// workspace generates the world's workspace, in the shape of
// benchWorkspace's (10% ownerless goals, up to 5 sub-goals, a third of the
// ownerless sub-goals left out of the workspace scan), and its employees,
// every user mapped.
func (w world) workspace() (*asanafake.Workspace, []goals.Employee) {
	cfg := asanafake.DefaultGenConfig(w.goals, w.users)
	cfg.OwnerlessShare = 0.10
	cfg.OwnersAboveCap = w.aboveCap
	cfg.MaxSubgoals = 5
	cfg.UnlistedShare = 0.3
	ws := asanafake.Generate(w.seed, cfg)
	return ws, employeesFor(ws, 0)
}

// options are the fake's options.
func (w world) options(ws *asanafake.Workspace) asanafake.Options {
	return asanafake.Options{
		Tokens:            map[string]string{token: ws.Users[0].GID},
		Latency:           worldLatency,
		RequestsPerMinute: w.rate * 60,
		RateModel:         asanafake.SecondBucket,
		MaxInFlight:       asana.MaxInFlight,
		SpecSubgoalPath:   w.spec,
	}
}

// floor is the physical floor of a sync sending mr: the larger of its
// requests at the quota and the chain of its sequential page fetches.
func (w world) floor(mr minimum) time.Duration {
	return max(time.Duration(float64(mr.total())/float64(w.rate)*float64(time.Second)), time.Duration(mr.pages)*worldLatency)
}

// fakeWorldEnv, set in the test binary's environment, makes it serve that
// world's fake instead of running tests (see serveWorld).
const fakeWorldEnv = "ASANAGOALS_E2E_FAKE_WORLD"

// gateLogEnv, set to anything, has the worlds' clients log their rate-limit
// decisions (429s, slow-downs, climbs) to standard error.
const gateLogEnv = "ASANAGOALS_E2E_GATE_LOG"

// TestMain makes the test binary serve one world's fake instead of running
// the tests when ASANAGOALS_E2E_FAKE_WORLD names it, so a world's server
// runs in a process of its own (see serveWorld); otherwise it runs the
// tests.
func TestMain(m *testing.M) {
	if name := os.Getenv(fakeWorldEnv); name != "" {
		if err := serveWorld(name, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeReport is what a fake process says when it ends: its counters, and
// the GET /goals/{gid} it answered for goals the workspace scan returns
// (a sync needs none: their details come from the scan).
type fakeReport struct {
	Stats          asanafake.Stats
	ScannedGoalGet int64
}

// scannedGets counts GET /goals/{gid} of goals the workspace scan returns.
type scannedGets struct {
	unlisted map[string]bool
	mu       sync.Mutex
	n        int64
}

func newScannedGets(ws *asanafake.Workspace) *scannedGets {
	c := &scannedGets{unlisted: map[string]bool{}}
	for _, g := range ws.Goals {
		if g.Unlisted {
			c.unlisted[g.GID] = true
		}
	}
	return c
}

// intercept is an asanafake Options.Intercept that counts and lets the
// fake answer.
func (c *scannedGets) intercept(_ http.ResponseWriter, r *http.Request) bool {
	if gid, ok := strings.CutPrefix(r.URL.Path, "/goals/"); ok && asana.IsGID(gid) && !c.unlisted[gid] {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
	return false
}

// serveWorld serves the named world's fake on loopback, writes its URL as
// one line to out, serves until in ends, then writes a fakeReport as JSON.
func serveWorld(name string, in io.Reader, out io.Writer) error {
	w, ok := worlds[name]
	if !ok {
		return fmt.Errorf("no world %q", name)
	}
	ws, _ := w.workspace()
	opts := w.options(ws)
	gets := newScannedGets(ws)
	opts.Intercept = gets.intercept
	fake := asanafake.NewServer(ws, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake}
	go srv.Serve(ln)
	fmt.Fprintf(out, "http://%s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, in)
	_ = srv.Close()
	gets.mu.Lock()
	defer gets.mu.Unlock()
	return json.NewEncoder(out).Encode(fakeReport{Stats: fake.Stats(), ScannedGoalGet: gets.n})
}

// fakeProcess is a world's fake served by a child process: this test
// binary run again with fakeWorldEnv set.
type fakeProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	URL   string
}

func startFakeProcess(tb testing.TB, name string) *fakeProcess {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fakeWorldEnv+"="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &fakeProcess{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		tb.Fatalf("fake process: %v", err)
	}
	p.URL = strings.TrimSpace(line)
	return p
}

// stop ends the fake process and returns its report and CPU time.
func (p *fakeProcess) stop(tb testing.TB) (fakeReport, time.Duration) {
	tb.Helper()
	_ = p.stdin.Close()
	var rep fakeReport
	decErr := json.NewDecoder(p.out).Decode(&rep)
	if err := p.cmd.Wait(); err != nil {
		tb.Fatalf("fake process: %v", err)
	}
	if decErr != nil {
		tb.Fatalf("fake process's report: %v", decErr)
	}
	return rep, p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// cpuTime is this process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSyncLarge syncs the large worlds: 10,000 goals for 300
// employees against a fake with a one-second-deep bucket of 60,000
// requests a minute, the client configured at that quota, through the
// spec's sub-goal path (world=large) and through today's goal
// relationships (world=large-live). The fake runs in another process.
//
//	go test -run '^$' -bench SyncLarge -benchtime 1x ./internal/e2e/
//
// It reports wall/floor, requests/sync against min-requests/sync,
// scanned-goal-gets/sync (GET /goals/{gid} of goals the scan returns: none
// is needed), 429s, the client's CPU time (cpu-s/sync: this process, the
// benchmark's own work included) and the fake's (fake-cpu-s/sync), and
// what the sync allocated (allocs/sync, alloc-MiB/sync).
// Profiles (-cpuprofile, -blockprofile) are of the client alone.
//
// Targets: requests == minimum, no GET of a scanned goal, no 429,
// wall/floor <= 1.03.
func BenchmarkSyncLarge(b *testing.B) {
	for _, name := range []string{"large", "large-live"} {
		b.Run("world="+name, func(b *testing.B) { benchWorld(b, worlds[name]) })
	}
}

// benchWorld runs b.N syncs of w, each against a fake process of its own
// (a full bucket, fresh counters), and reports them.
func benchWorld(b *testing.B, w world) {
	b.StopTimer()
	ws, emps := w.workspace()
	mr := minimumRequests(ws, emps, w.spec)
	floor := w.floor(mr)
	var requests, limited, scannedGets int64
	var wall, cpu, fakeCPU time.Duration
	var allocs, allocBytes uint64
	opts := []asana.Option{asana.WithRequestsPerMinute(w.client), asana.WithMaxRetries(10)}
	if os.Getenv(gateLogEnv) != "" {
		opts = append(opts, asana.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	}
	for range b.N {
		fake := startFakeProcess(b, w.name)
		client, err := asana.NewClient(token, append([]asana.Option{asana.WithBaseURL(fake.URL)}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		store := goals.NewMemoryStore()
		ing := goals.NewIngester(client, store, goals.Config{WorkspaceGID: ws.GID, Now: func() time.Time { return syncedAt }})
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		cpu0 := cpuTime()
		b.StartTimer()
		start := time.Now()
		rep, err := ing.Sync(context.Background(), emps)
		wall += time.Since(start)
		b.StopTimer()
		cpu += cpuTime() - cpu0
		runtime.ReadMemStats(&m1)
		allocs += m1.Mallocs - m0.Mallocs
		allocBytes += m1.TotalAlloc - m0.TotalAlloc
		client.CloseIdleConnections()
		fr, fcpu := fake.stop(b)
		fakeCPU += fcpu
		if err != nil {
			b.Fatalf("Sync: %v", err)
		}
		if f := rep.Failed(); len(f) > 0 {
			b.Fatalf("%d employees failed, first: %+v", len(f), f[0])
		}
		checkStore(b, ws, emps, rep, store)
		requests += fr.Stats.Requests
		limited += fr.Stats.RateLimited
		scannedGets += fr.ScannedGoalGet
	}
	n := float64(b.N)
	b.ReportMetric(float64(requests)/n, "requests/sync")
	b.ReportMetric(float64(mr.total()), "min-requests/sync")
	b.ReportMetric(float64(scannedGets)/n, "scanned-goal-gets/sync")
	b.ReportMetric(float64(limited)/n, "429s/sync")
	b.ReportMetric(float64(limited)/wall.Minutes(), "429s/min")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(wall.Seconds()/n/floor.Seconds(), "wall/floor")
	b.ReportMetric(cpu.Seconds()/n, "cpu-s/sync")
	b.ReportMetric(fakeCPU.Seconds()/n, "fake-cpu-s/sync")
	b.ReportMetric(float64(allocs)/n, "allocs/sync")
	b.ReportMetric(float64(allocBytes)/n/(1<<20), "alloc-MiB/sync")
}

// BenchmarkSyncLargeCPU is the CPU side of BenchmarkSyncLarge, steadier to
// compare than cpu-s/sync on a shared machine: a sync of each large world
// with no rate limit and no latency, served in this process by the fake's
// answers recorded in a first, untimed sync and replayed byte for byte (see
// replay), so that the time per sync is this process's work: the client's,
// and net/http's server side of the replay. It reports ns/op, the process's
// CPU time (cpu-s/op), allocs/op and B/op per sync.
//
//	go test -run '^$' -bench SyncLargeCPU -count 5 ./internal/e2e/
func BenchmarkSyncLargeCPU(b *testing.B) {
	for _, name := range []string{"large", "large-live"} {
		b.Run("world="+name, func(b *testing.B) {
			w := worlds[name]
			ws, emps := w.workspace()
			opts := w.options(ws)
			opts.Latency, opts.RequestsPerMinute, opts.MaxInFlight = 0, 0, 0
			rp := &replay{next: asanafake.NewServer(ws, opts), answers: map[string]recorded{}}
			srv := httptest.NewServer(rp)
			defer srv.Close()
			sync := func() {
				client, err := asana.NewClient(token, asana.WithBaseURL(srv.URL), asana.WithRequestsPerMinute(60_000_000))
				if err != nil {
					b.Fatal(err)
				}
				ing := goals.NewIngester(client, goals.NewMemoryStore(), goals.Config{WorkspaceGID: ws.GID, Now: func() time.Time { return syncedAt }})
				rep, err := ing.Sync(context.Background(), emps)
				if err != nil || len(rep.Failed()) > 0 {
					b.Fatalf("Sync: %v, %d employees failed", err, len(rep.Failed()))
				}
				client.CloseIdleConnections()
			}
			sync() // records the fake's answers
			rp.replaying.Store(true)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				sync()
			}
			b.StopTimer()
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			// The probe of the spec's path is sent for the goal of whichever
			// walker asks first, not always the one recorded: one request a
			// sync may be the fake's to answer.
			if n := rp.misses.Load(); n > int64(b.N) {
				b.Fatalf("%d requests of %d measured syncs were not among the recorded ones", n, b.N)
			}
		})
	}
}
