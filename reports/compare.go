package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/olekukonko/tablewriter/tw"
)

// DefaultAlpha is the significance level of CompareRuns: a latency change
// is significant when the rank test's two-sided p-value is below it.
const DefaultAlpha = 0.05

// RunDiff is the comparison of two runs of a scenario, mode by mode.
type RunDiff struct {
	OldScenario string `json:"old_scenario"`
	NewScenario string `json:"new_scenario"`
	// Alpha is the significance level of the latency tests.
	Alpha float64    `json:"alpha"`
	Modes []ModeDiff `json:"modes"`
	// OnlyOld and OnlyNew name modes found in one run only.
	OnlyOld []string `json:"only_old,omitempty"`
	OnlyNew []string `json:"only_new,omitempty"`
}

// ModeDiff compares one mode of two runs.
type ModeDiff struct {
	Mode string `json:"mode"`
	// Latency tests whether the two latency distributions differ.
	Latency RankTest `json:"latency_test"`
	Metrics []Delta  `json:"metrics"`
}

// Delta is one metric of one mode in the old and the new run.
type Delta struct {
	Metric string  `json:"metric"`
	Old    float64 `json:"old"`
	New    float64 `json:"new"`
	// DeltaPct is (new − old) ÷ old × 100; null when old is 0.
	DeltaPct *float64 `json:"delta_pct"`
	// Count marks exact counts (dials, handshakes, errors): they are
	// compared exactly, any difference is a change.
	Count bool `json:"count,omitempty"`
	// Verdict: for counts "same" or "changed"; for latency "faster",
	// "slower" or "~" (no significant change, from Latency's test); for
	// throughput, a measured rate with no sample distribution, "".
	Verdict string `json:"verdict"`
}

// RankTest is a Mann-Whitney U test (with the normal approximation and
// tie correction) and a two-sample Kolmogorov-Smirnov statistic, both
// computed on the buckets of two HDR histograms: every value in a bucket
// is the same value to the histogram's precision, so a bucket is a group
// of ties.
type RankTest struct {
	NOld int64 `json:"n_old"`
	NNew int64 `json:"n_new"`
	// U is the Mann-Whitney statistic of the old sample: the number of
	// (old, new) pairs where old is slower, ties counting one half.
	U float64 `json:"u"`
	// PSlower is U ÷ (NOld × NNew): the probability that a request of the
	// old run was slower than one of the new (0.5: no shift; above: new
	// is faster).
	PSlower float64 `json:"p_old_slower"`
	Z       float64 `json:"z"`
	// P is the two-sided p-value of U.
	P float64 `json:"p"`
	// KS is the largest distance between the two cumulative distributions,
	// KSP its asymptotic p-value; it also sees changes of spread and tail.
	KS  float64 `json:"ks_d"`
	KSP float64 `json:"ks_p"`
	// Significant is P < alpha.
	Significant bool `json:"significant"`
}

