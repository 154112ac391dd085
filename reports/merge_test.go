package reports

import (
	"math"
	"strings"
	"testing"
	"time"
)

// shardReport builds the report of one shard from its latency values.
func shardReport(t *testing.T, shard *Shard, start time.Time, dur float64, values []int64, dials int64) *Report {
	t.Helper()
	h := histOf(t, values)
	n := int64(len(values))
	m := Mode{
		Mode: "singleton", Requests: n, OK: n - 1, Errors: map[string]int64{"http_5xx": 1},
		DurationS: dur, ThroughputRPS: float64(n-1) / dur, StartedAt: start,
		Client:    Client{Dials: dials, TLSHandshakes: dials, Reused: n - dials, NewConnRequests: dials, PoolRejected: dials - 1, ClosedAfterUse: 1, MeanDialMS: float64(dials)},
		Server:    &Server{Connections: dials, TLSHandshakes: dials, Requests: n},
		LatencyMS: Summarize(h), Histogram: encode(t, h), TTFBHistogram: encode(t, h), ClientsBuilt: 1,
		Warnings: []string{"1 of n requests failed"},
	}
	return &Report{
		Schema:      Schema,
		Scenario:    Scenario{Name: "quick", Requests: int(n), Concurrency: 4, Modes: []string{"singleton"}},
		Environment: Environment{Go: "go1.26.8", OS: "linux", CPUs: 2, StartedAt: start},
		Modes:       []Mode{m}, Shard: shard,
	}
}

// Two shards merged give exactly what one histogram that received every
// value gives: count, p50, p99, max, and every other percentile.
func TestMergeIsExact(t *testing.T) {
	t.Parallel()
	all := sampleValues(5001, 800, 4000)
	var a, b []int64
	for i, v := range all {
		if i%3 == 0 { // uneven shards
			a = append(a, v)
		} else {
			b = append(b, v)
		}
	}
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ra := shardReport(t, &Shard{1, 2}, t0, 1.0, a, 4)
	rb := shardReport(t, &Shard{2, 2}, t0.Add(500*time.Millisecond), 1.0, b, 3)
	merged, warnings, err := Merge([]*Report{ra, rb}, []string{"a.json", "b.json"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q, want none", warnings)
	}
	whole := histOf(t, all)
	m := &merged.Modes[0]
	got, err := m.Hist()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"count", got.TotalCount(), whole.TotalCount()},
		{"p50", got.ValueAtQuantile(50), whole.ValueAtQuantile(50)},
		{"p99", got.ValueAtQuantile(99), whole.ValueAtQuantile(99)},
		{"p99.9", got.ValueAtQuantile(99.9), whole.ValueAtQuantile(99.9)},
		{"min", got.Min(), whole.Min()},
		{"max", got.Max(), whole.Max()},
		{"requests", m.Requests, int64(len(all))},
		{"ok", m.OK, int64(len(all)) - 2},
		{"errors", m.Errors["http_5xx"], 2},
		{"dials", m.Client.Dials, 7},
		{"pool rejected", m.Client.PoolRejected, 5},
		{"closed after use", m.Client.ClosedAfterUse, 2},
		{"server connections", m.Server.Connections, 7},
		{"clients built", m.ClientsBuilt, 2},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if !got.Equals(whole) {
		t.Error("merged histogram differs from the histogram of every value")
	}
	if got, want := m.LatencyMS, Summarize(whole); got != want {
		t.Errorf("latency summary = %+v, want %+v", got, want)
	}
	if m.TTFBMS == nil || *m.TTFBMS != Summarize(whole) {
		t.Errorf("TTFB summary = %+v, want %+v", m.TTFBMS, Summarize(whole))
	}
	// Windows [0, 1s] and [0.5s, 1.5s]: the union is 1.5s.
	if got, want := m.DurationS, 1.5; got != want {
		t.Errorf("duration = %v s, want %v (the union of the windows)", got, want)
	}
	if got, want := m.ThroughputRPS, float64(len(all)-2)/1.5; math.Abs(got-want) > 1e-9 {
		t.Errorf("throughput = %v, want %v", got, want)
	}
	// Mean dial time is weighted by dials: (4*4 + 3*3) / 7.
	if got, want := m.Client.MeanDialMS, round3(25.0/7); got != want {
		t.Errorf("mean dial = %v, want %v", got, want)
	}
	if got, want := merged.Scenario.Requests, len(all); got != want {
		t.Errorf("scenario requests = %d, want %d", got, want)
	}
	if got, want := len(merged.Sources), 2; got != want || merged.Sources[1].Shard.Index != 2 {
		t.Errorf("sources = %+v, want both shards", merged.Sources)
	}
	if got, want := m.Warnings, []string{"a.json: 1 of n requests failed", "b.json: 1 of n requests failed"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("warnings = %q, want %q", got, want)
	}
	if merged.Shard != nil {
		t.Errorf("merged report is marked shard %+v", merged.Shard)
	}
}

