package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/reports"
)

// Tolerance is how much a metric may get worse than its baseline before
// the gate fails: Rel as a fraction of the baseline value, Abs in the
// metric's unit; both add up.
type Tolerance struct {
	Rel, Abs float64
}

// Tolerances maps "METRIC" or "MODE.METRIC" to a tolerance; MODE.METRIC
// wins over METRIC.
type Tolerances map[string]Tolerance

// BaselineCounts are the metrics a baseline always compares, exactly
// unless a tolerance says otherwise: counts give the same answer on
// every run. Timings are compared only when a tolerance names them.
var BaselineCounts = []string{"errors", "dials", "tls_handshakes"}

// ParseTolerance parses "METRIC=TOL" or "MODE.METRIC=TOL", TOL a
// percentage of the baseline (10%) or an amount in the metric's unit
// (2ms, 3); it adds the result to ts.
func (ts Tolerances) Parse(s string) error {
	key, val, ok := strings.Cut(s, "=")
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	if !ok || key == "" || val == "" {
		return fmt.Errorf("tolerance %q: want METRIC=AMOUNT, e.g. p99=10%% or dials=2", s)
	}
	name := key
	if _, m, dotted := strings.Cut(key, "."); dotted {
		if _, ok := lookupMetric(key); !ok {
			name = m
		}
	}
	m, ok := lookupMetric(name)
	if !ok {
		return fmt.Errorf("tolerance %q: unknown metric %q (metrics: %s)", s, name, knownMetrics())
	}
	toks, err := lex(val)
	if err != nil || len(toks) != 2 || toks[0].kind != tokNumber {
		return fmt.Errorf("tolerance %q: %q is not an amount (a number, a percentage or a time: 10%%, 2ms, 3)", s, val)
	}
	t := toks[0]
	var tol Tolerance
	switch u := units[t.unit]; {
	case t.unit == "%":
		tol.Rel = t.num / 100
	case t.unit == "":
		tol.Abs = t.num
	case u.dim != m.dim:
		return fmt.Errorf("tolerance %q: %s is %s but %s is %s", s, val, u.dim, m.name, m.dim)
	default:
		tol.Abs = t.num * u.factor
	}
	ts[key] = tol
	return nil
}

func (ts Tolerances) lookup(mode, metric string) (Tolerance, bool) {
	if t, ok := ts[mode+"."+metric]; ok {
		return t, true
	}
	t, ok := ts[metric]
	return t, ok
}

// Baseline returns the thresholds that hold cur to base: for every mode in
// both, the BaselineCounts exactly (or within their tolerance), and every
// other metric that has a tolerance. Each threshold is a plain expression
// ("singleton.dials <= 8") whose Note names the baseline value. The two
// reports must have run the same workload.
func Baseline(base, cur *reports.Report, tol Tolerances) ([]*Threshold, error) {
	if b, c := base.Scenario, cur.Scenario; b.Requests != c.Requests || b.Concurrency != c.Concurrency {
		return nil, fmt.Errorf("baseline ran %d requests at concurrency %d, this run %d at %d: compare like with like",
			b.Requests, b.Concurrency, c.Requests, c.Concurrency)
	}
	names := append([]string(nil), BaselineCounts...)
	for key := range tol {
		name := key
		if _, ok := lookupMetric(key); !ok {
			_, name, _ = strings.Cut(key, ".")
		}
		if !contains(names, name) {
			names = append(names, name)
		}
	}
	// Listed metrics first, in the metrics' order, so output is stable.
	ordered := make([]string, 0, len(names))
	for _, m := range Metrics() {
		if contains(names, m) {
			ordered = append(ordered, m)
		}
	}
	var ts []*Threshold
	for i := range cur.Modes {
		cm := &cur.Modes[i]
		bm := findMode(base, cm.Mode)
		if bm == nil {
			continue
		}
		for _, name := range ordered {
			t, ok := tol.lookup(cm.Mode, name)
			if !ok && !contains(BaselineCounts, name) {
				continue // a mode-scoped tolerance for another mode
			}
			m, _ := lookupMetric(name)
			bv, err := m.get(bm)
			if err != nil {
				continue // the baseline does not know it: nothing to hold to
			}
			op, limit := "<=", bv*(1+t.Rel)+t.Abs
			if m.worse == lowerIsWorse {
				op, limit = ">=", bv*(1-t.Rel)-t.Abs
			}
			limit = math.Round(limit*1000) / 1000
			expr := fmt.Sprintf("%s.%s %s %s", cm.Mode, name, op, formatValue(limit, m.dim))
			th, err := Parse(expr)
			if err != nil {
				return nil, fmt.Errorf("baseline check %q: %w", expr, err)
			}
			th.Source = "baseline"
			th.Note = "baseline " + formatValue(bv, m.dim) + tolText(t)
			ts = append(ts, th)
		}
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("the baseline has none of this run's modes (baseline: %s; run: %s)",
			strings.Join(reportModes(base), ", "), strings.Join(reportModes(cur), ", "))
	}
	return ts, nil
}

func tolText(t Tolerance) string {
	var parts []string
	if t.Rel != 0 {
		parts = append(parts, strconv.FormatFloat(t.Rel*100, 'f', -1, 64)+"%")
	}
	if t.Abs != 0 {
		parts = append(parts, strconv.FormatFloat(t.Abs, 'f', -1, 64))
	}
	if len(parts) == 0 {
		return ", exact"
	}
	return ", tolerance " + strings.Join(parts, " + ")
}

func findMode(r *reports.Report, name string) *reports.Mode {
	for i := range r.Modes {
		if r.Modes[i].Mode == name {
			return &r.Modes[i]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
