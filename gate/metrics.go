package gate

import (
	"errors"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/reports"
)

// dim is what a value measures; values of different dims do not compare.
type dim int

const (
	dimNone     dim = iota // a plain number: compares with anything
	dimCount               // a number of requests, connections, handshakes
	dimTime                // milliseconds
	dimFraction            // 0..1 (written with % or as a fraction)
	dimRate                // requests per second
)

func (d dim) String() string {
	switch d {
	case dimCount:
		return "a count"
	case dimTime:
		return "a time"
	case dimFraction:
		return "a fraction"
	case dimRate:
		return "a rate (req/s)"
	}
	return "a number"
}

// unit is how a value of d is shown.
func (d dim) unit() string {
	switch d {
	case dimTime:
		return "ms"
	case dimRate:
		return "req/s"
	case dimFraction:
		return "%"
	}
	return ""
}

// direction says which way a metric gets worse, for baselines.
type direction int

const (
	higherIsWorse direction = iota + 1
	lowerIsWorse
)

// metric is one per-mode metric of a report.
type metric struct {
	name  string
	dim   dim
	worse direction
	doc   string
	get   func(m *reports.Mode) (float64, error)
}

// errNoServerCounts is the value error of server.* metrics when the report
// has no server counts (a real --target that does not expose /stats).
var errNoServerCounts = errors.New("the report has no server counts")

func count(f func(m *reports.Mode) int64) func(m *reports.Mode) (float64, error) {
	return func(m *reports.Mode) (float64, error) { return float64(f(m)), nil }
}

func server(f func(s *reports.Server) int64) func(m *reports.Mode) (float64, error) {
	return func(m *reports.Mode) (float64, error) {
		if m.Server == nil {
			return 0, errNoServerCounts
		}
		return float64(f(m.Server)), nil
	}
}

func ms(f func(l *reports.Latency) float64) func(m *reports.Mode) (float64, error) {
	return func(m *reports.Mode) (float64, error) { return f(&m.LatencyMS), nil }
}

