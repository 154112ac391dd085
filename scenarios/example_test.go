package scenarios_test

import (
	"fmt"

	"github.com/poolbench/poolbench/scenarios"
)

// Parse reads a scenario file's bytes; fields left out take their defaults.
func ExampleParse() {
	sc, err := scenarios.Parse("limits.yaml", []byte(`
workload:
  requests: 500
  concurrency: 4
server:
  max_requests_per_conn: 100
modes: [singleton]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sc.Name)
	fmt.Println(sc.Summary())
	// Output:
	// limits
	// closed n=500 c=4; http1, tls 1.3; singleton
}

// A bad file gives one line per problem, each with file:line:col.
func ExampleParse_errors() {
	_, err := scenarios.Parse("bad.yaml", []byte(`
workload:
  rate: 100
modes: [singleton, pooled]
`))
	fmt.Println(err)
	// Output:
	// bad.yaml:3:9: workload.rate: 100: a rate is for the open model; set workload.model: open, or drop the rate
	// bad.yaml:4:20: modes[1]: unknown client mode "pooled" (known: per-request, singleton, singleton-default-pool, per-request-leaky, per-request-resume, hey, hey-no-keepalive)
}

// Configs turns a scenario into the mock's and the harness's settings; the
// caller adds the target once the server runs.
func ExampleScenario_Configs() {
	sc, err := scenarios.Lookup("h2")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, run := sc.Configs()
	fmt.Println(srv.HTTP2, run.HTTP2, run.Requests, run.Concurrency, run.Modes)
	// Output:
	// true true 2000 8 [per-request singleton]
}
