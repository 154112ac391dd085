package reports

import (
	"bytes"
	"github.com/poolbench/poolbench/internal/golden"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// fixture is a two-mode report with fixed numbers, so renderings are stable.
func fixture(t *testing.T) *Report {
	t.Helper()
	hist := func(base int64) string {
		h := hdrhistogram.New(1, 3_600_000_000, 3)
		for i := int64(0); i < 2000; i++ {
			h.RecordValue(base + i%97*base/50)
		}
		b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	modes := []Mode{
		{
			Mode: "per-request", Requests: 2000, OK: 2000, Errors: map[string]int64{},
			DurationS: 0.8, ThroughputRPS: 2500,
			Client:    Client{Dials: 2000, TLSHandshakes: 2000, NewConnRequests: 2000},
			Server:    &Server{Connections: 2000, TLSHandshakes: 2000, Requests: 2000},
			LatencyMS: Latency{Min: 2.1, Mean: 3.3, P50: 3.2, P90: 4.9, P99: 6.97, P999: 8.43, Max: 9.02},
			Histogram: hist(3000), ClientsBuilt: 2000,
		},
		{
			Mode: "singleton", Requests: 2000, OK: 1998, Errors: map[string]int64{"http_5xx": 2},
			DurationS: 0.05, ThroughputRPS: 39960,
			Client:    Client{Dials: 8, TLSHandshakes: 8, Reused: 1995, NewConnRequests: 5},
			Server:    &Server{Connections: 8, TLSHandshakes: 8, Requests: 2000},
			LatencyMS: Latency{Min: 0.05, Mean: 0.2, P50: 0.15, P90: 0.28, P99: 1.08, P999: 4.38, Max: 4.47},
			Histogram: hist(150), ClientsBuilt: 1,
			Warnings: []string{
				"2 of 2000 requests failed (http_5xx 2)",
				`GotConn(!Reused) fired 5 times but 8 connections were dialed: connections dialed in the background reach requests as "reused"; dials are the true count`,
			},
		},
	}
	return &Report{
		Schema:   Schema,
		Scenario: Scenario{Name: "quick", Description: "fixture", Requests: 2000, Concurrency: 8, Modes: []string{"per-request", "singleton"}},
		Environment: Environment{Go: "go1.26.8", OS: "linux", Arch: "amd64", CPUs: 2, CPUModel: "Test CPU",
			StartedAt: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)},
		Modes:      modes,
		Comparison: Compare(modes),
	}
}

func TestTableGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file     string
		markdown bool
	}{
		{"table.txt", false},
		{"table.md", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := WriteTable(&b, fixture(t), tc.markdown); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.file, b.Bytes())
		})
	}
}

func TestTableUnknownServer(t *testing.T) {
	t.Parallel()
	r := fixture(t)
	r.Modes[1].Server = nil
	r.Partial, r.Insecure = true, true
	var b bytes.Buffer
	if err := WriteTable(&b, r, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unknown", "PARTIAL:", "INSECURE:"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r := fixture(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	if err := WriteJSON(&b2, back); err != nil {
		t.Fatal(err)
	}
	var b1 bytes.Buffer
	WriteJSON(&b1, r)
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		t.Errorf("round trip changed the report:\n%s", golden.LineDiff(b1.String(), b2.String()))
	}
	h, err := back.Modes[1].Hist()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.TotalCount(), int64(2000); got != want {
		t.Errorf("decoded histogram count = %d, want %d", got, want)
	}
}

func TestReadJSONRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `{`, `{"schema":"poolbench/report/v0"}`, `{"schema":"poolbench/report/v1","modes":[{"mode":""}]}`} {
		if _, err := ReadJSON(strings.NewReader(in)); err == nil {
			t.Errorf("ReadJSON(%q) = nil error", in)
		}
	}
}

func TestCompareRatios(t *testing.T) {
	t.Parallel()
	c := fixture(t).Comparison
	if c.Baseline != "per-request" {
		t.Fatalf("baseline = %q", c.Baseline)
	}
	r := c.Ratios["singleton"]
	for k, want := range map[string]float64{"dials": 250, "tls_handshakes": 250, "p50": 21.333, "throughput_rps": 0.063} {
		if got := r[k]; got != want {
			t.Errorf("ratio %s = %v, want %v", k, got, want)
		}
	}
}

func TestReuseRatio(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		req, dials int64
		want       float64
	}{{2000, 8, 0.996}, {2000, 2000, 0}, {10, 12, 0}, {0, 0, 0}} {
		m := Mode{Requests: tc.req, Client: Client{Dials: tc.dials}}
		if got := m.ReuseRatio(); got != tc.want {
			t.Errorf("ReuseRatio(%d req, %d dials) = %v, want %v", tc.req, tc.dials, got, tc.want)
		}
	}
}
