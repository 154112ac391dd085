package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// fuzzSeedReport is a small valid report whose latency histogram holds values.
func fuzzSeedReport(tb testing.TB, mode string, values ...int64) []byte {
	tb.Helper()
	h := hdrhistogram.New(1, 3_600_000_000, 3)
	for _, v := range values {
		if err := h.RecordValue(v); err != nil {
			tb.Fatal(err)
		}
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		tb.Fatal(err)
	}
	r := &Report{
		Schema:   Schema,
		Scenario: Scenario{Name: "quick", Requests: len(values), Concurrency: 1, Modes: []string{mode}},
		Modes: []Mode{{
			Mode: mode, Requests: int64(len(values)), OK: int64(len(values) - 1), Errors: map[string]int64{"reset": 1},
			Client:    Client{Dials: 2, TLSHandshakes: 2},
			Server:    &Server{Connections: 2, TLSHandshakes: 2, Requests: int64(len(values))},
			LatencyMS: Summarize(h), Histogram: string(enc),
		}},
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// FuzzReadJSON feeds the report decoder arbitrary bytes (a report.json is
// untrusted input to report, compare, merge and gate). It must never
// panic; what it accepts must render (table, markdown, .hgrm) without
// panicking and survive a write/read round trip unchanged.
func FuzzReadJSON(f *testing.F) {
	f.Add(fuzzSeedReport(f, "singleton", 900, 1200, 1500, 40000))
	f.Add([]byte(`{"schema":"poolbench/report/v1","modes":[{"mode":"x","histogram":"HISTFAAAAB54nJNpmSzMwMDAxAABzFCaEUpLOUDEAF/CBJw="}]}`))
	f.Add([]byte(`{"schema":"poolbench/report/v1","modes":[{"mode":"x","histogram":"not base64"}]}`))
	f.Add([]byte(`{"schema":"poolbench/report/v2"}`))
	f.Add([]byte(`{"schema":"poolbench/report/v1","modes":[{"mode":""}]}`))
	f.Add([]byte(`{"schema":"poolbench/report/v1","partial":true,"insecure":true,"modes":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, md := range []bool{false, true} {
			_ = WriteTable(io.Discard, r, md) // an error is fine, a panic is not
		}
		_ = WriteMarkdown(io.Discard, r)
		for i := range r.Modes {
			_ = WriteHGRM(io.Discard, &r.Modes[i])
			_ = r.Modes[i].ReuseRatio()
		}
		_ = Compare(r.Modes)

		var first bytes.Buffer
		if err := WriteJSON(&first, r); err != nil {
			return // e.g. a float the decoder took that JSON cannot hold
		}
		r2, err := ReadJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("a report written by WriteJSON does not read back: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := WriteJSON(&second, r2); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("round trip changed the report:\n%s\nthen\n%s", first.Bytes(), second.Bytes())
		}
	})
}

// FuzzMerge merges two arbitrary reports, as poolbench merge does with
// files it is given. It must never panic, and a merge it accepts must sum
// every mode's requests and outcomes.
func FuzzMerge(f *testing.F) {
	a := fuzzSeedReport(f, "singleton", 900, 1200, 1500)
	b := fuzzSeedReport(f, "singleton", 700, 65000)
	f.Add(a, b)
	f.Add(a, fuzzSeedReport(f, "per-request", 5000))
	f.Add(a, []byte(`{"schema":"poolbench/report/v1","scenario":{"name":"quick"},"modes":[{"mode":"singleton","histogram":"HISTFAAAAB54nJNpmSzMwMDAxAABzFCaEUpLOUDEAF/CBJw="}]}`))
	f.Add(a, []byte(`{"schema":"poolbench/report/v1","scenario":{"name":"quick"},"shard":{"index":1,"count":2},"modes":[{"mode":"singleton"}]}`))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		rx, ry, ok := readPair(x, y)
		if !ok {
			return
		}
		// Merge must not modify its inputs: keep their counts to check.
		before, _ := json.Marshal([]*Report{rx, ry})
		m, _, err := Merge([]*Report{rx, ry}, []string{"x.json", "y.json"})
		if after, _ := json.Marshal([]*Report{rx, ry}); !bytes.Equal(before, after) {
			t.Fatal("Merge modified its input reports")
		}
		if err != nil {
			return
		}
		if got, want := len(m.Modes), len(rx.Modes); got != want {
			t.Fatalf("merged %d modes, inputs have %d", got, want)
		}
		for k := range m.Modes {
			if got, want := m.Modes[k].Requests, rx.Modes[k].Requests+ry.Modes[k].Requests; got != want {
				t.Errorf("mode %s: merged requests %d, want %d", m.Modes[k].Mode, got, want)
			}
			if got, want := m.Modes[k].OK, rx.Modes[k].OK+ry.Modes[k].OK; got != want {
				t.Errorf("mode %s: merged ok %d, want %d", m.Modes[k].Mode, got, want)
			}
			if got, want := m.Modes[k].Failed(), rx.Modes[k].Failed()+ry.Modes[k].Failed(); got != want {
				t.Errorf("mode %s: merged failed %d, want %d", m.Modes[k].Mode, got, want)
			}
		}
		_ = WriteTable(io.Discard, m, false)
		var buf bytes.Buffer
		if err := WriteJSON(&buf, m); err == nil {
			if _, err := ReadJSON(&buf); err != nil {
				t.Fatalf("a merged report does not read back: %v", err)
			}
		}
	})
}

// TestDecodeHistogramBounds: the histograms poolbench writes decode; a
// header asking for more precision or range than that is refused before
// its counters are allocated.
func TestDecodeHistogramBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		highest int64
		digits  int
		ok      bool
	}{
		{"poolbench's own (1µs..1h, 3 digits)", 3_600_000_000, 3, true},
		{"the bound", maxHistHighest, 3, true},
		{"5 digits", 3_600_000_000, 5, false},
		{"range 2^62", 1 << 62, 2, false},
	} {
		h := hdrhistogram.New(1, tc.highest, tc.digits)
		if err := h.RecordValue(1000); err != nil {
			t.Fatal(err)
		}
		enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeHistogram(string(enc))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
			continue
		}
		if err == nil && got.TotalCount() != 1 {
			t.Errorf("%s: decoded %d values, want 1", tc.name, got.TotalCount())
		}
	}
	for _, bad := range []string{"", "!!", "SElTVA==", "HISTFAAAAB54nJNpmSzMwMDAxAAB"} {
		if _, err := DecodeHistogram(bad); err == nil {
			t.Errorf("DecodeHistogram(%q) accepted", bad)
		}
	}
}

// readPair reads two fuzzed report files; ok is false when either is refused.
func readPair(x, y []byte) (rx, ry *Report, ok bool) {
	rx, err := ReadJSON(bytes.NewReader(x))
	if err != nil {
		return nil, nil, false
	}
	ry, err = ReadJSON(bytes.NewReader(y))
	if err != nil {
		return nil, nil, false
	}
	return rx, ry, true
}
