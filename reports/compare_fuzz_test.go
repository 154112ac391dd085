package reports

import (
	"bytes"
	"io"
	"testing"
)

// FuzzCompareRuns compares and renders two arbitrary reports, as
// poolbench compare and report do with untrusted files: errors are fine,
// panics are not.
func FuzzCompareRuns(f *testing.F) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleReport(f)); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes(), b.Bytes())
	f.Add(b.Bytes(), []byte(`{"schema":"poolbench/report/v1","modes":[{"mode":"singleton","histogram":"HISTFAAAAB"}]}`))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		rx, ry, ok := readPair(x, y)
		if !ok {
			return
		}
		_ = Summary(rx)
		_ = WriteMarkdown(io.Discard, rx)
		_ = WriteBenchstat(io.Discard, rx, nil)
		d, err := CompareRuns(rx, ry, 0)
		if err != nil {
			return
		}
		for _, md := range d.Modes {
			if lt := md.Latency; lt.P < 0 || lt.P > 1 || lt.KS < 0 || lt.KS > 1 {
				t.Errorf("mode %s: p = %v, D = %v: out of [0, 1]", md.Mode, lt.P, lt.KS)
			}
		}
		_ = WriteRunDiff(io.Discard, d, FormatTable)
		_ = WriteRunDiff(io.Discard, d, FormatJSON)
	})
}