func TestMergeRefuses(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	vals := sampleValues(10, 500, 100)
	for _, tc := range []struct {
		name string
		mod  func(a, b *Report)
		want string
	}{
		{"other scenario", func(a, b *Report) { b.Scenario.Name = "churn" }, `merge: b.json is scenario "churn" but a.json is scenario "quick"`},
		{"other modes", func(a, b *Report) { b.Modes[0].Mode = "per-request" }, "merge: b.json has modes per-request but a.json has singleton"},
		{"same shard twice", func(a, b *Report) { b.Shard.Index = 1 }, "merge: a.json and b.json are both shard 1/2"},
		{"other shard count", func(a, b *Report) { b.Shard.Count = 3 }, "merge: b.json is shard 2/3 but a.json is shard 1/2"},
		{"shard and whole run", func(a, b *Report) { b.Shard = nil }, "merge: b.json is a shard and a.json is not"},
		{"other http2", func(a, b *Report) { b.Scenario.HTTP2 = true }, "different settings"},
		{"bad histogram", func(a, b *Report) { b.Modes[0].Histogram = "HISTFAAAA" }, "merge: b.json: mode singleton: decode histogram"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := shardReport(t, &Shard{1, 2}, t0, 1, vals, 1)
			b := shardReport(t, &Shard{2, 2}, t0, 1, vals, 1)
			tc.mod(a, b)
			_, _, err := Merge([]*Report{a, b}, []string{"a.json", "b.json"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Merge = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMergeWarnings(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	vals := sampleValues(10, 500, 100)
	a := shardReport(t, &Shard{1, 3}, t0, 1, vals, 1)
	c := shardReport(t, &Shard{3, 3}, time.Time{}, 2, vals, 1)
	m, warnings, err := Merge([]*Report{a, c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"shards 2 of 3 are missing: the merged report covers 2 of 3 shards",
		"mode singleton: a report has no start time, so throughput assumes every piece ran at the same time",
	}
	if strings.Join(warnings, "|") != strings.Join(want, "|") {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}
	if got, want := m.Modes[0].DurationS, 2.0; got != want {
		t.Errorf("duration = %v, want %v (the longest window)", got, want)
	}
}

func TestUnion(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, tc := range []struct {
		name string
		ws   []window
		want time.Duration
	}{
		{"one", []window{{at(0), at(1)}}, time.Second},
		{"overlap", []window{{at(0.5), at(1.5)}, {at(0), at(1)}}, 1500 * time.Millisecond},
		{"disjoint", []window{{at(0), at(1)}, {at(2), at(3)}}, 2 * time.Second},
		{"nested", []window{{at(0), at(3)}, {at(1), at(2)}}, 3 * time.Second},
		{"touching", []window{{at(0), at(1)}, {at(1), at(2)}}, 2 * time.Second},
	} {
		if got, start, timed := union(tc.ws); got != tc.want || !timed || !start.Equal(t0) {
			t.Errorf("%s: union = %v (start %v, timed %v), want %v", tc.name, got, start, timed, tc.want)
		}
	}
}

func TestMergedMarkdownNamesShards(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	vals := sampleValues(10, 500, 100)
	m, _, err := Merge([]*Report{shardReport(t, &Shard{1, 2}, t0, 1, vals, 1), shardReport(t, &Shard{2, 2}, t0, 1, vals, 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteMarkdown(&b, m); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| concurrency | 8 workers in total over the merged runs, one request in flight each |",
		"| merged from | 2 reports (shards 1/2, 2/2); environment below is the first's |",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("merged markdown lacks %q", want)
		}
	}
}
