package reports

import (
	"bytes"
	"encoding/csv"
	"github.com/poolbench/poolbench/internal/golden"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/harness"
)

// sampleValues returns n deterministic latencies (µs) around base with a
// tail: every 100th is base+5 ms.
func sampleValues(n int, base, spread int64) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = base + int64(i)*7919%spread
		if i%100 == 99 {
			v[i] += 5000
		}
	}
	return v
}

func histOf(t testing.TB, values []int64) *hdrhistogram.Histogram {
	t.Helper()
	h := harness.NewHistogram()
	for _, v := range values {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func encode(t testing.TB, h *hdrhistogram.Histogram) string {
	t.Helper()
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sampleReport is a two-mode report whose every figure derives from fixed
// histograms and counts, with a fixed environment: renderings of it are
// byte-stable.
func sampleReport(t testing.TB) *Report {
	t.Helper()
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	mode := func(name string, values []int64, dur float64, c Client, built int64, offset time.Duration) Mode {
		h := histOf(t, values)
		n := int64(len(values))
		return Mode{
			Mode: name, Requests: n, OK: n, Errors: map[string]int64{},
			DurationS: dur, ThroughputRPS: float64(n) / dur,
			Client:    c,
			Server:    &Server{Connections: c.Dials, TLSHandshakes: c.TLSHandshakes, Requests: n},
			LatencyMS: Summarize(h), Histogram: encode(t, h),
			StartedAt: start.Add(offset), ClientsBuilt: built,
		}
	}
	modes := []Mode{
		mode("per-request", sampleValues(2000, 2500, 1000), 0.75,
			Client{Dials: 2000, TLSHandshakes: 2000, NewConnRequests: 2000, MeanDialMS: 0.12, MeanTLSMS: 1.9}, 2000, 0),
		mode("singleton", sampleValues(2000, 350, 300), 0.125,
			Client{Dials: 8, TLSHandshakes: 8, Reused: 1992, NewConnRequests: 8, MeanDialMS: 0.1, MeanTLSMS: 1.8}, 1, time.Second),
	}
	return &Report{
		Schema: Schema,
		Scenario: Scenario{Name: "quick", Description: "2,000 requests at concurrency 8, per-request against singleton clients, on loopback",
			Requests: 2000, Concurrency: 8, Modes: []string{"per-request", "singleton"}},
		Environment: Environment{Go: "go1.26.8", OS: "linux", Arch: "amd64", CPUs: 2, CPUModel: "Test CPU @ 2.00GHz", StartedAt: start},
		Modes:       modes,
		Comparison:  Compare(modes),
	}
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteMarkdownWith(&b, sampleReport(t), MarkdownOptions{Charts: true, HGRM: []string{"per-request.hgrm", "singleton.hgrm"}, CSV: RequestsCSVFile}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report.md", b.Bytes())
}

func TestHGRMGolden(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	var b bytes.Buffer
	if err := WriteHGRM(&b, &r.Modes[1]); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "singleton.hgrm", b.Bytes())
	// The last line is HdrHistogram's summary: the plotter reads it.
	if !strings.Contains(b.String(), "#[Mean    =") || !strings.Contains(b.String(), "#[Max     =") {
		t.Errorf(".hgrm lacks the summary footer:\n%s", b.String())
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	got := Summary(r)
	for _, want := range []string{
		"`per-request` clients opened 2,000 new connections and completed 2,000 TLS handshakes for 2,000 requests (one of each per request).",
		"`singleton` opened 8 and completed 8 for 2,000 requests (99.6% of its requests reused a connection).",
		"`singleton`'s p50 was 6.0x lower (0.50 ms against 3.00 ms)",
		"its throughput 6.0x higher (16,000 against 2,667 requests/s)",
		"The server counted exactly the same connections and handshakes as the client.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	r.Modes[1].Errors = map[string]int64{"http_5xx": 3}
	r.Modes[1].OK -= 3
	r.Modes[1].Server.Connections = 9
	r.Modes[1].Warnings = []string{"x"}
	got = Summary(r)
	for _, want := range []string{
		"3 of `singleton`'s 2,000 requests failed (http_5xx 3).",
		"differ from the client's in at least one mode",
		"The run raised 1 warning, listed under the results table.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

func TestLowerHigher(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b float64
		want string
	}{
		{6.1, 1, "6.1x lower"}, {1, 2, "2.0x higher"}, {1, 1.02, "about the same"}, {0, 1, "not comparable"},
	} {
		if got := lowerHigher(tc.a, tc.b, "lower", "higher"); got != tc.want {
			t.Errorf("lowerHigher(%v, %v) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 2000000: "2,000,000", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWriteBundle(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	r := sampleReport(t)
	recs := []ModeRecords{{Mode: "singleton", Records: []harness.RequestRecord{
		{Index: 0, Worker: 0, Start: 10 * time.Microsecond, Latency: 1500 * time.Microsecond, TTFB: 1400 * time.Microsecond, Kind: "ok"},
		{Index: 1, Worker: 1, Start: 12 * time.Microsecond, Latency: 2 * time.Millisecond, Kind: "http_5xx", Reused: true},
	}}}
	if err := WriteBundle(dir, r, BundleOptions{Requests: recs}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"connections.svg", "latency.png", "latency.svg", "per-request.hgrm", "report.json", "report.md", "requests.csv", "singleton.hgrm"}
	if !slices.Equal(names, want) {
		t.Fatalf("bundle files = %q, want %q (no temporary file left)", names, want)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	back, err := ReadJSON(bytes.NewReader(read("report.json")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Modes[1].Histogram, r.Modes[1].Histogram; got != want {
		t.Error("report.json histogram differs from the report's")
	}
	img, err := png.Decode(bytes.NewReader(read("latency.png")))
	if err != nil {
		t.Fatalf("latency.png: %v", err)
	}
	if b := img.Bounds(); b.Dx() != int(latencyW.Dots(96)) || b.Dy() != int(latencyH.Dots(96)) {
		t.Errorf("latency.png is %dx%d, want %dx%d", b.Dx(), b.Dy(), int(latencyW.Dots(96)), int(latencyH.Dots(96)))
	}
	for _, name := range []string{"latency.svg", "connections.svg"} {
		svg := string(read(name))
		if !strings.Contains(svg, "<svg") || !strings.HasSuffix(svg, "</svg>\n") {
			t.Errorf("%s is not a whole SVG document", name)
		}
		for _, m := range r.Modes {
			if !strings.Contains(svg, ">"+m.Mode+"<") {
				t.Errorf("%s does not name mode %s", name, m.Mode)
			}
		}
	}
	if svg := string(read("connections.svg")); !strings.Contains(svg, ">2000<") || !strings.Contains(svg, ">8<") {
		t.Errorf("connections.svg lacks the bar labels 2000 and 8")
	}
	rows, err := csv.NewReader(bytes.NewReader(read("requests.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{CSVHeader,
		{"singleton", "0", "0", "10", "1500", "1400", "ok", "false"},
		{"singleton", "1", "1", "12", "2000", "", "http_5xx", "true"},
	}
	if !slices.EqualFunc(rows, wantRows, slices.Equal) {
		t.Errorf("requests.csv = %q, want %q", rows, wantRows)
	}
	md := string(read("report.md"))
	for _, link := range []string{"(latency.svg)", "(latency.png)", "(connections.svg)", "(singleton.hgrm)", "(requests.csv)", "(report.json)"} {
		if !strings.Contains(md, link) {
			t.Errorf("report.md does not link %s", link)
		}
	}

	// Written again without Force: refused, nothing changed.
	if err := WriteBundle(dir, r, BundleOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second WriteBundle = %v, want a not-empty error", err)
	}
	if err := WriteBundle(dir, r, BundleOptions{Force: true}); err != nil {
		t.Errorf("WriteBundle with Force = %v", err)
	}
}

// Charts are deterministic: the same report draws the same bytes, so a
// committed sample bundle only changes when its numbers do.
func TestChartsDeterministic(t *testing.T) {
	t.Parallel()
	for _, f := range []func(*Report) ([]byte, error){LatencySVG, LatencyPNG, ConnectionsSVG} {
		a, err := f(sampleReport(t))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := f(sampleReport(t))
		if !bytes.Equal(a, b) {
			t.Error("the same report drew different charts")
		}
	}
}

func TestSpectrum(t *testing.T) {
	t.Parallel()
	h := histOf(t, sampleValues(2000, 2500, 1000))
	pts := Spectrum(h)
	if got, want := pts[0], (SpectrumPoint{X: 1, MS: float64(h.ValueAtQuantile(0)) / 1000}); got != want {
		t.Errorf("first point = %+v, want %+v", got, want)
	}
	if got, want := pts[len(pts)-1], (SpectrumPoint{X: 2000, MS: float64(h.Max()) / 1000}); got != want {
		t.Errorf("last point = %+v, want %+v (the max at 1/(1-q) = count)", got, want)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].X < pts[i-1].X || pts[i].MS < pts[i-1].MS {
			t.Errorf("point %d %+v is below point %d %+v: a spectrum never falls", i, pts[i], i-1, pts[i-1])
		}
	}
	// 20 points a decade over 3.3 decades, plus the maximum.
	if got, want := len(pts), 67+1; got != want {
		t.Errorf("points = %d, want %d", got, want)
	}
	if Spectrum(harness.NewHistogram()) != nil {
		t.Error("spectrum of an empty histogram is not nil")
	}
}

func TestBenchstatGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteBenchstat(&b, sampleReport(t), [][2]string{{"run", "new"}}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "benchstat.txt", b.Bytes())
}

func TestLogLatencyAxis(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p50s []float64
		want bool
	}{
		{[]float64{3, 0.5}, false}, {[]float64{15.75, 0.19}, true}, {[]float64{1, 10}, true}, {[]float64{5}, false}, {[]float64{0, 5}, false},
	} {
		if got := logLatency(tc.p50s); got != tc.want {
			t.Errorf("logLatency(%v) = %v, want %v", tc.p50s, got, tc.want)
		}
	}
}

func TestGateSection(t *testing.T) {
	t.Parallel()
	r := sampleReport(t)
	r.Gate = &GateVerdict{Passed: false, Checks: []GateCheck{
		{Expr: "singleton.dials <= concurrency", Value: 8, Passed: true},
		{Expr: "singleton.p99 <= 0.5ms", Value: 0.649, Detail: "want <= 0.5 ms"},
		{Expr: "h2.dials <= 1", Skipped: true, Detail: "no mode h2"},
	}}
	var md, page bytes.Buffer
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Gate: FAILED", "| PASS | `singleton.dials <= concurrency` | 8 |", "| FAIL | `singleton.p99 <= 0.5ms` | 0.649 | want <= 0.5 ms |", "| skip | `h2.dials <= 1` | 0 | no mode h2 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	for _, want := range []string{"<h2>Gate: FAILED</h2>", "<td>FAIL</td><td><code>singleton.p99 &lt;= 0.5ms</code></td><td>0.649</td>"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}
