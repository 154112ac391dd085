package gate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/reports"
)

// fixture is the report of a default-scenario run: 2000 requests at
// concurrency 8, per-request against singleton.
func fixture() *reports.Report {
	return &reports.Report{
		Schema:   reports.Schema,
		Scenario: reports.Scenario{Name: "quick", Requests: 2000, Concurrency: 8, Modes: []string{"per-request", "singleton"}},
		Modes: []reports.Mode{
			{
				Mode: "per-request", Requests: 2000, OK: 2000, Errors: map[string]int64{},
				ThroughputRPS: 400,
				Client:        reports.Client{Dials: 2000, TLSHandshakes: 2000, NewConnRequests: 2000},
				Server:        &reports.Server{Connections: 2000, TLSHandshakes: 2000, Requests: 2000},
				LatencyMS:     reports.Latency{Min: 2, Mean: 15, P50: 12, P90: 40, P99: 140, P999: 260, Max: 280},
				ClientsBuilt:  2000,
			},
			{
				Mode: "singleton", Requests: 2000, OK: 1997, Errors: map[string]int64{"http_5xx": 2, "timeout": 1},
				ThroughputRPS: 10000,
				Client:        reports.Client{Dials: 8, TLSHandshakes: 8, Reused: 1996, NewConnRequests: 4},
				Server:        &reports.Server{Connections: 8, TLSHandshakes: 8, Requests: 2000},
				LatencyMS:     reports.Latency{Min: 0.05, Mean: 0.8, P50: 0.16, P90: 0.4, P99: 17.5, P999: 48, Max: 70},
				ClientsBuilt:  1,
			},
		},
	}
}

func TestParseAndEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr         string
		value, limit float64
		pass         bool
	}{
		{"singleton.dials <= concurrency", 8, 8, true},
		{"singleton.dials < concurrency", 8, 8, false},
		{"per-request.dials == requests", 2000, 2000, true},
		{"per-request.dials != requests", 2000, 2000, false},
		{"singleton.tls_handshakes <= concurrency", 8, 8, true},
		{"singleton.server.connections == singleton.dials", 8, 8, true},
		{"singleton.server.tls_handshakes > 8", 8, 8, false},
		{"singleton.reuse_ratio >= 0.99", 0.996, 0.99, true},
		{"singleton.reuse_ratio >= 99.7%", 0.996, 0.997, false},
		{"per-request.reuse_ratio == 0", 0, 0, true},
		{"singleton.errors == 0", 3, 0, false},
		{"singleton.errors.http_5xx == 2", 2, 2, true},
		{"singleton.errors.timeout >= 1", 1, 1, true},
		{"per-request.errors.reset == 0", 0, 0, true},
		{"singleton.ok + singleton.errors == singleton.requests", 2000, 2000, true},
		{"singleton.reused >= requests - concurrency - 4", 1996, 1988, true},
		{"singleton.new_conn_requests <= 4", 4, 4, true},
		{"singleton.clients_built == 1", 1, 1, true},
		{"per-request.clients_built == requests", 2000, 2000, true},
		{"singleton.left_open == 0", 0, 0, true},
		{"singleton.throughput >= 25 * per-request.throughput", 10000, 10000, true},
		{"ratio(singleton.throughput, per-request.throughput) > 25", 25, 25, false},
		{"ratio(per-request.p50, singleton.p50) >= 3", 75, 3, true},
		{"ratio(per-request.dials, singleton.dials) == 250", 250, 250, true},
		{"singleton.p99 <= 50ms", 17.5, 50, true},
		{"singleton.p99 <= 0.01s", 17.5, 10, false},
		{"singleton.p50 < 200us", 0.16, 0.2, true},
		{"singleton.p50 < 200µs", 0.16, 0.2, true},
		{"singleton.p999 <= 48", 48, 48, true},
		{"singleton.max < per-request.p99", 70, 140, true},
		{"singleton.mean <= singleton.p90 * 2", 0.8, 0.8, true},
		{"singleton.min > 0", 0.05, 0, true},
		{"max(singleton.p99, per-request.p50) <= 20ms", 17.5, 20, true},
		{"min(singleton.dials, per-request.dials, 3) == 3", 3, 3, true},
		{"abs(singleton.dials - concurrency) == 0", 0, 0, true},
		{"-singleton.dials == -8", -8, -8, true},
		{"(singleton.dials + 2) * 10 == 100", 100, 100, true},
		{"singleton.dials / concurrency <= 1", 1, 1, true},
		{"  singleton.dials<=concurrency  ", 8, 8, true},
		{"per-request.p50 - singleton.p50 >= 10ms", 11.84, 10, true},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			th, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			v, err := Evaluate(fixture(), []*Threshold{th})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			c := v.Checks[0]
			if got, want := math.Round(c.Value*1000)/1000, tc.value; got != want {
				t.Errorf("value = %v, want %v", got, want)
			}
			if got, want := math.Round(c.Limit*1000)/1000, tc.limit; got != want {
				t.Errorf("limit = %v, want %v", got, want)
			}
			if got, want := c.Passed, tc.pass; got != want {
				t.Errorf("passed = %v, want %v", got, want)
			}
			if got, want := v.Passed, tc.pass; got != want {
				t.Errorf("verdict passed = %v, want %v", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		col  int
		msg  string
	}{
		{"", 1, "empty threshold"},
		{"singleton.dials", 16, "missing comparison"},
		{"singleton.dials = 8", 17, `unexpected "=" (compare with ==)`},
		{"singleton.dials ! 8", 17, `not equal is !=`},
		{"singleton.dials <= ", 19, "unexpected end of expression, want a value"},
		{"singleton.dails <= 8", 11, `unknown metric "dails" (metrics: requests, ok, errors, dials,`},
		{"singleton.errors.http5xx == 0", 11, `unknown metric "errors.http5xx"`},
		{"singleton.p99.9 <= 8ms", 11, `unknown metric "p99.9"`},
		{"dials <= 8", 1, `metric "dials" needs its mode: MODE.dials`},
		{"singleton.dials <= workers", 20, `unknown name "workers"`},
		{"singleton.dials <= requests-1", 20, "to subtract, put spaces around -"},
		{"singleton.p99 <= 50 ms", 21, `unexpected "ms" after the expression`},
		{"singleton.p99 <= 50msec", 20, `unknown unit "msec" (units: us (or µs), ms, s, %)`},
		{"singleton.dials <= 8ms", 17, "singleton.dials is a count but 8ms is a time"},
		{"singleton.p99 <= concurrency", 15, "singleton.p99 is a time but concurrency is a count"},
		{"singleton.reuse_ratio >= 99ms", 23, "is a fraction but 99ms is a time"},
		{"singleton.p99 + singleton.dials < 3", 15, "is a time but singleton.dials is a count"},
		{"1 < 2 < 3", 7, "a threshold has one comparison"},
		{"singleton.dials <= 8)", 21, `unexpected ")" after the expression`},
		{"(singleton.dials <= 8", 18, `want ")" to close the "(" at column 1`},
		{"ratio(singleton.dials) > 1", 1, "ratio takes 2 arguments, not 1"},
		{"ratio() > 1", 7, "ratio needs 2 arguments"},
		{"ratio(a.dials b.dials) > 1", 15, `unexpected "b.dials" in the arguments of ratio`},
		{"median(singleton.p50) < 1ms", 1, `unknown function "median" (functions: abs, max, min, ratio)`},
		{"ratio <= 1", 6, "function ratio needs its arguments in parentheses"},
		{"min(singleton.p50, singleton.dials) < 1", 20, "singleton.p50 is a time but singleton.dials is a count"},
		{"singleton.dials <= 8 # no comments", 22, `unexpected character '#'`},
		{"singleton.dials <= 1.", 22, "a number needs digits after its decimal point"},
		{"singleton.dials <= .", 20, `unexpected character '.'`},
		{"µs < 1", 1, `unexpected character 'µ'`},
		{"1µs < singleton.p50 ; x", 21, `unexpected character ';'`},
		{"singleton.p50 <= 1µx", 19, `unknown unit "µx"`},
		{"<= 8", 1, `unexpected "<=", want a value`},
		{"singleton.dials <= 8 8", 22, `unexpected "8" after the expression`},
		{strings.Repeat("(", 200) + "1", 101, "nested too deeply"},
		{strings.Repeat("1+", 600) + "1 < 2", MaxExprLen + 1, "longer than 1024 bytes"},
		{"singleton.dials <= \xff", 20, "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.expr)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, want an *Error", tc.expr, err)
			}
			if got, want := pe.Col, tc.col; got != want {
				t.Errorf("column = %d, want %d (%v)", got, want, err)
			}
			if !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", pe.Msg, tc.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	_, err := Parse("singleton.dails <= 8")
	want := `threshold "singleton.dails <= 8": column 11: unknown metric "dails" (metrics: requests, ok, errors, dials, tls_handshakes, tls_resumed, reused, new_conn_requests, pool_rejected, closed_after_use, clients_built, left_open, server.connections, server.tls_handshakes, server.resumed, server.requests, reuse_ratio, throughput, min, mean, p50, p90, p99, p999, max, errors.KIND (canceled, timeout, refused, reset, eof, tls, http_429, http_5xx, http_4xx, body_too_large, decode, mismatch, other))`
	if got := err.Error(); got != want {
		t.Errorf("error:\n got %s\nwant %s", got, want)
	}
}

func TestEvaluateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expr   string
		report func(r *reports.Report)
		col    int
		msg    string
	}{
		{"unknown mode", "singelton.dials <= 8", nil, 1, `unknown mode "singelton" (modes in the report: per-request, singleton)`},
		{"unknown mode on the right", "singleton.dials <= 2 * singleton-default-pool.dials", nil, 24, `unknown mode "singleton-default-pool"`},
		{"requests of a duration run", "per-request.dials == requests", func(r *reports.Report) { r.Scenario.Requests = 0 }, 22, "the run was bound by a duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := fixture()
			if tc.report != nil {
				tc.report(r)
			}
			th, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Evaluate(r, []*Threshold{th})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Evaluate = %v, want an *Error", err)
			}
			if got, want := pe.Col, tc.col; got != want {
				t.Errorf("column = %d, want %d (%v)", got, want, err)
			}
			if !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", pe.Msg, tc.msg)
			}
		})
	}
}

