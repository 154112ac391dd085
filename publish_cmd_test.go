package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbauerster/mpb/v8"

	"github.com/poolbench/poolbench/reports"
)

// saveRun runs the quick scenario with args and saves its JSON report.
func saveRun(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	stdout, stderr, code := cli(t, append([]string{"run", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("run %v: exit %d: %s", args, code, stderr)
	}
	if stderr != "" {
		t.Errorf("run %v wrote to stderr (no terminal, so no progress): %q", args, stderr)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readJSONFile(t *testing.T, path string) *reports.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := reports.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Two shards of 41 requests per mode send 21 and 20, and their merge has
// exactly 41 requests per mode, 41 latency values, and the summed counts.
func TestShardsMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := saveRun(t, dir, "a.json", "-n", "41", "-c", "2", "--shard", "1/2")
	b := saveRun(t, dir, "b.json", "-n", "41", "-c", "2", "--shard", "2/2")
	ra, rb := readJSONFile(t, a), readJSONFile(t, b)
	if ra.Shard == nil || *ra.Shard != (reports.Shard{Index: 1, Count: 2}) || ra.Scenario.Requests != 21 || rb.Scenario.Requests != 20 {
		t.Fatalf("shards: %+v %d, %+v %d; want 1/2 with 21 and 2/2 with 20 requests", ra.Shard, ra.Scenario.Requests, rb.Shard, rb.Scenario.Requests)
	}
	out := filepath.Join(dir, "merged.json")
	stdout, stderr, code := cli(t, "merge", a, b, "-o", out)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "per-request / singleton") {
		t.Errorf("merge printed no table:\n%s", stdout)
	}
	m := readJSONFile(t, out)
	if got, want := m.Scenario.Requests, 41; got != want {
		t.Errorf("merged scenario requests = %d, want %d", got, want)
	}
	for i, mode := range m.Modes {
		h, err := mode.Hist()
		if err != nil {
			t.Fatal(err)
		}
		if mode.Requests != 41 || h.TotalCount() != 41 {
			t.Errorf("%s: requests %d, histogram %d; want 41, 41", mode.Mode, mode.Requests, h.TotalCount())
		}
		if got, want := mode.Client.Dials, ra.Modes[i].Client.Dials+rb.Modes[i].Client.Dials; got != want {
			t.Errorf("%s: dials %d, want %d", mode.Mode, got, want)
		}
		// A dial the client abandoned may still have reached the server.
		if s := mode.Server; s == nil || s.Connections < mode.Client.Dials || s.Connections > mode.Client.Dials+mode.Client.DialErrors {
			t.Errorf("%s: server %+v, want the summed dials %d (+ up to %d abandoned)", mode.Mode, mode.Server, mode.Client.Dials, mode.Client.DialErrors)
		}
	}
	// The same shard twice is refused: its requests would count twice.
	_, stderr, code = cli(t, "merge", a, a, "-o", filepath.Join(dir, "twice.json"))
	if code != 2 || !strings.Contains(stderr, "are both shard 1/2") {
		t.Errorf("merge a a: exit %d, %q; want 2 and a duplicate-shard error", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "twice.json")); err == nil {
		t.Error("a refused merge wrote its output")
	}
}

func TestMergeRefusesOtherScenario(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := saveRun(t, dir, "a.json", "-n", "8", "-c", "2")
	b := saveRun(t, dir, "b.json", "--scenario", "churn", "--modes", "per-request,singleton", "-n", "8", "-c", "2")
	_, stderr, code := cli(t, "merge", a, b, "-o", filepath.Join(dir, "m.json"))
	want := `poolbench: merge: ` + b + ` is scenario "churn" but ` + a + ` is scenario "quick": only reports of one scenario merge` + "\n"
	if code != 2 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, stderr, want)
	}
}

func TestReportFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := saveRun(t, dir, "r.json", "-n", "40", "-c", "2")
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"table", []string{"per-request / singleton", "new connections (dials)"}},
		{"markdown", []string{"# poolbench report: quick", "## What this shows", "`per-request` clients opened 40 new connections", "| Go | go"}},
		{"json", []string{`"schema": "poolbench/report/v1"`}},
		{"html", []string{"<!DOCTYPE html>", "<svg", "</html>"}},
		{"benchstat", []string{"BenchmarkPoolbench/scenario=quick/mode=per-request \t40\t", " dials/op\t"}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := cli(t, "report", path, "--format", tc.format)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("report --format %s lacks %q", tc.format, w)
				}
			}
		})
	}
	out := filepath.Join(dir, "page.html")
	if stdout, stderr, code := cli(t, "report", path, "--format", "html", "-o", out); code != 0 || stdout != "" {
		t.Fatalf("-o: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("page.html: %v", err)
	}
}

