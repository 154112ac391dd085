package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/harness"
)

// Scenario is one workload: what load to send, over what network, to a
// server that behaves how, over which protocol, with which client modes, and
// what a gate must find in the result. Its YAML form has the same shape (see
// the package documentation and docs/scenarios.md); a zero field takes the
// default documented on it.
type Scenario struct {
	// Name identifies the scenario in the catalog and in reports. A file
	// without a name is named after the file (its base name without the
	// extension).
	Name string `yaml:"name"`
	// Description says in one line what the scenario shows.
	Description string `yaml:"description,omitempty"`
	// Workload is the load: how many requests, how fast, how concurrent.
	Workload Workload `yaml:"workload"`
	// Network is what the path between client and server costs.
	Network Network `yaml:"network,omitempty"`
	// Server is how the mock server behaves.
	Server Server `yaml:"server,omitempty"`
	// Protocol is the HTTP and TLS version spoken.
	Protocol Protocol `yaml:"protocol,omitempty"`
	// Modes are the client modes to compare, in order; the first is the
	// baseline. Each is an execution strategy (execution.Strategies) or a
	// reference mode (ReferenceModes). Default DefaultModes.
	Modes []string `yaml:"modes"`
	// Thresholds are the gate's checks, e.g. "singleton.dials <=
	// concurrency". They are evaluated by the gate, not here; this package
	// only carries them.
	Thresholds []string `yaml:"thresholds,omitempty"`
}

// The workload models.
const (
	// Closed is the closed model: Concurrency workers, each sending its next
	// request when the previous one is answered.
	Closed = "closed"
	// Open is the open model: Rate requests per second on a fixed schedule
	// whatever the responses, by at most Concurrency senders.
	Open = "open"
)

// Workload is the load a scenario sends to each mode.
type Workload struct {
	// Model is Closed (the default) or Open.
	Model string `yaml:"model,omitempty"`
	// Requests is N, the number of requests per mode. With Duration too,
	// the mode stops at whichever comes first. Default DefaultRequests
	// when neither Requests nor Duration is given.
	Requests int `yaml:"requests,omitempty"`
	// Concurrency is C: the number of workers of the closed model, the
	// most requests in flight of the open model. Default
	// DefaultConcurrency.
	Concurrency int `yaml:"concurrency,omitempty"`
	// Duration bounds each mode's sending time; 0: Requests rules.
	Duration time.Duration `yaml:"duration,omitempty"`
	// Rate is the open model's send rate, requests per second; it is an
	// error in the closed model.
	Rate float64 `yaml:"rate,omitempty"`
	// Warmup sends requests for this long before each mode's measured
	// phase, through the same client, and leaves them out of the results
	// (harness.Config.Warmup): the mode is then measured on a warm pool.
	// 0 (the default): every mode starts cold, which is what the refactor's
	// claim is about.
	Warmup time.Duration `yaml:"warmup,omitempty"`
}

// Network is the emulated path between client and server.
type Network struct {
	// RTT is the round-trip time the mock's listener adds, so one round
	// trip costs RTT (e.g. 25ms for a WAN). 0: loopback as it is.
	RTT time.Duration `yaml:"rtt,omitempty"`
}

// Server is how the mock server behaves.
type Server struct {
	// Latency is the service time of every execute request. Default:
	// none.
	Latency Latency `yaml:"latency,omitempty"`
	// IdleTimeout closes a keep-alive connection idle for longer. 0:
	// never.
	IdleTimeout time.Duration `yaml:"idle_timeout,omitempty"`
	// MaxRequestsPerConn closes an HTTP/1.1 connection after it has served
	// that many requests (the last answer says "Connection: close"). 0: no
	// limit. The mock enforces it on HTTP/1.1 only.
	MaxRequestsPerConn int `yaml:"max_requests_per_conn,omitempty"`
	// Faults is the share of requests that fail, by kind.
	Faults Faults `yaml:"faults,omitempty"`
	// Seed makes the latency samples reproducible. Default 0.
	Seed uint64 `yaml:"seed,omitempty"`
}

// The latency models.
const (
	LatencyFixed     = "fixed"
	LatencyUniform   = "uniform"
	LatencyLognormal = "lognormal"
)

// Latency is the mock's service-time model.
type Latency struct {
	// Model is LatencyFixed (the default), LatencyUniform or
	// LatencyLognormal.
	Model string `yaml:"model,omitempty"`
	// Fixed is the service time of the fixed model.
	Fixed time.Duration `yaml:"fixed,omitempty"`
	// Min and Max bound the uniform model.
	Min time.Duration `yaml:"min,omitempty"`
	Max time.Duration `yaml:"max,omitempty"`
	// Median and Sigma shape the lognormal model: exp(N(ln Median, Sigma)).
	Median time.Duration `yaml:"median,omitempty"`
	Sigma  float64       `yaml:"sigma,omitempty"`
}

