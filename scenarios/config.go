package scenarios

import (
	"crypto/tls"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/mockserver"
)

// Configs maps s, validated and with its defaults set, to the mock
// server's configuration and the harness's: the one place where a
// scenario's fields become settings. The harness configuration has no
// target yet (BaseURL, TLSConfig, Server): the caller sets them once the
// server runs, or points them at an external one.
func (s Scenario) Configs() (mockserver.Config, harness.Config) {
	f := s.Server.Faults
	srv := mockserver.Config{
		Latency: mockserver.Latency{
			Model:  s.Server.Latency.Model,
			Fixed:  s.Server.Latency.Fixed,
			Min:    s.Server.Latency.Min,
			Max:    s.Server.Latency.Max,
			Median: s.Server.Latency.Median,
			Sigma:  s.Server.Latency.Sigma,
		},
		Faults: mockserver.Faults{
			ServerError:   f.ServerErrorPercent / 100,
			TooMany:       f.TooManyRequestsPercent / 100,
			Reset:         f.ResetPercent / 100,
			SlowBody:      f.SlowBodyPercent / 100,
			CloseMidBody:  f.CloseMidResponsePercent / 100,
			RetryAfter:    f.RetryAfter,
			SlowBodyDelay: f.SlowBodyDelay,
		},
		RTT:                s.Network.RTT,
		IdleTimeout:        s.Server.IdleTimeout,
		MaxRequestsPerConn: s.Server.MaxRequestsPerConn,
		HTTP2:              s.HTTP2(),
		TLSVersion:         tls.VersionTLS13,
		Seed:               s.Server.Seed,
	}
	if s.Protocol.TLS == TLS12 {
		srv.TLSVersion = tls.VersionTLS12
	}
	run := harness.Config{
		Modes:       append([]string(nil), s.Modes...),
		Requests:    s.Workload.Requests,
		Concurrency: s.Workload.Concurrency,
		Duration:    s.Workload.Duration,
		HTTP2:       s.HTTP2(),
		CheckOutput: true,
	}
	if s.Workload.Model == Open {
		run.Rate = s.Workload.Rate
	}
	run.Warmup = s.Workload.Warmup
	return srv, run
}
