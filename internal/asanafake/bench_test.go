package asanafake

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// discardWriter is a minimal ResponseWriter, so the benchmark measures the
// server and not a recorder.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}

// pageRequest returns a request for the middle 100-goal page of ws, with the
// fields the ingester asks for.
func pageRequest(b *testing.B, srv *Server, ws *Workspace) *http.Request {
	b.Helper()
	q := url.Values{
		"workspace":  {ws.GID},
		"limit":      {"100"},
		"opt_fields": {"name,html_notes,due_on,start_on,owner,owner.name,current_status_update.status_type,metric.current_number_value"},
	}
	key := "goals\x00" + ws.GID
	q.Set("offset", srv.encodeOffset(len(ws.Goals)/2, key))
	req := httptest.NewRequest(http.MethodGet, "/goals?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

// BenchmarkListGoalsPage serves one 100-goal page with opt_fields from a
// 10,000-goal workspace.
func BenchmarkListGoalsPage(b *testing.B) {
	ws := Generate(1, DefaultGenConfig(10_000, 200))
	srv := NewServer(ws, Options{Tokens: map[string]string{testToken: ws.Users[0].GID}})
	req := pageRequest(b, srv, ws)
	w := &discardWriter{h: http.Header{}}
	srv.ServeHTTP(w, req)
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
	b.SetBytes(int64(w.n))
	b.ReportAllocs()
	for b.Loop() {
		w.n = 0
		clear(w.h)
		srv.ServeHTTP(w, req)
	}
}

// BenchmarkListGoalsPageParallel is the same from many goroutines, with the
// limiters on (as benchmarks of the client run it).
func BenchmarkListGoalsPageParallel(b *testing.B) {
	ws := Generate(1, DefaultGenConfig(10_000, 200))
	srv := NewServer(ws, Options{
		Tokens:            map[string]string{testToken: ws.Users[0].GID},
		RequestsPerMinute: 1 << 30,
		MaxInFlight:       1 << 20,
	})
	req := pageRequest(b, srv, ws)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			srv.ServeHTTP(w, req)
			if w.status != 200 {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}
