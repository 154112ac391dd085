package gate

import (
	"bytes"
	"encoding/xml"
	"github.com/poolbench/poolbench/internal/golden"
	"strings"
	"testing"
)

// mixedVerdict has a passed, a failed, a skipped, a baseline and an
// unknown-value check.
func mixedVerdict(t *testing.T) *Verdict {
	t.Helper()
	r := fixture()
	r.Modes[1].Server = nil
	ts, err := ParseAll([]string{"per-request.dials == requests", "singleton.errors == 0", "singleton-default-pool.dials <= concurrency"}, "scenario")
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range ts {
		th.Optional = true
	}
	flags, err := ParseAll([]string{"singleton.p99 <= 50ms", "ratio(per-request.p50, singleton.p50) >= 3", "singleton.server.connections <= concurrency", `singleton.reuse_ratio >= 99.7%`}, "flag")
	if err != nil {
		t.Fatal(err)
	}
	tol := Tolerances{}
	if err := tol.Parse("p99=10%"); err != nil {
		t.Fatal(err)
	}
	base := fixture()
	base.Modes = base.Modes[1:]
	base.Modes[0].Client.Dials = 7
	bl, err := Baseline(base, r, tol)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Evaluate(r, append(append(ts, flags...), bl...))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file     string
		markdown bool
	}{{"verdict.txt", false}, {"verdict.md", true}} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := WriteTable(&b, mixedVerdict(t), tc.markdown); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, b.Bytes())
		})
	}
}

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	v := mixedVerdict(t)
	var b bytes.Buffer
	if err := WriteJUnit(&b, v, "poolbench gate: quick"); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "junit.xml", b.Bytes())

	// The file must be XML a CI system reads: decode it with no help from
	// the writer's types and count what it says.
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("JUnit output is not XML: %v", err)
	}
	passed, failed, skipped := v.Counts()
	if got, want := doc.Tests, passed+failed+skipped; got != want {
		t.Errorf("tests = %d, want %d", got, want)
	}
	if got, want := doc.Failures, failed; got != want || got == 0 {
		t.Errorf("failures = %d, want %d (> 0)", got, want)
	}
	if got, want := doc.Skipped, skipped; got != want || got == 0 {
		t.Errorf("skipped = %d, want %d (> 0)", got, want)
	}
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != len(v.Checks) {
		t.Fatalf("want one suite with %d testcases, got %+v", len(v.Checks), doc.Suites)
	}
	for i, c := range doc.Suites[0].Cases {
		chk := v.Checks[i]
		if c.Name != chk.Expr {
			t.Errorf("testcase %d name %q, want %q", i, c.Name, chk.Expr)
		}
		if got, want := c.Failure != nil, !chk.Passed && !chk.Skipped; got != want {
			t.Errorf("testcase %q: failure element %v, want %v", c.Name, got, want)
		}
		if got, want := c.Skipped != nil, chk.Skipped; got != want {
			t.Errorf("testcase %q: skipped element %v, want %v", c.Name, got, want)
		}
		if !strings.HasPrefix(c.Classname, "poolbench.gate.") {
			t.Errorf("testcase %q: classname %q", c.Name, c.Classname)
		}
	}
}

func TestVerdictReport(t *testing.T) {
	t.Parallel()
	v := mixedVerdict(t)
	g := v.Report()
	if g.Passed || len(g.Checks) != len(v.Checks) {
		t.Fatalf("report verdict passed %v with %d checks, want false with %d", g.Passed, len(g.Checks), len(v.Checks))
	}
	c := g.Checks[0]
	if c.Expr != "per-request.dials == requests" || c.Value != 2000 || !c.Passed || c.Source != "scenario" || c.Detail != "want == 2000" {
		t.Errorf("first check = %+v", c)
	}
	if c := g.Checks[2]; !c.Skipped || c.Passed || c.Detail != "mode singleton-default-pool not in this run" {
		t.Errorf("skipped check = %+v", c)
	}
}