// MannWhitney compares two latency histograms; alpha is the significance
// level (DefaultAlpha when 0).
func MannWhitney(old, cur *hdrhistogram.Histogram, alpha float64) RankTest {
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	n1, n2 := old.TotalCount(), cur.TotalCount()
	t := RankTest{NOld: n1, NNew: n2, P: 1, KSP: 1}
	if n1 == 0 || n2 == 0 {
		return t
	}
	// Both histograms' buckets, keyed by their lowest equivalent value,
	// ascending. Histograms of the same layout share bucket boundaries.
	counts := map[int64][2]int64{}
	for _, b := range old.Distribution() {
		if b.Count > 0 {
			c := counts[b.From]
			c[0] += b.Count
			counts[b.From] = c
		}
	}
	for _, b := range cur.Distribution() {
		if b.Count > 0 {
			c := counts[b.From]
			c[1] += b.Count
			counts[b.From] = c
		}
	}
	keys := make([]int64, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	N := float64(n1 + n2)
	var rank, r1, ties, c1, c2 float64
	for _, k := range keys {
		c := counts[k]
		a, b := float64(c[0]), float64(c[1])
		g := a + b
		avg := rank + (g+1)/2 // the mean rank of the group
		r1 += a * avg
		rank += g
		ties += g*g*g - g
		c1 += a
		c2 += b
		t.KS = math.Max(t.KS, math.Abs(c1/float64(n1)-c2/float64(n2)))
	}
	f1, f2 := float64(n1), float64(n2)
	t.U = r1 - f1*(f1+1)/2
	t.PSlower = t.U / (f1 * f2)
	mean := f1 * f2 / 2
	variance := f1 * f2 / 12 * ((N + 1) - ties/(N*(N-1)))
	if variance > 0 {
		d := t.U - mean
		// Continuity correction: move half a unit toward the mean.
		d = math.Copysign(math.Max(math.Abs(d)-0.5, 0), d)
		t.Z = d / math.Sqrt(variance)
		t.P = math.Erfc(math.Abs(t.Z) / math.Sqrt2)
	}
	ne := f1 * f2 / (f1 + f2)
	t.KSP = ksQ((math.Sqrt(ne) + 0.12 + 0.11/math.Sqrt(ne)) * t.KS)
	t.Significant = t.P < alpha
	return t
}

// ksQ is the Kolmogorov distribution's survival function Q(λ).
func ksQ(lambda float64) float64 {
	if lambda < 1e-3 {
		return 1
	}
	var sum float64
	sign := 1.0
	for k := 1; k <= 100; k++ {
		term := sign * 2 * math.Exp(-2*float64(k*k)*lambda*lambda)
		sum += term
		if math.Abs(term) < 1e-12 {
			break
		}
		sign = -sign
	}
	return math.Min(1, math.Max(0, sum))
}

// CompareRuns compares two reports mode by mode. alpha is the significance
// level of the latency test (DefaultAlpha when 0).
func CompareRuns(old, cur *Report, alpha float64) (*RunDiff, error) {
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	d := &RunDiff{OldScenario: old.Scenario.Name, NewScenario: cur.Scenario.Name, Alpha: alpha}
	newModes := map[string]*Mode{}
	for i := range cur.Modes {
		newModes[cur.Modes[i].Mode] = &cur.Modes[i]
	}
	oldModes := map[string]bool{}
	for i := range old.Modes {
		o := &old.Modes[i]
		oldModes[o.Mode] = true
		n, ok := newModes[o.Mode]
		if !ok {
			d.OnlyOld = append(d.OnlyOld, o.Mode)
			continue
		}
		md, err := compareMode(o, n, alpha)
		if err != nil {
			return nil, err
		}
		d.Modes = append(d.Modes, md)
	}
	for _, m := range cur.Modes {
		if !oldModes[m.Mode] {
			d.OnlyNew = append(d.OnlyNew, m.Mode)
		}
	}
	return d, nil
}

func compareMode(o, n *Mode, alpha float64) (ModeDiff, error) {
	ho, err := o.Hist()
	if err != nil {
		return ModeDiff{}, fmt.Errorf("old report: %w", err)
	}
	hn, err := n.Hist()
	if err != nil {
		return ModeDiff{}, fmt.Errorf("new report: %w", err)
	}
	md := ModeDiff{Mode: o.Mode, Latency: MannWhitney(ho, hn, alpha)}
	latency := "~"
	if md.Latency.Significant {
		latency = "faster"
		if md.Latency.PSlower < 0.5 {
			latency = "slower"
		}
	}
	add := func(name string, a, b float64, count bool) {
		dl := Delta{Metric: name, Old: a, New: b, Count: count}
		if a != 0 {
			p := round3((b - a) / a * 100)
			dl.DeltaPct = &p
		}
		switch {
		case count && a == b:
			dl.Verdict = "same"
		case count:
			dl.Verdict = "changed"
		case name != "throughput_rps":
			dl.Verdict = latency
		}
		md.Metrics = append(md.Metrics, dl)
	}
	add("throughput_rps", o.ThroughputRPS, n.ThroughputRPS, false)
	for _, l := range []struct {
		name string
		a, b float64
	}{
		{"mean_ms", o.LatencyMS.Mean, n.LatencyMS.Mean},
		{"p50_ms", o.LatencyMS.P50, n.LatencyMS.P50},
		{"p90_ms", o.LatencyMS.P90, n.LatencyMS.P90},
		{"p99_ms", o.LatencyMS.P99, n.LatencyMS.P99},
		{"p999_ms", o.LatencyMS.P999, n.LatencyMS.P999},
		{"max_ms", o.LatencyMS.Max, n.LatencyMS.Max},
	} {
		add(l.name, l.a, l.b, false)
	}
	for _, c := range []struct {
		name string
		a, b int64
	}{
		{"requests", o.Requests, n.Requests},
		{"errors", o.Failed(), n.Failed()},
		{"dials", o.Client.Dials, n.Client.Dials},
		{"tls_handshakes", o.Client.TLSHandshakes, n.Client.TLSHandshakes},
		{"tls_resumed", o.Client.TLSResumed, n.Client.TLSResumed},
		{"clients_built", o.ClientsBuilt, n.ClientsBuilt},
	} {
		add(c.name, float64(c.a), float64(c.b), true)
	}
	if o.Server != nil && n.Server != nil {
		add("server_connections", float64(o.Server.Connections), float64(n.Server.Connections), true)
	}
	return md, nil
}

// WriteRunDiff writes d as a table (one row per mode and metric), as
// markdown, or as JSON.
func WriteRunDiff(w io.Writer, d *RunDiff, f Format) error {
	if f == FormatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("write comparison JSON: %w", err)
		}
		return nil
	}
	t := NewTable(w, f == FormatMarkdown, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft)
	t.Header([]string{"mode", "metric", "old", "new", "delta", "verdict"})
	for _, md := range d.Modes {
		for _, m := range md.Metrics {
			verdict := m.Verdict
			if !m.Count && m.Verdict != "" {
				verdict = fmt.Sprintf("%s (p%s)", m.Verdict, pCompare(md.Latency.P))
			}
			if err := t.Append([]string{md.Mode, m.Metric, number(m.Old, m), number(m.New, m), deltaCell(m), verdict}); err != nil {
				return fmt.Errorf("comparison row: %w", err)
			}
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render comparison: %w", err)
	}
	var notes []string
	for _, md := range d.Modes {
		lt := md.Latency
		notes = append(notes, fmt.Sprintf("%s: Mann-Whitney U over %s and %s requests: P(old slower) = %.3f, z = %.2f, p%s; Kolmogorov-Smirnov D = %.3f, p%s.",
			md.Mode, thousands(lt.NOld), thousands(lt.NNew), lt.PSlower, lt.Z, pCompare(lt.P), lt.KS, pCompare(lt.KSP)))
	}
	if d.OldScenario != d.NewScenario {
		notes = append(notes, fmt.Sprintf("The runs are of different scenarios (%s, %s).", d.OldScenario, d.NewScenario))
	}
	for _, m := range d.OnlyOld {
		notes = append(notes, "Mode "+m+" is only in the old run.")
	}
	for _, m := range d.OnlyNew {
		notes = append(notes, "Mode "+m+" is only in the new run.")
	}
	notes = append(notes, fmt.Sprintf("Latency verdicts: faster/slower when p < %g, ~ otherwise; counts are compared exactly.", d.Alpha))
	for _, n := range notes {
		prefix := ""
		if f == FormatMarkdown {
			prefix = "- "
		}
		if _, err := fmt.Fprintf(w, "%s%s\n", prefix, n); err != nil {
			return err
		}
	}
	return nil
}

func number(f float64, d Delta) string {
	switch {
	case d.Count:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case d.Metric == "throughput_rps":
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'f', 3, 64)
}

func deltaCell(d Delta) string {
	switch {
	case d.DeltaPct == nil && d.New == d.Old:
		return "0"
	case d.DeltaPct == nil:
		return "new"
	}
	return fmt.Sprintf("%+.2f%%", *d.DeltaPct)
}

// pCompare formats a p-value with its relation: "=0.042" or "<0.001".
func pCompare(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return "=" + strconv.FormatFloat(p, 'f', 3, 64)
}