func TestUnknownValuesFail(t *testing.T) {
	t.Parallel()
	r := fixture()
	r.Modes[1].Server = nil
	r.Modes[1].Client.Dials = 0
	r.Modes[1].Requests = 0
	ts, err := ParseAll([]string{
		"singleton.server.connections <= 8",
		"ratio(singleton.dials, singleton.requests) <= 1",
		"ratio(per-request.dials, singleton.dials) >= 2",
	}, "flag")
	if err != nil {
		t.Fatal(err)
	}
	v, err := Evaluate(r, ts)
	if err != nil {
		t.Fatal(err)
	}
	if v.Passed {
		t.Error("verdict passed with unknown values")
	}
	want := []struct {
		passed bool
		detail string
	}{
		{false, "cannot evaluate: singleton.server.connections: the report has no server counts"},
		{false, "undefined value (0/0)"},
		{true, ""}, // 2000/0 is +Inf: infinitely many more dials
	}
	for i, w := range want {
		c := v.Checks[i]
		if c.Passed != w.passed || c.Detail != w.detail {
			t.Errorf("check %q: passed %v detail %q, want %v %q", c.Expr, c.Passed, c.Detail, w.passed, w.detail)
		}
	}
	if got, want := v.Checks[2].ValueText(), "+Inf"; got != want {
		t.Errorf("value text = %q, want %q", got, want)
	}
	if g := v.Report(); g.Checks[2].Value != 0 {
		t.Errorf("report value of +Inf = %v, want 0 (JSON has no Inf)", g.Checks[2].Value)
	}
}