func TestPublishBadInputExits2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notReport := filepath.Join(dir, "x.json")
	os.WriteFile(notReport, []byte(`{"schema":"other"}`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"report no file", []string{"report"}, "report: want one report file"},
		{"report missing file", []string{"report", filepath.Join(dir, "nope.json")}, "no such file or directory"},
		{"report not a report", []string{"report", notReport}, `x.json: decode report: schema "other"`},
		{"report bad format", []string{"report", notReport, "--format", "pdf"}, `report: --format: unknown format "pdf"`},
		{"compare one file", []string{"compare", notReport}, "compare: want two report files"},
		{"compare bad alpha", []string{"compare", notReport, notReport, "--alpha", "2"}, "compare: --alpha 2"},
		{"compare html", []string{"compare", notReport, notReport, "--format", "html"}, `compare: --format "html"`},
		{"merge no output", []string{"merge", notReport}, "merge: -o OUT.json is required"},
		{"merge no inputs", []string{"merge", "-o", filepath.Join(dir, "m.json")}, "merge: want the report files"},
		{"shard syntax", []string{"run", "--shard", "2"}, `run: --shard "2": want i/n`},
		{"shard range", []string{"run", "--shard", "5/4"}, `run: --shard "5/4": want 1 <= i <= n`},
		{"shard too small", []string{"run", "-n", "2", "-c", "1", "--shard", "3/3"}, "2 requests leave shard 3 none"},
		{"shard below c", []string{"run", "-n", "10", "-c", "4", "--shard", "4/4"}, "-c 4 is more than the 2 requests"},
		{"csv without out", []string{"run", "--requests-csv"}, "--requests-csv needs --out DIR"},
		{"csv max without csv", []string{"run", "--csv-max", "5"}, "--csv-max needs --requests-csv"},
		{"csv max zero", []string{"run", "--requests-csv", "--out", filepath.Join(dir, "o"), "--csv-max", "0"}, "--csv-max 0: want 1..10000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := cli(t, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, one line containing %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestCompareCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := saveRun(t, dir, "old.json", "-n", "60", "-c", "2")
	b := saveRun(t, dir, "new.json", "-n", "60", "-c", "2", "--modes", "singleton-default-pool,singleton")
	stdout, stderr, code := cli(t, "compare", a, b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dialsRow := false
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(strings.ReplaceAll(line, "|", " ")); len(f) == 6 && f[0] == "singleton" && f[1] == "dials" && (f[5] == "same") == (f[2] == f[3]) {
			dialsRow = true
		}
	}
	if !dialsRow {
		t.Errorf("compare output has no singleton dials row with an exact verdict:\n%s", stdout)
	}
	for _, want := range []string{"Mann-Whitney U over 60 and 60 requests", "Mode per-request is only in the old run.", "Mode singleton-default-pool is only in the new run."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, code = cli(t, "compare", a, b, "--format", "benchstat")
	if code != 0 || strings.Count(stdout, "\nBenchmarkPoolbench/") != 4 || !strings.Contains(stdout, "\nrun: old\n") || !strings.Contains(stdout, "\nrun: new\n") {
		t.Errorf("benchstat output: exit %d\n%s", code, stdout)
	}
}

// requests.csv holds at most --csv-max rows per mode, each a real request.
func TestRequestsCSV(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := cli(t, "run", "-n", "40", "-c", "4", "--out", dir, "--requests-csv", "--csv-max", "10"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "requests.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	perMode := map[string]int{}
	for _, r := range rows[1:] {
		perMode[r[0]]++
		if r[6] != "ok" {
			t.Errorf("row %q: result %q, want ok", r, r[6])
		}
	}
	if perMode["per-request"] != 10 || perMode["singleton"] != 10 || len(rows) != 21 {
		t.Errorf("rows per mode = %v (%d rows), want 10 each and a header", perMode, len(rows))
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !bytes.Contains(md, []byte("(requests.csv)")) {
		t.Error("report.md does not link requests.csv")
	}
}

// Progress is drawn only on a terminal: not on a buffer, not on a file,
// not with --quiet; mpb itself draws nothing on a non-terminal either.
func TestProgressOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := newProgress(f, false); p != nil {
		t.Error("progress on a regular file")
	}
	if p := newProgress(&bytes.Buffer{}, false); p != nil {
		t.Error("progress on a buffer")
	}
	if p := newProgress(os.Stderr, true); p != nil {
		t.Error("progress with --quiet")
	}
	var nilProgress *progress
	nilProgress.finish() // safe: run calls it whatever newProgress returned

	// mpb on a non-terminal renders nothing, bars or not.
	p := mpb.New(mpb.WithOutput(f), mpb.WithWidth(40))
	bar := p.New(100, mpb.BarStyle())
	bar.SetCurrent(50)
	bar.SetTotal(-1, true)
	p.Wait()
	if st, err := f.Stat(); err != nil || st.Size() != 0 {
		t.Errorf("mpb wrote %d bytes to a file (err %v), want 0", st.Size(), err)
	}
}
