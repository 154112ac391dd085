package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/mockserver"
)

// MaxRTT bounds Network.RTT: a round trip longer than this is a typo, not
// a network.
const MaxRTT = mockserver.MaxRTT

// Validate checks s, with its defaults set (SetDefaults), and returns an
// *Error listing every problem at once, or nil.
func (s *Scenario) Validate() error {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(s.Name) == "" {
		add("name", "empty: a scenario needs a name")
	}
	s.validateWorkload(add)
	if s.Network.RTT < 0 || s.Network.RTT > MaxRTT {
		add("network.rtt", "%v: want 0..%v", s.Network.RTT, MaxRTT)
	}
	s.validateServer(add)
	switch s.Protocol.HTTP {
	case HTTP1, HTTP2:
	default:
		add("protocol.http", "%q: want %s or %s", s.Protocol.HTTP, HTTP1, HTTP2)
	}
	switch s.Protocol.TLS {
	case TLS12, TLS13:
	default:
		add("protocol.tls", "%q: want %q or %q", s.Protocol.TLS, TLS12, TLS13)
	}
	if s.HTTP2() && s.Server.MaxRequestsPerConn > 0 {
		add("server.max_requests_per_conn", "the mock enforces it on HTTP/1.1 only, and protocol.http is %s", HTTP2)
	}
	if len(s.Modes) == 0 {
		add("modes", "empty: name at least one client mode")
	}
	for i, m := range s.Modes {
		field := fmt.Sprintf("modes[%d]", i)
		if err := checkMode(m); err != nil {
			add(field, "%v", err)
		} else if j := slices.Index(s.Modes, m); j < i {
			add(field, "%q is listed twice (also modes[%d])", m, j)
		}
	}
	for i, t := range s.Thresholds {
		if strings.TrimSpace(t) == "" {
			add(fmt.Sprintf("thresholds[%d]", i), "empty threshold")
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &Error{Name: s.Name, Problems: ps}
}

func (s *Scenario) validateWorkload(add func(field, format string, args ...any)) {
	w := s.Workload
	if w.Requests < 0 || w.Requests > harness.MaxRequests {
		add("workload.requests", "%d: want 1..%d", w.Requests, harness.MaxRequests)
	}
	if w.Concurrency < 1 || w.Concurrency > harness.MaxConcurrency {
		add("workload.concurrency", "%d: want 1..%d", w.Concurrency, harness.MaxConcurrency)
	}
	if w.Duration < 0 || w.Duration > harness.MaxDuration {
		add("workload.duration", "%v: want 0..%v", w.Duration, harness.MaxDuration)
	}
	if w.Warmup < 0 || w.Warmup > harness.MaxDuration {
		add("workload.warmup", "%v: want 0..%v", w.Warmup, harness.MaxDuration)
	}
	badRate := math.IsNaN(w.Rate) || math.IsInf(w.Rate, 0) || w.Rate < 0 || w.Rate > harness.MaxRate
	switch w.Model {
	case Closed:
		if w.Rate != 0 {
			add("workload.rate", "%v: a rate is for the open model; set workload.model: open, or drop the rate", w.Rate)
		}
		if w.Requests > 0 && w.Concurrency > w.Requests {
			add("workload.concurrency", "%d is more than the %d requests: some workers would send nothing", w.Concurrency, w.Requests)
		}
	case Open:
		switch {
		case badRate:
			add("workload.rate", "%v: want more than 0 and at most %d requests/s", w.Rate, harness.MaxRate)
		case w.Rate == 0:
			add("workload.rate", "the open model needs a rate (requests per second)")
		}
		if w.Requests == 0 && w.Duration == 0 {
			add("workload.duration", "the open model needs a duration or a number of requests")
		}
	default:
		add("workload.model", "%q: want %s or %s", w.Model, Closed, Open)
	}
}

func (s *Scenario) validateServer(add func(field, format string, args ...any)) {
	sv := s.Server
	l := sv.Latency
	only := func(field, model string) {
		add("server.latency."+field, "only for the %s model (model is %s)", model, l.Model)
	}
	switch l.Model {
	case LatencyFixed:
		if l.Fixed < 0 {
			add("server.latency.fixed", "%v: want 0 or more", l.Fixed)
		}
	case LatencyUniform:
		if l.Min < 0 || l.Max < l.Min {
			add("server.latency", "uniform wants 0 <= min <= max, got min %v, max %v", l.Min, l.Max)
		}
	case LatencyLognormal:
		if l.Median <= 0 {
			add("server.latency.median", "%v: the lognormal model needs a median more than 0", l.Median)
		}
		if l.Sigma < 0 || math.IsNaN(l.Sigma) || l.Sigma > 10 {
			add("server.latency.sigma", "%v: want 0..10", l.Sigma)
		}
	default:
		add("server.latency.model", "%q: want %s, %s or %s", l.Model, LatencyFixed, LatencyUniform, LatencyLognormal)
	}
	if l.Model != LatencyFixed && l.Fixed != 0 {
		only("fixed", LatencyFixed)
	}
	if l.Model != LatencyUniform {
		if l.Min != 0 {
			only("min", LatencyUniform)
		}
		if l.Max != 0 {
			only("max", LatencyUniform)
		}
	}
	if l.Model != LatencyLognormal {
		if l.Median != 0 {
			only("median", LatencyLognormal)
		}
		if l.Sigma != 0 {
			only("sigma", LatencyLognormal)
		}
	}
	if sv.IdleTimeout < 0 {
		add("server.idle_timeout", "%v: want 0 (never) or more", sv.IdleTimeout)
	}
	if sv.MaxRequestsPerConn < 0 {
		add("server.max_requests_per_conn", "%d: want 0 (no limit) or more", sv.MaxRequestsPerConn)
	}
	f := sv.Faults
	var sum float64
	for _, p := range []struct {
		field string
		v     float64
	}{
		{"server_error_percent", f.ServerErrorPercent},
		{"too_many_requests_percent", f.TooManyRequestsPercent},
		{"reset_percent", f.ResetPercent},
		{"slow_body_percent", f.SlowBodyPercent},
		{"close_mid_response_percent", f.CloseMidResponsePercent},
	} {
		if math.IsNaN(p.v) || p.v < 0 || p.v > 100 {
			add("server.faults."+p.field, "%v: want a percentage, 0..100", p.v)
			continue
		}
		sum += p.v
	}
	if sum > 100 {
		add("server.faults", "the percentages add up to %v, more than 100", sum)
	}
	if f.RetryAfter < 0 || f.RetryAfter%time.Second != 0 {
		add("server.faults.retry_after", "%v: want whole seconds, 0 or more (Retry-After has no fractions)", f.RetryAfter)
	}
	if f.SlowBodyDelay < 0 {
		add("server.faults.slow_body_delay", "%v: want 0 or more", f.SlowBodyDelay)
	}
}
