package admin_test

import (
	"log"
	"net/http"

	"github.com/perfcopilot/asanagoals/goals"
	"github.com/perfcopilot/asanagoals/goals/admin"
)

// requireAdmin stands for the host's own authentication: the pages have
// none of their own.
func requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Host-Admin") != "yes" { // the host's session check
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// A host mounts the pages under a prefix of its admin site, behind its
// own authentication. Here the seams are in memory; a host passes its
// database (a *sqlstore.Store implements all four) and its employees.
func Example() {
	pages, err := admin.New(admin.Config{
		Settings:  &admin.MemorySettings{},
		Directory: admin.NewMemoryDirectory([]goals.Employee{{ID: "emp-001", Name: "Ada Lovelace", Email: "ada@acme.example"}}),
		History:   &admin.MemoryHistory{},
		Store:     goals.NewMemoryStore(),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/asana/", requireAdmin(http.StripPrefix("/admin/asana", pages)))
	_ = mux // http.ListenAndServe(addr, mux) in the host
	// Output:
}