func TestOptionalThresholdsSkip(t *testing.T) {
	t.Parallel()
	ts, err := ParseAll(DefaultThresholds, "scenario")
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range ts {
		th.Optional = true
	}
	r := fixture()
	r.Modes = r.Modes[:1] // per-request only
	v, err := Evaluate(r, ts)
	if err != nil {
		t.Fatal(err)
	}
	p, f, s := v.Counts()
	if p != 2 || f != 0 || s != 5 || !v.Passed {
		t.Errorf("passed %d failed %d skipped %d (verdict %v), want 2 0 5 true", p, f, s, v.Passed)
	}
	if got, want := v.Checks[1].Detail, "mode singleton not in this run"; got != want {
		t.Errorf("detail = %q, want %q", got, want)
	}
	if got, want := v.Summary(), "PASS: 2 of 2 checks passed, 5 skipped"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}

	r.Modes = nil
	r.Modes = append(r.Modes, reports.Mode{Mode: "singleton-default-pool"})
	if _, err := Evaluate(r, ts); !errors.Is(err, ErrNothingChecked) {
		t.Errorf("all skipped: err = %v, want ErrNothingChecked", err)
	}
	// Not optional: a missing mode is bad input.
	for _, th := range ts {
		th.Optional = false
	}
	var pe *Error
	if _, err := Evaluate(r, ts); !errors.As(err, &pe) {
		t.Errorf("required threshold on a missing mode: err = %v, want *Error", err)
	}
}

func TestDefaultThresholds(t *testing.T) {
	t.Parallel()
	ts, err := ParseAll(DefaultThresholds, "scenario")
	if err != nil {
		t.Fatal(err)
	}
	clean := fixture()
	clean.Modes[1].OK, clean.Modes[1].Errors = 2000, map[string]int64{}
	tests := []struct {
		name   string
		mutate func(r *reports.Report)
		failed []string
	}{
		{"reuse", nil, nil},
		{"singleton builds a client per request", func(r *reports.Report) {
			r.Modes[1].Client = r.Modes[0].Client
		}, []string{"singleton.dials <= concurrency + singleton.closed_after_use", "singleton.tls_handshakes <= concurrency + singleton.closed_after_use", "singleton.reuse_ratio >= 0.99"}},
		{"undersized pool", func(r *reports.Report) {
			r.Modes[1].Client.Dials, r.Modes[1].Client.TLSHandshakes, r.Modes[1].Client.PoolRejected = 9, 9, 1
		}, []string{"singleton.pool_rejected == 0", "singleton.dials <= concurrency + singleton.closed_after_use", "singleton.tls_handshakes <= concurrency + singleton.closed_after_use"}},
		{"a connection discarded after use costs a dial, and is allowed", func(r *reports.Report) {
			r.Modes[1].Client.Dials, r.Modes[1].Client.TLSHandshakes, r.Modes[1].Client.ClosedAfterUse = 9, 9, 1
		}, nil},
		{"per-request counted wrong", func(r *reports.Report) {
			r.Modes[0].Client.Dials = 1999
		}, []string{"per-request.dials == requests"}},
		{"a failed request", func(r *reports.Report) {
			r.Modes[0].OK, r.Modes[0].Errors = 1999, map[string]int64{"reset": 1}
		}, []string{"per-request.errors == 0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := fixture()
			r.Modes[1].OK, r.Modes[1].Errors = 2000, map[string]int64{}
			if tc.mutate != nil {
				tc.mutate(r)
			}
			v, err := Evaluate(r, ts)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range v.Checks {
				if !c.Passed {
					failed = append(failed, c.Expr)
				}
			}
			if got, want := strings.Join(failed, "; "), strings.Join(tc.failed, "; "); got != want {
				t.Errorf("failed checks: %s\nwant: %s", got, want)
			}
			if got, want := v.Passed, len(tc.failed) == 0; got != want {
				t.Errorf("passed = %v, want %v", got, want)
			}
		})
	}
}

func TestModes(t *testing.T) {
	t.Parallel()
	th, err := Parse("ratio(per-request.p50, singleton.p50) >= max(3, singleton.dials / per-request.dials)")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(th.Modes(), ","), "per-request,singleton"; got != want {
		t.Errorf("Modes = %s, want %s", got, want)
	}
}
