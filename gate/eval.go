package gate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/poolbench/poolbench/reports"
)

// DefaultThresholds gate the default scenario's reuse exactly, by counts:
// they give the same verdict on every run. The per-request mode must pay
// one dial per request (proof that the harness counts), and the singleton
// at most one connection and one TLS handshake per worker, with no failed
// request in either mode.
var DefaultThresholds = []string{
	"per-request.errors == 0",
	"singleton.errors == 0",
	"per-request.dials == requests",
	"singleton.pool_rejected == 0",
	"singleton.dials <= concurrency + singleton.closed_after_use",
	"singleton.tls_handshakes <= concurrency + singleton.closed_after_use",
	"singleton.reuse_ratio >= 0.99",
}

// ParseAll parses exprs, giving each the source; the first bad one is the
// error.
func ParseAll(exprs []string, source string) ([]*Threshold, error) {
	ts := make([]*Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := Parse(e)
		if err != nil {
			return nil, err
		}
		t.Source = source
		ts = append(ts, t)
	}
	return ts, nil
}

// Result is one evaluated threshold.
type Result struct {
	Expr   string
	Source string
	// Value is the left side's value, Limit the right side's; Unit is how
	// they are shown ("ms", "req/s" or "").
	Value, Limit float64
	Unit         string
	Op           string
	Passed       bool
	// Unknown is set when a value could not be known (Detail says why).
	Unknown bool
	// Skipped is set for an optional threshold naming a mode the run did
	// not have; it neither passes nor fails the gate.
	Skipped bool
	// Detail says why a check was skipped or could not be evaluated, or
	// carries the threshold's Note.
	Detail string
}

// ValueText returns the value as the table shows it.
func (r *Result) ValueText() string {
	switch {
	case r.Skipped:
		return "-"
	case r.Unknown:
		return "unknown"
	}
	return formatNumber(r.Value, r.Unit)
}

// WantText returns the comparison the value had to satisfy ("<= 8").
func (r *Result) WantText() string {
	if r.Skipped {
		return "-"
	}
	return r.Op + " " + formatNumber(r.Limit, r.Unit)
}

// Status returns PASS, FAIL or SKIP.
func (r *Result) Status() string {
	switch {
	case r.Skipped:
		return "SKIP"
	case r.Passed:
		return "PASS"
	}
	return "FAIL"
}

// Verdict is the outcome of a gate.
type Verdict struct {
	// Passed is set when every check that was evaluated passed.
	Passed bool
	Checks []Result
}

// Counts returns the numbers of passed, failed and skipped checks.
func (v *Verdict) Counts() (passed, failed, skipped int) {
	for _, c := range v.Checks {
		switch {
		case c.Skipped:
			skipped++
		case c.Passed:
			passed++
		default:
			failed++
		}
	}
	return passed, failed, skipped
}

// Summary returns one line: "PASS: 6 of 6 checks passed" or
// "FAIL: 1 of 7 checks failed (...)".
func (v *Verdict) Summary() string {
	p, f, s := v.Counts()
	skipped := ""
	if s > 0 {
		skipped = fmt.Sprintf(", %d skipped", s)
	}
	if v.Passed {
		return fmt.Sprintf("PASS: %d of %d checks passed%s", p, p+f, skipped)
	}
	return fmt.Sprintf("FAIL: %d of %d checks failed%s", f, p+f, skipped)
}

// Report returns the verdict as the report's gate field.
func (v *Verdict) Report() *reports.GateVerdict {
	g := &reports.GateVerdict{Passed: v.Passed, Checks: []reports.GateCheck{}}
	for _, c := range v.Checks {
		detail := c.Detail
		if !c.Skipped {
			want := c.WantText()
			if detail != "" {
				want += "; " + detail
			}
			detail = "want " + want
		}
		value := c.Value
		if c.Unknown || math.IsNaN(value) || math.IsInf(value, 0) {
			value = 0 // JSON has no NaN or Inf; the detail says what it was
		}
		g.Checks = append(g.Checks, reports.GateCheck{
			Expr: c.Expr, Value: value, Passed: c.Passed && !c.Skipped, Detail: detail,
			Skipped: c.Skipped, Source: c.Source,
		})
	}
	return g
}

// ErrNothingChecked is returned when every threshold was skipped: a gate
// that checks nothing must not pass.
var ErrNothingChecked = errors.New("no threshold applies to the modes of this run")

// Evaluate checks every threshold against r. A threshold naming a mode r
// does not have is an *Error unless it is Optional (then it is skipped); a
// value that cannot be known (server counts of a run without them, 0/0)
// fails its check with the reason in Detail.
func Evaluate(r *reports.Report, ts []*Threshold) (*Verdict, error) {
	v := &Verdict{Passed: true}
	have := reportModes(r)
	evaluated := 0
	for _, t := range ts {
		res := Result{Expr: t.Expr, Source: t.Source, Op: t.op, Detail: t.Note, Unit: unitOf(t.lhs, t.rhs)}
		if t.Optional {
			var missing []string
			for _, m := range t.Modes() {
				if !slices.Contains(have, m) {
					missing = append(missing, m)
				}
			}
			if len(missing) > 0 {
				res.Skipped = true
				res.Detail = fmt.Sprintf("mode %s not in this run", missing[0])
				v.Checks = append(v.Checks, res)
				continue
			}
		}
		evaluated++
		e := &env{expr: t.Expr, r: r}
		l, lerr := t.lhs.eval(e)
		r, rerr := t.rhs.eval(e)
		var bad *Error
		if errors.As(lerr, &bad) || errors.As(rerr, &bad) {
			return nil, bad
		}
		res.Value, res.Limit = l, r
		switch err := errors.Join(lerr, rerr); {
		case err != nil:
			res.Unknown = true
			res.Detail = join(res.Detail, "cannot evaluate: "+err.Error())
		case math.IsNaN(l) || math.IsNaN(r):
			res.Detail = join(res.Detail, "undefined value (0/0)")
		default:
			res.Passed = compare(l, t.op, r)
		}
		if !res.Passed {
			v.Passed = false
		}
		v.Checks = append(v.Checks, res)
	}
	if evaluated == 0 {
		return nil, ErrNothingChecked
	}
	return v, nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func compare(l float64, op string, r float64) bool {
	switch op {
	case "==":
		return l == r
	case "!=":
		return l != r
	case "<":
		return l < r
	case "<=":
		return l <= r
	case ">":
		return l > r
	case ">=":
		return l >= r
	}
	return false
}

func unitOf(l, r node) string {
	if d := l.dim(); d != dimNone {
		return d.unit()
	}
	return r.dim().unit()
}

// formatValue formats v of dim d the way it would be written in an
// expression.
func formatValue(v float64, d dim) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	switch d {
	case dimTime:
		return s + "ms"
	}
	return s
}

// formatNumber formats v for a table: at most three decimals, then the unit.
func formatNumber(v float64, unit string) string {
	var s string
	switch {
	case math.IsNaN(v):
		s = "NaN"
	case math.IsInf(v, 1):
		s = "+Inf"
	case math.IsInf(v, -1):
		s = "-Inf"
	case unit == "%":
		return strconv.FormatFloat(math.Round(v*100000)/1000, 'f', -1, 64) + "%"
	default:
		s = strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}
