package gate

import (
	"strings"
	"testing"

	"github.com/poolbench/poolbench/reports"
)

func TestBaseline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tols   []string
		mutate func(r *reports.Report)
		exprs  []string // the generated checks
		failed []string
	}{
		{
			name: "same run, counts exact",
			exprs: []string{
				"per-request.errors <= 0", "per-request.dials <= 2000", "per-request.tls_handshakes <= 2000",
				"singleton.errors <= 3", "singleton.dials <= 8", "singleton.tls_handshakes <= 8",
			},
		},
		{
			name:   "one more dial fails",
			mutate: func(r *reports.Report) { r.Modes[1].Client.Dials = 9 },
			failed: []string{"singleton.dials <= 8"},
		},
		{
			name:   "fewer dials pass",
			mutate: func(r *reports.Report) { r.Modes[1].Client.Dials = 7; r.Modes[1].Client.TLSHandshakes = 7 },
		},
		{
			name:   "a count tolerance",
			tols:   []string{"dials=2"},
			mutate: func(r *reports.Report) { r.Modes[1].Client.Dials = 10 },
		},
		{
			name: "p99 within 10%",
			tols: []string{"p99=10%"},
			mutate: func(r *reports.Report) {
				r.Modes[0].LatencyMS.P99 = 154
				r.Modes[1].LatencyMS.P99 = 19.25
			},
		},
		{
			name:   "p99 beyond 10% on one mode",
			tols:   []string{"p99=10%"},
			mutate: func(r *reports.Report) { r.Modes[1].LatencyMS.P99 = 19.3 },
			failed: []string{"singleton.p99 <= 19.25ms"},
		},
		{
			name:   "mode-scoped tolerance beats the general one",
			tols:   []string{"p99=10%", "singleton.p99=2ms"},
			mutate: func(r *reports.Report) { r.Modes[0].LatencyMS.P99 = 150; r.Modes[1].LatencyMS.P99 = 19.6 },
			failed: []string{"singleton.p99 <= 19.5ms"},
		},
		{
			name:   "throughput may not drop",
			tols:   []string{"throughput=5%"},
			mutate: func(r *reports.Report) { r.Modes[1].ThroughputRPS = 9400 },
			failed: []string{"singleton.throughput >= 9500"},
		},
		{
			name:   "reuse ratio",
			tols:   []string{"reuse_ratio=0"},
			mutate: func(r *reports.Report) { r.Modes[1].Client.Dials = 20; r.Modes[1].Client.TLSHandshakes = 20 },
			failed: []string{"singleton.dials <= 8", "singleton.tls_handshakes <= 8", "singleton.reuse_ratio >= 0.996"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tol := Tolerances{}
			for _, s := range tc.tols {
				if err := tol.Parse(s); err != nil {
					t.Fatal(err)
				}
			}
			cur := fixture()
			if tc.mutate != nil {
				tc.mutate(cur)
			}
			ts, err := Baseline(fixture(), cur, tol)
			if err != nil {
				t.Fatal(err)
			}
			if tc.exprs != nil {
				var got []string
				for _, th := range ts {
					got = append(got, th.Expr)
				}
				if g, w := strings.Join(got, "; "), strings.Join(tc.exprs, "; "); g != w {
					t.Errorf("checks:\n got %s\nwant %s", g, w)
				}
			}
			v, err := Evaluate(cur, ts)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range v.Checks {
				if c.Source != "baseline" {
					t.Errorf("check %q: source %q, want baseline", c.Expr, c.Source)
				}
				if !c.Passed {
					failed = append(failed, c.Expr)
				}
			}
			if g, w := strings.Join(failed, "; "), strings.Join(tc.failed, "; "); g != w {
				t.Errorf("failed:\n got %s\nwant %s", g, w)
			}
		})
	}
}

func TestBaselineNote(t *testing.T) {
	t.Parallel()
	tol := Tolerances{}
	if err := tol.Parse("p99=10%"); err != nil {
		t.Fatal(err)
	}
	ts, err := Baseline(fixture(), fixture(), tol)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, th := range ts {
		notes[th.Expr] = th.Note
	}
	for expr, want := range map[string]string{
		"singleton.dials <= 8":     "baseline 8, exact",
		"singleton.p99 <= 19.25ms": "baseline 17.5ms, tolerance 10%",
		"per-request.p99 <= 154ms": "baseline 140ms, tolerance 10%",
		"per-request.errors <= 0":  "baseline 0, exact",
	} {
		if got := notes[expr]; got != want {
			t.Errorf("note of %q = %q, want %q", expr, got, want)
		}
	}
}

func TestBaselineErrors(t *testing.T) {
	t.Parallel()
	other := fixture()
	other.Scenario.Requests = 1000
	if _, err := Baseline(fixture(), other, Tolerances{}); err == nil || !strings.Contains(err.Error(), "baseline ran 2000 requests at concurrency 8, this run 1000 at 8") {
		t.Errorf("different workloads: err = %v", err)
	}
	renamed := fixture()
	renamed.Modes[0].Mode, renamed.Modes[1].Mode = "a", "b"
	if _, err := Baseline(fixture(), renamed, Tolerances{}); err == nil || !strings.Contains(err.Error(), "the baseline has none of this run's modes (baseline: per-request, singleton; run: a, b)") {
		t.Errorf("no common mode: err = %v", err)
	}
}

func TestToleranceParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		key  string
		want Tolerance
		err  string
	}{
		{in: "p99=10%", key: "p99", want: Tolerance{Rel: 0.1}},
		{in: "p99=2ms", key: "p99", want: Tolerance{Abs: 2}},
		{in: "p99=1.5s", key: "p99", want: Tolerance{Abs: 1500}},
		{in: "p50=250us", key: "p50", want: Tolerance{Abs: 0.25}},
		{in: "dials=2", key: "dials", want: Tolerance{Abs: 2}},
		{in: " singleton.dials = 0 ", key: "singleton.dials", want: Tolerance{}},
		{in: "server.connections=1", key: "server.connections", want: Tolerance{Abs: 1}},
		{in: "singleton.server.connections=1", key: "singleton.server.connections", want: Tolerance{Abs: 1}},
		{in: "errors.http_5xx=3", key: "errors.http_5xx", want: Tolerance{Abs: 3}},
		{in: "p99", err: `tolerance "p99": want METRIC=AMOUNT`},
		{in: "=10%", err: "want METRIC=AMOUNT"},
		{in: "p98=10%", err: `unknown metric "p98"`},
		{in: "p99=ten", err: `"ten" is not an amount`},
		{in: "p99=10% 2", err: `"10% 2" is not an amount`},
		{in: "dials=2ms", err: "2ms is a time but dials is a count"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			tol := Tolerances{}
			err := tol.Parse(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := tol[tc.key]; !ok || got != tc.want {
				t.Errorf("tol[%q] = %+v (%v), want %+v", tc.key, got, ok, tc.want)
			}
		})
	}
}
