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
func TestPooledTransport_proxyRefusingConnectIsNamedAndNotRetried(t *testing.T) {
	// A real proxy on loopback, not a mock transport: the refusal comes
	// through net/http's CONNECT handshake (OnProxyConnectResponse), which
	// only a socket goes through.
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
