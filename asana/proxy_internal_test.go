package asana

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A proxy that refuses CONNECT (HTTPS_PROXY answering 403) is named as the
// proxy, once: not Asana's 403, not retried five times.
func TestProxyRefusingConnectIsNamedAndNotRetried(t *testing.T) {
	var connects atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			connects.Add(1)
		}
		http.Error(w, "blocked by policy", http.StatusForbidden)
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	pu.User = url.UserPassword("proxyuser", "proxy-secret")
	tr := pooledTransport(MaxInFlight).(*http.Transport)
	tr.Proxy = http.ProxyURL(pu)
	const tok = "0/proxytesttoken0123456789abcdef"
	c, err := NewClient(tok, WithBaseURL("https://asana.invalid/api/1.0"), WithHTTPClient(&http.Client{Transport: tr}),
		WithMaxRetries(4), WithRetryWait(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background())
	var pe *ProxyError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "the proxy "+proxy.URL+" refused the connection to Asana: 403 Forbidden") {
		t.Fatalf("err = %v, want the proxy named as refusing", err)
	}
	if errors.Is(err, ErrForbidden) {
		t.Errorf("err = %v reads as Asana's 403", err)
	}
	if n := connects.Load(); n != 1 {
		t.Errorf("%d CONNECTs, want 1: a refusing proxy is not retried", n)
	}
	if strings.Contains(err.Error(), "proxy-secret") || strings.Contains(err.Error(), "proxyuser") {
		t.Errorf("err = %v names the proxy's credentials", err)
	}
}

// A GID that is not Asana's (a '/', a space, letters, too long) is refused
// before any request, so no path is built from it, escaped once or twice.
func TestGIDsAreCheckedBeforeAnyRequest(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c, err := NewClient("0/gidtesttoken", WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, gid := range []string{"12/../34", "12 34", "1a", "", " 12", strings.Repeat("1", MaxGIDDigits+1)} {
		_, err1 := c.Goal(ctx, gid)
		_, err2 := c.GoalSummary(ctx, gid)
		_, err3 := c.Subgoals(ctx, gid)
		_, err4 := c.GoalRelationships(ctx, gid, SubtypeSubgoal)
		for i, err := range []error{err1, err2, err3, err4} {
			if err == nil || !strings.Contains(err.Error(), "is not an Asana GID") {
				t.Errorf("call %d with GID %q: err = %v, want it refused as no Asana GID", i, gid, err)
			}
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent for GIDs that are not Asana's", n)
	}
	if !IsGID("1205551234567890") || !IsGID(strings.Repeat("9", MaxGIDDigits)) {
		t.Error("a real GID is refused")
	}
}
