package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/gate"
	"github.com/poolbench/poolbench/harness"
)

// Default is the name of the scenario `poolbench` runs with no arguments.
const Default = "quick"

var (
	perRequest = string(execution.PerRequest)
	singleton  = string(execution.Singleton)
)

// Catalog returns the built-in scenarios, in the order they are listed,
// with their defaults set. docs/scenarios.md says what each shows and what
// result to expect.
func Catalog() []Scenario {
	cat := []Scenario{
		{
			Name:        "quick",
			Description: "2,000 requests at concurrency 8, per-request against singleton clients, on loopback",
			Workload:    Workload{Requests: 2000, Concurrency: 8},
			Modes:       []string{perRequest, singleton},
			// Exact counts, so that a gate on them never flakes.
			Thresholds: slices.Clone(gate.DefaultThresholds),
		},
		{
			Name:        "steady",
			Description: "open model: 100 requests/s for 10s on a fixed schedule against a 5ms service; latency from the intended send time",
			Workload:    Workload{Model: Open, Rate: 100, Duration: 10 * time.Second, Concurrency: 16},
			Server:      Server{Latency: Latency{Fixed: 5 * time.Millisecond}},
			Modes:       []string{perRequest, singleton},
			Thresholds: []string{
				"per-request.errors == 0",
				"singleton.errors == 0",
				"per-request.dials == per-request.requests",
				"singleton.dials <= concurrency + singleton.closed_after_use",
			},
		},
		{
			Name:        "burst",
			Description: "64 workers start at once against a 5ms service: per-request pays 2,048 handshakes, the singleton's pool opens 64 connections and keeps them",
			Workload:    Workload{Requests: 2048, Concurrency: 64},
			Server:      Server{Latency: Latency{Fixed: 5 * time.Millisecond}},
			Modes:       []string{perRequest, singleton},
			Thresholds: []string{
				"per-request.dials == requests",
				"singleton.dials <= concurrency + singleton.closed_after_use",
				"singleton.errors == 0",
			},
		},
		{
			Name:        "wan",
			Description: "25ms round trip (emulated on the mock's listener): a new connection costs TCP + TLS round trips on every per-request call",
			Workload:    Workload{Requests: 400, Concurrency: 8},
			Network:     Network{RTT: 25 * time.Millisecond},
			Modes:       []string{perRequest, singleton},
			Thresholds: []string{
				"per-request.dials == requests",
				"singleton.dials <= concurrency + singleton.closed_after_use",
			},
		},
		{
			Name:        "churn",
			Description: "a shared client on Go's default pool (2 idle per host) at concurrency 32 churns connections",
			Workload:    Workload{Requests: 4000, Concurrency: 32},
			Modes:       []string{string(execution.SingletonDefaultPool), singleton},
			Thresholds:  []string{"singleton.dials <= concurrency + singleton.closed_after_use"},
		},
		{
			Name:        "server-limits",
			Description: "the server closes a connection after 100 requests and after 1s idle: the singleton re-dials every 100 requests per connection",
			Workload:    Workload{Requests: 2000, Concurrency: 8},
			Server:      Server{MaxRequestsPerConn: 100, IdleTimeout: time.Second},
			Modes:       []string{perRequest, singleton},
			Thresholds:  []string{"per-request.dials == requests", "singleton.errors == 0"},
		},
		{
			Name:        "faults",
			Description: "1% 500s, 1% 429s, 0.5% each of resets, slow bodies and responses cut mid-body: every failure counted by kind, nothing lost",
			Workload:    Workload{Requests: 2000, Concurrency: 8},
			Server: Server{Faults: Faults{
				ServerErrorPercent:      1,
				TooManyRequestsPercent:  1,
				RetryAfter:              time.Second,
				ResetPercent:            0.5,
				SlowBodyPercent:         0.5,
				SlowBodyDelay:           200 * time.Millisecond,
				CloseMidResponsePercent: 0.5,
			}},
			Modes: []string{perRequest, singleton},
		},
		{
			Name:        "h2",
			Description: "HTTP/2: the singleton multiplexes all 8 workers over one connection",
			Workload:    Workload{Requests: 2000, Concurrency: 8},
			Protocol:    Protocol{HTTP: HTTP2},
			Modes:       []string{perRequest, singleton},
			Thresholds:  []string{"per-request.dials == requests", "singleton.dials == 1", "singleton.errors == 0"},
		},
		{
			Name:        "tls12",
			Description: "TLS 1.2: full handshakes per request, resumed sessions (a shared session cache) and a pooled singleton side by side",
			Workload:    Workload{Requests: 2000, Concurrency: 8},
			Protocol:    Protocol{TLS: TLS12},
			Modes:       []string{perRequest, string(execution.PerRequestResume), singleton},
			Thresholds:  []string{"per-request.dials == requests", "per-request-resume.dials == requests", "singleton.dials <= concurrency + singleton.closed_after_use"},
		},
		{
			Name:        "strategies",
			Description: "every client strategy side by side: per-request, singleton, default pool, leaky, resumed TLS",
			Workload:    Workload{Requests: 1000, Concurrency: 8},
			Modes: []string{perRequest, singleton, string(execution.SingletonDefaultPool),
				string(execution.PerRequestLeaky), string(execution.PerRequestResume)},
		},
		{
			Name:        "reference",
			Description: "our clients next to hey (github.com/rakyll/hey) driving the same mock: per-request against hey without keep-alives, singleton against hey",
			Workload:    Workload{Requests: 1000, Concurrency: 8},
			Modes:       []string{perRequest, harness.ModeHeyNoKeepAlive, singleton, harness.ModeHey},
			Thresholds: []string{
				"per-request.dials == requests",
				"hey-no-keepalive.dials == requests",
				"singleton.dials <= concurrency + singleton.closed_after_use",
			},
		},
	}
	for i := range cat {
		cat[i].SetDefaults()
	}
	return cat
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
	return Scenario{}, fmt.Errorf("unknown scenario %q (known: %s; or a .yaml file)", name, strings.Join(names, ", "))
}
