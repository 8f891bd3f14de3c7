package asana

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
)

// The workspace scan asks for its next page while the caller still reads
// the current one: the caller gets page 1's goal while the answer to page
// 2 is held back until it has it. A scan that fetched page 2 before
// handing over page 1's goals would wait for that answer first.
func TestScanAsksForTheNextPageWhileThePageIsRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		holding := make(chan struct{}) // closed when the caller holds goal 1
		asked := make(chan struct{})   // closed when page 2 is asked for
		early := false                 // page 2 answered before the caller held goal 1
		mock := httpmock.NewMockTransport()
		mock.RegisterResponder("GET", DefaultBaseURL+"/goals", func(req *http.Request) (*http.Response, error) {
			if req.URL.Query().Get("offset") == "" {
				return httpmock.NewStringResponse(200, `{"data":[{"gid":"1","name":"A"}],"next_page":{"offset":"p2"}}`), nil
			}
			close(asked)
			select {
			case <-holding:
			case <-time.After(time.Minute):
				early = true
			}
			return httpmock.NewStringResponse(200, `{"data":[{"gid":"2","name":"B"}],"next_page":null}`), nil
		})
		c, err := NewClient("0/prefetchtesttoken", WithHTTPClient(&http.Client{Transport: mock}))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for g, err := range c.Goals(context.Background(), ListGoalsOptions{Workspace: "1"}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if g.GID == "1" {
				close(holding)
				<-asked
			}
		}
		if early {
			t.Error("page 2 was answered before the caller had page 1's goal: it was not asked for while page 1 was read")
		}
		if n != 2 {
			t.Errorf("%d goals, want 2", n)
		}
	})
}
