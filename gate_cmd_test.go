package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/gate"
	"github.com/poolbench/poolbench/reports"
	"github.com/poolbench/poolbench/scenarios"
)

// small keeps gate runs in tests short: the default scenario's modes,
// 400 requests at concurrency 4 (the fewest at which the reuse ratio of
// 4 dials reaches the default 99%).
var small = []string{"-n", "400", "-c", "4"}

func TestGateBadInputExits2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rep := writeReport(t, dir)
	// A report of a scenario the catalog does not know brings no thresholds.
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "custom.json")
	if err := os.WriteFile(renamed, []byte(strings.Replace(string(data), `"name": "quick"`, `"name": "custom"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad expression", []string{"--threshold", "singleton.dails <= 8"},
			`poolbench: gate: --threshold: threshold "singleton.dails <= 8": column 11: unknown metric "dails" (metrics: requests, ok, errors, dials,`},
		{"syntax error", []string{"--threshold", "singleton.dials = 8"}, `column 17: unexpected "=" (compare with ==)`},
		{"unknown unit", []string{"--threshold", "singleton.p99 < 5 ms"}, `column 19: unexpected "ms" after the expression`},
		{"unknown mode", []string{"--report", rep, "--threshold", "singelton.dials <= 8"},
			`column 1: unknown mode "singelton" (modes in the report: per-request, singleton)`},
		{"run flag with a report", []string{"--report", rep, "-n", "10"}, "gate: --n applies to a run, not to --report"},
		{"missing report", []string{"--report", filepath.Join(dir, "nope.json")}, "gate: --report: open "},
		{"bad tolerance", []string{"--baseline", rep, "--max-regression", "p98=10%"}, `unknown metric "p98"`},
		{"tolerance without baseline", []string{"--max-regression", "p99=10%"}, "--max-regression needs --baseline"},
		{"junit into a missing directory", []string{"--junit", filepath.Join(dir, "no", "such", "junit.xml")}, "gate: --junit: stat "},
		{"nothing to check", []string{"--report", renamed}, "gate: nothing to check: scenario custom has no thresholds; give --threshold or --baseline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectBadInput(t, append([]string{"gate"}, tc.args...), tc.want)
		})
	}
}

// writeReport runs the default scenario small and saves its report.
func writeReport(t *testing.T, dir string) string {
	t.Helper()
	stdout, stderr, code := cli(t, append([]string{"run", "--format", "json"}, small...)...)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGatePasses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	out := filepath.Join(dir, "out")
	stdout, stderr, code := cli(t, append([]string{"gate", "--junit", junit, "--out", out,
		"--threshold", "ratio(per-request.dials, singleton.dials) >= 5"}, small...)...)
	if code != 0 {
		t.Fatalf("exit code %d, want 0; stderr %q\n%s", code, stderr, stdout)
	}
	for _, want := range []string{
		"| PASS   | singleton.dials <= concurrency + singleton.closed_after_use ", "| PASS   | ratio(per-request.dials, singleton.dials) >= 5 ",
		"PASS: 8 of 8 checks passed\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	checkRow(t, stdout, "PASS", "per-request.dials == requests", "400", "== 400")
	// The JUnit file: XML with one testcase per check, none failed.
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	if doc.Tests != 8 || doc.Failures != 0 || len(doc.Suite.Cases) != 8 || doc.Suite.Cases[0].Name != gate.DefaultThresholds[0] {
		t.Errorf("junit: %+v", doc)
	}
	// The bundle's report carries the verdict.
	fh, err := os.Open(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rep, err := reports.ReadJSON(fh)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Gate == nil || !rep.Gate.Passed || len(rep.Gate.Checks) != 8 {
		t.Fatalf("report gate = %+v", rep.Gate)
	}
	if c := rep.Gate.Checks[2]; c.Expr != "per-request.dials == requests" || c.Value != 400 || !c.Passed || c.Source != "scenario" {
		t.Errorf("check 2 = %+v", c)
	}
}

// checkRow finds the table row of check expr with its result, value and
// want, whatever the column widths (they follow the widest value).
func checkRow(t *testing.T, table, result, expr, value, want string) {
	t.Helper()
	re := regexp.MustCompile(`\| ` + result + ` +\| ` + regexp.QuoteMeta(expr) + ` +\| +` + regexp.QuoteMeta(value) + ` \| ` + regexp.QuoteMeta(want) + ` +\|`)
	if !re.MatchString(table) {
		t.Errorf("no row %s | %s | %s | %s in:\n%s", result, expr, value, want, table)
	}
}

func TestGateFailsExit1(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	// per-request held to the singleton's reuse thresholds.
	stdout, stderr, code := cli(t, append([]string{"gate", "--modes", "per-request", "--junit", junit,
		"--threshold", "per-request.dials <= concurrency", "--threshold", "per-request.reuse_ratio >= 99%"}, small...)...)
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr %q", code, stderr)
	}
	if got, want := stderr, "poolbench: gate failed: 2 of 4 checks failed\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	for _, want := range []string{
		"| FAIL   | per-request.reuse_ratio >= 99% ", "| SKIP   | singleton.dials <= concurrency + singleton.closed_after_use ",
		"FAIL: 2 of 4 checks failed, 5 skipped\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	checkRow(t, stdout, "FAIL", "per-request.dials <= concurrency", "400", "<= 4")
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `failures="2" skipped="5"`) {
		t.Errorf("junit.xml lacks the failure counts:\n%s", data)
	}
}

func TestGateReportAndBaseline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rep := writeReport(t, dir)
	// The same report against itself as the baseline: every count equal.
	stdout, stderr, code := cli(t, "gate", "--report", rep, "--baseline", rep, "--max-regression", "p99=0%")
	if code != 0 {
		t.Fatalf("exit code %d, want 0; stderr %q\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "| PASS   | singleton.dials <= ") || !strings.Contains(stdout, "baseline ") {
		t.Errorf("no baseline rows:\n%s", stdout)
	}
	// A baseline that had fewer singleton dials: this run regressed.
	var r reports.Report
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	r.Modes[1].Client.Dials--
	better := filepath.Join(dir, "better.json")
	fh, err := os.Create(better)
	if err != nil {
		t.Fatal(err)
	}
	if err := reports.WriteJSON(fh, &r); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	stdout, stderr, code = cli(t, "gate", "--report", rep, "--baseline", better)
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr %q\n%s", code, stderr, stdout)
	}
	want := "| FAIL   | singleton.dials <= " + strings.TrimSpace(formatInt(r.Modes[1].Client.Dials))
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	// A baseline of another workload is bad input.
	_, stderr, code = cli(t, append([]string{"gate", "--baseline", rep}, "-n", "80", "-c", "4")...)
	if code != 2 || !strings.Contains(stderr, "baseline ran 400 requests at concurrency 4, this run 80 at 4") {
		t.Errorf("different workload: exit %d, stderr %q", code, stderr)
	}
}

func formatInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestGateStepSummary sets the environment, so it does not run in parallel.
func TestGateStepSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(summary, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	_, stderr, code := cli(t, append([]string{"gate"}, small...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"earlier step\n### poolbench gate: quick — PASS\n", "| PASS   | `singleton.dials <= concurrency + singleton.closed_after_use`", "**PASS: 7 of 7 checks passed**", "<details><summary>Comparison</summary>"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestDefaultScenarioThresholds(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Lookup(scenarios.Default)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Thresholds != nil && !slices.Equal(sc.Thresholds, gate.DefaultThresholds) {
		t.Errorf("scenario %s thresholds %q differ from gate.DefaultThresholds %q", sc.Name, sc.Thresholds, gate.DefaultThresholds)
	}
	for _, sc := range scenarios.Catalog() {
		if _, err := gate.ParseAll(sc.Thresholds, "scenario"); err != nil {
			t.Errorf("scenario %s: %v", sc.Name, err)
		}
	}
}
