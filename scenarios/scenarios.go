// Package scenarios defines what a poolbench run does: the workload, the
// server's behaviour and the client modes to compare, and the built-in
// catalog of named scenarios.
package scenarios

import (
	"fmt"
	"strings"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// Scenario is one named workload.
type Scenario struct {
	// Name identifies the scenario in the catalog and in reports.
	Name string
	// Description says in one line what the scenario shows.
	Description string
	// Requests is N per mode (closed model).
	Requests int
	// Concurrency is C, the number of workers.
	Concurrency int
	// Duration bounds each mode; 0: Requests rules.
	Duration time.Duration
	// Modes are the client strategies to compare; the first is the baseline.
	Modes []execution.Strategy
	// Server is the mock's configuration.
	Server mockserver.Config
	// HTTP2 lets clients negotiate HTTP/2 (the server must offer it).
	HTTP2 bool
	// Thresholds are the checks `poolbench gate` applies to a run of the
	// scenario (see package gate for the grammar).
	Thresholds []string
}

// Default is the name of the scenario `poolbench` runs with no arguments.
const Default = "quick"

// Catalog returns the built-in scenarios, in the order they are listed.
func Catalog() []Scenario {
	return []Scenario{
		{
			Name:        "quick",
			Description: "2,000 requests at concurrency 8, per-request against singleton clients, on loopback",
			Requests:    2000,
			Concurrency: 8,
			Modes:       []execution.Strategy{execution.PerRequest, execution.Singleton},
		},
		{
			Name:        "churn",
			Description: "a shared client on Go's default pool (2 idle per host) at concurrency 32 churns connections",
			Requests:    4000,
			Concurrency: 32,
			Modes:       []execution.Strategy{execution.SingletonDefaultPool, execution.Singleton},
		},
	}
}

// Lookup returns the catalog scenario called name.
func Lookup(name string) (Scenario, error) {
	var names []string
	for _, s := range Catalog() {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(names, ", "))
}