// metrics are the per-mode metrics, in the order the docs list them.
var metrics = []metric{
	{"requests", dimCount, lowerIsWorse, "requests sent", count(func(m *reports.Mode) int64 { return m.Requests })},
	{"ok", dimCount, lowerIsWorse, "requests that succeeded", count(func(m *reports.Mode) int64 { return m.OK })},
	{"errors", dimCount, higherIsWorse, "requests that failed, all kinds", count(func(m *reports.Mode) int64 { return m.Failed() })},
	{"dials", dimCount, higherIsWorse, "TCP connections the client established", count(func(m *reports.Mode) int64 { return m.Client.Dials })},
	{"tls_handshakes", dimCount, higherIsWorse, "TLS handshakes the client completed", count(func(m *reports.Mode) int64 { return m.Client.TLSHandshakes })},
	{"tls_resumed", dimCount, higherIsWorse, "handshakes that resumed a session", count(func(m *reports.Mode) int64 { return m.Client.TLSResumed })},
	{"reused", dimCount, lowerIsWorse, "requests that got a reused connection (GotConn)", count(func(m *reports.Mode) int64 { return m.Client.Reused })},
	{"new_conn_requests", dimCount, higherIsWorse, "requests that got a new connection (GotConn; undercounts under churn)", count(func(m *reports.Mode) int64 { return m.Client.NewConnRequests })},
	{"pool_rejected", dimCount, higherIsWorse, "connections the idle pool refused after a request (MaxIdleConnsPerHost too small); exact", count(func(m *reports.Mode) int64 { return m.Client.PoolRejected })},
	{"closed_after_use", dimCount, higherIsWorse, "HTTP/1.1 connections closed after a request instead of pooled (server limits, failures, a starved CPU)", count(func(m *reports.Mode) int64 { return m.Client.ClosedAfterUse })},
	{"clients_built", dimCount, higherIsWorse, "http.Clients the mode constructed", count(func(m *reports.Mode) int64 { return m.ClientsBuilt })},
	{"left_open", dimCount, higherIsWorse, "connections still open at the server when the mode ended", count(func(m *reports.Mode) int64 { return m.LeftOpen })},
	{"server.connections", dimCount, higherIsWorse, "connections the server accepted", server(func(s *reports.Server) int64 { return s.Connections })},
	{"server.tls_handshakes", dimCount, higherIsWorse, "TLS handshakes the server completed", server(func(s *reports.Server) int64 { return s.TLSHandshakes })},
	{"server.resumed", dimCount, higherIsWorse, "resumed sessions the server saw", server(func(s *reports.Server) int64 { return s.Resumed })},
	{"server.requests", dimCount, lowerIsWorse, "requests the server answered", server(func(s *reports.Server) int64 { return s.Requests })},
	{"reuse_ratio", dimFraction, lowerIsWorse, "1 - dials/requests, at least 0", func(m *reports.Mode) (float64, error) { return m.ReuseRatio(), nil }},
	{"throughput", dimRate, lowerIsWorse, "successful requests per second", func(m *reports.Mode) (float64, error) { return m.ThroughputRPS, nil }},
	{"min", dimTime, higherIsWorse, "fastest request", ms(func(l *reports.Latency) float64 { return l.Min })},
	{"mean", dimTime, higherIsWorse, "mean latency", ms(func(l *reports.Latency) float64 { return l.Mean })},
	{"p50", dimTime, higherIsWorse, "median latency", ms(func(l *reports.Latency) float64 { return l.P50 })},
	{"p90", dimTime, higherIsWorse, "90th percentile latency", ms(func(l *reports.Latency) float64 { return l.P90 })},
	{"p99", dimTime, higherIsWorse, "99th percentile latency", ms(func(l *reports.Latency) float64 { return l.P99 })},
	{"p999", dimTime, higherIsWorse, "99.9th percentile latency", ms(func(l *reports.Latency) float64 { return l.P999 })},
	{"max", dimTime, higherIsWorse, "slowest request", ms(func(l *reports.Latency) float64 { return l.Max })},
}

// ErrorKinds are the kinds K of the errors.K metrics: harness.Classify's.
var ErrorKinds = []string{
	harness.KindCanceled, harness.KindTimeout, harness.KindRefused, harness.KindReset,
	harness.KindEOF, harness.KindTLS, harness.KindHTTP429, harness.KindHTTP5xx,
	harness.KindHTTP4xx, harness.KindBodyTooLarge, harness.KindDecode,
	harness.KindMismatch, harness.KindOther,
}

// Metrics returns the names of the per-mode metrics, errors.KIND for
// every error kind included.
func Metrics() []string {
	names := make([]string, 0, len(metrics)+len(ErrorKinds))
	for _, m := range metrics {
		names = append(names, m.name)
	}
	for _, k := range ErrorKinds {
		names = append(names, "errors."+k)
	}
	return names
}

// lookupMetric returns the metric called name.
func lookupMetric(name string) (metric, bool) {
	for _, m := range metrics {
		if m.name == name {
			return m, true
		}
	}
	if kind, ok := strings.CutPrefix(name, "errors."); ok && slices.Contains(ErrorKinds, kind) {
		return metric{
			name: name, dim: dimCount, worse: higherIsWorse, doc: "requests that failed with " + kind,
			get: count(func(m *reports.Mode) int64 { return m.Errors[kind] }),
		}, true
	}
	return metric{}, false
}

// knownMetrics lists the metric names for an error message.
func knownMetrics() string {
	var b strings.Builder
	for _, m := range metrics {
		b.WriteString(m.name)
		b.WriteString(", ")
	}
	b.WriteString("errors.KIND (" + strings.Join(ErrorKinds, ", ") + ")")
	return b.String()
}

// Constants are the scenario constants an expression may name.
var constants = []string{"requests", "concurrency"}

// functions are the functions an expression may call, with their arity
// (-1: one or more).
var functions = map[string]int{"ratio": 2, "min": -1, "max": -1, "abs": 1}