// Faults gives, for each kind, the percentage (0..100) of requests that get
// it; they add up to at most 100. Which requests get a fault is
// deterministic (mockserver.Faults.Pick), so a run's counts are exact.
type Faults struct {
	// ServerErrorPercent get 500 with a JSON error body.
	ServerErrorPercent float64 `yaml:"server_error_percent,omitempty"`
	// TooManyRequestsPercent get 429 with a Retry-After of RetryAfter.
	TooManyRequestsPercent float64 `yaml:"too_many_requests_percent,omitempty"`
	// RetryAfter is the 429 answers' Retry-After, in whole seconds.
	// Default 1s.
	RetryAfter time.Duration `yaml:"retry_after,omitempty"`
	// ResetPercent get their connection reset (TCP RST) before any answer.
	ResetPercent float64 `yaml:"reset_percent,omitempty"`
	// SlowBodyPercent get half the body, a pause of SlowBodyDelay, then
	// the rest.
	SlowBodyPercent float64 `yaml:"slow_body_percent,omitempty"`
	// SlowBodyDelay is the slow body's pause. Default 2s.
	SlowBodyDelay time.Duration `yaml:"slow_body_delay,omitempty"`
	// CloseMidResponsePercent get half the body, then the connection
	// closes (HTTP/1.1) or the stream is reset (HTTP/2).
	CloseMidResponsePercent float64 `yaml:"close_mid_response_percent,omitempty"`
}

// The HTTP versions of Protocol.HTTP.
const (
	HTTP1 = "http1"
	HTTP2 = "http2"
)

// The TLS versions of Protocol.TLS.
const (
	TLS12 = "1.2"
	TLS13 = "1.3"
)

// Protocol is the HTTP and TLS version the clients and the mock speak.
type Protocol struct {
	// HTTP is HTTP1 (the default) or HTTP2. With HTTP2 the mock offers h2
	// and the clients negotiate it.
	HTTP string `yaml:"http,omitempty"`
	// TLS is the highest TLS version the mock offers, and so the one
	// negotiated: TLS13 (the default) or TLS12.
	TLS string `yaml:"tls,omitempty"`
}

// Defaults that a zero field of a scenario takes (see SetDefaults).
const (
	DefaultRequests    = 2000
	DefaultConcurrency = 8
)

// DefaultModes are the modes of a scenario that names none: the two sides
// of the refactor poolbench measures.
var DefaultModes = []string{string(execution.PerRequest), string(execution.Singleton)}

// ReferenceModes are the modes that drive the mock with an independent load
// generator (github.com/rakyll/hey) instead of an execution strategy: "hey"
// shares one client, "hey-no-keepalive" disables keep-alives. They are the
// harness's (harness.ReferenceModes).
var ReferenceModes = harness.ReferenceModes

// KnownModes returns every mode a scenario may name: the execution
// strategies, then the reference modes.
func KnownModes() []string {
	var m []string
	for _, s := range execution.Strategies {
		m = append(m, string(s))
	}
	return append(m, ReferenceModes...)
}

// ParseModes splits a comma-separated list of modes and checks each name.
func ParseModes(list string) ([]string, error) {
	var modes []string
	for _, m := range strings.Split(list, ",") {
		m = strings.TrimSpace(m)
		if err := checkMode(m); err != nil {
			return nil, err
		}
		if slices.Contains(modes, m) {
			return nil, fmt.Errorf("mode %q is listed twice", m)
		}
		modes = append(modes, m)
	}
	return modes, nil
}

func checkMode(m string) error {
	if !slices.Contains(KnownModes(), m) {
		return fmt.Errorf("unknown client mode %q (known: %s)", m, strings.Join(KnownModes(), ", "))
	}
	return nil
}

// SetDefaults fills the zero fields of s with their documented defaults:
// model closed; DefaultRequests when neither requests nor a duration is
// given (closed model); concurrency DefaultConcurrency; latency model
// fixed; HTTP/1.1; TLS 1.3; DefaultModes. Values that are wrong rather than
// absent are left for Validate to report.
func (s *Scenario) SetDefaults() {
	w := &s.Workload
	if w.Model == "" {
		w.Model = Closed
	}
	if w.Model == Closed && w.Requests == 0 && w.Duration == 0 {
		w.Requests = DefaultRequests
	}
	if w.Concurrency == 0 {
		w.Concurrency = DefaultConcurrency
	}
	if s.Server.Latency.Model == "" {
		s.Server.Latency.Model = LatencyFixed
	}
	if s.Protocol.HTTP == "" {
		s.Protocol.HTTP = HTTP1
	}
	if s.Protocol.TLS == "" {
		s.Protocol.TLS = TLS13
	}
	if len(s.Modes) == 0 {
		s.Modes = slices.Clone(DefaultModes)
	}
}

// HTTP2 reports whether s speaks HTTP/2.
func (s Scenario) HTTP2() bool { return s.Protocol.HTTP == HTTP2 }

// Summary describes the shape of s in one short line, e.g. "closed n=2000
// c=8; http1, tls 1.3; per-request, singleton".
func (s Scenario) Summary() string {
	var b strings.Builder
	w := s.Workload
	b.WriteString(w.Model)
	if w.Model == Open {
		fmt.Fprintf(&b, " rate=%g/s", w.Rate)
	}
	if w.Requests > 0 {
		fmt.Fprintf(&b, " n=%d", w.Requests)
	}
	if w.Duration > 0 {
		fmt.Fprintf(&b, " duration=%v", w.Duration)
	}
	fmt.Fprintf(&b, " c=%d", w.Concurrency)
	if s.Network.RTT > 0 {
		fmt.Fprintf(&b, " rtt=%v", s.Network.RTT)
	}
	fmt.Fprintf(&b, "; %s, tls %s; %s", s.Protocol.HTTP, s.Protocol.TLS, strings.Join(s.Modes, ", "))
	return b.String()
}
