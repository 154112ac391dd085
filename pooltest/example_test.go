package pooltest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/poolbench/poolbench/mockserver"
	"github.com/poolbench/poolbench/pooltest"
)

// A shared client whose pool keeps a connection per goroutine opens at
// most Concurrency connections for all its requests. In a test, call
// pooltest.NewServer(t) and pooltest.RequireReuse(t, rep, pooltest.Expect{})
// instead of the explicit server and CheckReuse used here.
func Example() {
	srv, err := mockserver.NewServer(mockserver.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// The client under test: shared, its pool sized and capped for 4
	// goroutines, and trusting the mock's CA.
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     srv.ClientTLSConfig(),
		MaxIdleConnsPerHost: 4,
		MaxConnsPerHost:     4,
	}}
	rep, err := pooltest.RunClient(context.Background(), srv, client, pooltest.Options{Requests: 100, Concurrency: 4})
	if err != nil {
		log.Fatal(err)
	}
	v, err := pooltest.CheckReuse(rep, pooltest.Expect{})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range v.Checks {
		fmt.Println(c.Status(), c.Expr)
	}
	fmt.Println(v.Summary())
	// Output:
	// PASS client.errors == 0
	// PASS client.server.requests == client.requests
	// PASS client.server.connections <= client.dials
	// PASS client.dials <= concurrency
	// PASS client.tls_handshakes <= concurrency
	// PASS: 5 of 5 checks passed
}
