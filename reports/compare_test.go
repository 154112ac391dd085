package reports

import (
	"bytes"
	"github.com/poolbench/poolbench/internal/golden"
	"math"
	"strings"
	"testing"
)

// bruteU counts, over every pair, old > new as 1 and ties as 1/2.
func bruteU(old, cur []int64) float64 {
	var u float64
	for _, a := range old {
		for _, b := range cur {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
			}
		}
	}
	return u
}

func TestMannWhitneyMatchesPairCount(t *testing.T) {
	t.Parallel()
	// Values below 2048 µs sit in exact unit buckets, so the bucket ranks
	// are the values' ranks.
	for _, tc := range []struct {
		name     string
		old, cur []int64
	}{
		{"shifted", sampleValues(300, 500, 400)[:150], sampleValues(200, 450, 400)},
		{"with ties", []int64{1, 2, 2, 3, 3, 3, 9}, []int64{2, 3, 3, 4, 5}},
		{"identical", []int64{5, 6, 7}, []int64{5, 6, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := MannWhitney(histOf(t, tc.old), histOf(t, tc.cur), 0)
			if want := bruteU(tc.old, tc.cur); math.Abs(got.U-want) > 1e-9 {
				t.Errorf("U = %v, want %v (pair count)", got.U, want)
			}
			if got.NOld != int64(len(tc.old)) || got.NNew != int64(len(tc.cur)) {
				t.Errorf("n = %d, %d; want %d, %d", got.NOld, got.NNew, len(tc.old), len(tc.cur))
			}
		})
	}
}

func TestMannWhitneyVerdicts(t *testing.T) {
	t.Parallel()
	base := sampleValues(2000, 2500, 1000)
	shift := func(d int64) []int64 {
		v := make([]int64, len(base))
		for i := range base {
			v[i] = base[i] + d
		}
		return v
	}
	for _, tc := range []struct {
		name        string
		cur         []int64
		significant bool
		slower      bool
	}{
		{"same", base, false, false},
		{"5% faster", shift(-150), true, false},
		{"20% slower", shift(600), true, true},
		{"0.1% slower", shift(3), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := MannWhitney(histOf(t, base), histOf(t, tc.cur), 0.05)
			if rt.Significant != tc.significant {
				t.Errorf("significant = %v (p = %v, z = %v), want %v", rt.Significant, rt.P, rt.Z, tc.significant)
			}
			if tc.significant && (rt.PSlower < 0.5) != tc.slower {
				t.Errorf("P(old slower) = %v: wrong direction (slower = %v)", rt.PSlower, tc.slower)
			}
		})
	}
	same := MannWhitney(histOf(t, base), histOf(t, base), 0)
	if same.P != 1 || same.KS != 0 || same.PSlower != 0.5 {
		t.Errorf("identical samples: p = %v, D = %v, P(old slower) = %v; want 1, 0, 0.5", same.P, same.KS, same.PSlower)
	}
	apart := MannWhitney(histOf(t, []int64{1, 2, 3}), histOf(t, []int64{10, 11, 12}), 0)
	if apart.KS != 1 || apart.U != 0 {
		t.Errorf("disjoint samples: D = %v, U = %v; want 1, 0", apart.KS, apart.U)
	}
}

func TestCompareRuns(t *testing.T) {
	t.Parallel()
	old := sampleReport(t)
	cur := sampleReport(t)
	// The new run: singleton 20% slower and dialing twice as much.
	vals := sampleValues(2000, 350, 300)
	for i := range vals {
		vals[i] = vals[i] * 6 / 5
	}
	h := histOf(t, vals)
	cur.Modes[1].Histogram = encode(t, h)
	cur.Modes[1].LatencyMS = Summarize(h)
	cur.Modes[1].Client.Dials = 16
	cur.Modes[1].Server.Connections = 16
	d, err := CompareRuns(old, cur, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Modes) != 2 {
		t.Fatalf("modes = %d, want 2", len(d.Modes))
	}
	get := func(mode int, metric string) Delta {
		for _, m := range d.Modes[mode].Metrics {
			if m.Metric == metric {
				return m
			}
		}
		t.Fatalf("no metric %s", metric)
		return Delta{}
	}
	if got := get(0, "p50_ms"); got.Verdict != "~" || *got.DeltaPct != 0 {
		t.Errorf("per-request p50 = %+v, want ~ and 0%%", got)
	}
	if got := get(1, "p50_ms"); got.Verdict != "slower" {
		t.Errorf("singleton p50 verdict = %q, want slower", got.Verdict)
	}
	if got := get(1, "dials"); got.Verdict != "changed" || got.Old != 8 || got.New != 16 || *got.DeltaPct != 100 {
		t.Errorf("singleton dials = %+v, want changed 8 -> 16 (+100%%)", got)
	}
	if got := get(0, "dials"); got.Verdict != "same" {
		t.Errorf("per-request dials verdict = %q, want same", got.Verdict)
	}
	var b bytes.Buffer
	if err := WriteRunDiff(&b, d, FormatTable); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "compare.txt", b.Bytes())

	cur.Modes = cur.Modes[1:]
	d, err = CompareRuns(old, cur, 0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.OnlyOld, ",") != "per-request" || len(d.Modes) != 1 {
		t.Errorf("only old = %q, modes = %d; want per-request, 1", d.OnlyOld, len(d.Modes))
	}
}
