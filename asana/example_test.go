package asana_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/perfcopilot/asanagoals/asana"
)

// A stand-in for Asana on loopback, so the example runs anywhere. It is
// written out here, not the internal/asanafake server the tests use for
// behaviour: an example is code a reader copies, and a program outside this
// module cannot import an internal package.
func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /goals", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "" {
			fmt.Fprint(w, `{"data":[{"gid":"1","name":"Ship v2","owner":{"gid":"7","name":"Ada"},
				"current_status_update":{"status_type":"on_track"}}],"next_page":{"offset":"abc"}}`)
			return
		}
		fmt.Fprint(w, `{"data":[{"gid":"2","name":"Hire two engineers","owner":null,
			"current_status_update":null}],"next_page":null}`)
	})
	mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"message":"Not Authorized"}]}`)
	})
	return httptest.NewServer(mux)
}

func ExampleClient_Goals() {
	srv := exampleServer()
	defer srv.Close()

	client, err := asana.NewClient("my-personal-access-token", asana.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for goal, err := range client.Goals(ctx, asana.ListGoalsOptions{Workspace: "1001"}) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		owner := "(no owner)"
		if goal.Owner != nil {
			owner = goal.Owner.Name
		}
		fmt.Printf("%s %q owner=%s status=%q\n", goal.GID, goal.Name, owner, goal.StatusType())
	}
	fmt.Println("requests:", client.Stats().Requests)
	// Output:
	// 1 "Ship v2" owner=Ada status="on_track"
	// 2 "Hire two engineers" owner=(no owner) status=""
	// requests: 2
}

func ExampleError() {
	srv := exampleServer()
	defer srv.Close()

	client, _ := asana.NewClient("revoked-token", asana.WithBaseURL(srv.URL))
	_, err := client.Me(context.Background())
	fmt.Println(err)
	fmt.Println("unauthorized:", errors.Is(err, asana.ErrUnauthorized))
	// Output:
	// asana: GET /users/me: 401 Unauthorized (unauthorized: the access token is wrong or revoked): Not Authorized
	// unauthorized: true
}
