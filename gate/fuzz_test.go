package gate

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds the parser arbitrary text: it must never panic, every
// error must be an *Error on one line with a column inside the expression,
// and whatever parses must evaluate against a report without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range DefaultThresholds {
		f.Add(s)
	}
	for _, s := range []string{
		"ratio(per-request.p50, singleton.p50) >= 3",
		"singleton.p99 <= 50ms",
		"max(singleton.p99, 1s, 200us) < 99%",
		"-(singleton.dials - -2) * 3 / concurrency != abs(-1)",
		"singleton.errors.http_5xx == 0",
		"((1)) < (2",
		"1.5µs == .5%",
		"a.b.c <= 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		th, err := Parse(expr)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T %v, want *Error", expr, err, err)
			}
			trimmed := strings.TrimSpace(expr)
			if pe.Col < 1 || pe.Col > utf8.RuneCountInString(trimmed)+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", expr, pe.Col, utf8.RuneCountInString(trimmed)+1)
			}
			if strings.ContainsAny(err.Error(), "\n") && !strings.ContainsAny(expr, "\n") {
				t.Fatalf("Parse(%q): error on more than one line: %q", expr, err)
			}
			return
		}
		th.Optional = true
		v, err := Evaluate(fixture(), []*Threshold{th})
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) && !errors.Is(err, ErrNothingChecked) {
				t.Fatalf("Evaluate(%q) error %T %v", expr, err, err)
			}
			return
		}
		if len(v.Checks) != 1 {
			t.Fatalf("Evaluate(%q): %d checks, want 1", expr, len(v.Checks))
		}
	})
}
