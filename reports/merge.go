package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Merge combines the reports of one scenario run in pieces (the shards of
// run --shard, or repeated runs) into one report, losslessly: latency and
// TTFB histograms are decoded and merged through HdrHistogram (so every
// percentile of the merged report is the percentile of all the requests),
// counts are summed, and throughput is the successful requests over the
// union of the modes' time windows (shards that ran side by side share
// their window; shards that ran one after the other add theirs).
//
// names label the reports in errors and warnings ("shard-1.json"); nil
// labels them by position. Reports of different scenarios or client modes
// are refused, as are two reports of the same shard. The warnings say
// what the merge could not check (a missing shard, a report without start
// times).
func Merge(rs []*Report, names []string) (*Report, []string, error) {
	if len(rs) == 0 {
		return nil, nil, errors.New("merge: no reports")
	}
	label := func(i int) string {
		if i < len(names) {
			return names[i]
		}
		return fmt.Sprintf("report %d", i+1)
	}
	if err := mergeable(rs, label); err != nil {
		return nil, nil, err
	}
	warnings := shardWarnings(rs)
	first := rs[0]
	out := &Report{
		Schema:      Schema,
		Scenario:    first.Scenario,
		Environment: first.Environment,
	}
	out.Scenario.Requests, out.Scenario.Concurrency, out.Scenario.RateRPS = 0, 0, 0
	for _, r := range rs {
		out.Scenario.Requests += r.Scenario.Requests
		out.Scenario.Concurrency += r.Scenario.Concurrency
		out.Scenario.RateRPS += r.Scenario.RateRPS
		out.Partial = out.Partial || r.Partial
		out.Insecure = out.Insecure || r.Insecure
		if r.Environment.StartedAt.Before(out.Environment.StartedAt) {
			out.Environment.StartedAt = r.Environment.StartedAt
		}
		if len(r.Sources) > 0 { // an already merged report: keep its sources
			out.Sources = append(out.Sources, r.Sources...)
			continue
		}
		out.Sources = append(out.Sources, Source{Shard: r.Shard, Requests: r.Scenario.Requests, Environment: r.Environment})
	}
	for k := range first.Modes {
		m, w, err := mergeMode(rs, k, label)
		if err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, w...)
		out.Modes = append(out.Modes, m)
	}
	out.Comparison = Compare(out.Modes)
	return out, warnings, nil
}

// mergeable refuses reports that are not pieces of one scenario.
func mergeable(rs []*Report, label func(int) string) error {
	first := rs[0]
	modes := func(r *Report) []string {
		var s []string
		for _, m := range r.Modes {
			s = append(s, m.Mode)
		}
		return s
	}
	want := modes(first)
	for i, r := range rs[1:] {
		i++
		a, b := first.Scenario, r.Scenario
		switch {
		case a.Name != b.Name:
			return fmt.Errorf("merge: %s is scenario %q but %s is scenario %q: only reports of one scenario merge", label(i), b.Name, label(0), a.Name)
		case !slices.Equal(modes(r), want):
			return fmt.Errorf("merge: %s has modes %s but %s has %s: only reports of the same client modes merge",
				label(i), strings.Join(modes(r), ","), label(0), strings.Join(want, ","))
		case a.HTTP2 != b.HTTP2 || a.Target != b.Target || a.LatencyMS != b.LatencyMS || a.RTTMS != b.RTTMS || (a.RateRPS == 0) != (b.RateRPS == 0):
			return fmt.Errorf("merge: %s and %s ran scenario %q with different settings (HTTP/2, target, server latency, round trip or load model)", label(0), label(i), a.Name)
		}
	}
	seen := map[int]int{}
	for i, r := range rs {
		if (r.Shard == nil) != (first.Shard == nil) {
			return fmt.Errorf("merge: %s is a shard and %s is not: merge the shards of one run", label(i), label(0))
		}
		if r.Shard == nil {
			continue
		}
		if r.Shard.Count != first.Shard.Count {
			return fmt.Errorf("merge: %s is shard %d/%d but %s is shard %d/%d: shards of one run share n",
				label(i), r.Shard.Index, r.Shard.Count, label(0), first.Shard.Index, first.Shard.Count)
		}
		if j, dup := seen[r.Shard.Index]; dup {
			return fmt.Errorf("merge: %s and %s are both shard %d/%d: merging it twice would count its requests twice",
				label(j), label(i), r.Shard.Index, r.Shard.Count)
		}
		seen[r.Shard.Index] = i
	}
	return nil
}

// shardWarnings names the shards missing from a sharded set.
func shardWarnings(rs []*Report) []string {
	if rs[0].Shard == nil {
		return nil
	}
	have := map[int]bool{}
	for _, r := range rs {
		have[r.Shard.Index] = true
	}
	var missing []string
	for i := 1; i <= rs[0].Shard.Count; i++ {
		if !have[i] {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("shards %s of %d are missing: the merged report covers %d of %d shards",
		strings.Join(missing, ", "), rs[0].Shard.Count, len(have), rs[0].Shard.Count)}
}

// mergeMode merges mode k of every report.
func mergeMode(rs []*Report, k int, label func(int) string) (Mode, []string, error) {
	name := rs[0].Modes[k].Mode
	out := Mode{Mode: name, Errors: map[string]int64{}, Server: &Server{}}
	var lat, ttfb *hdrhistogram.Histogram
	haveTTFB := true
	var dialW, tlsW float64
	var windows []window
	var warnings []string
	for i, r := range rs {
		m := &r.Modes[k]
		out.Requests += m.Requests
		out.OK += m.OK
		for kind, n := range m.Errors {
			out.Errors[kind] += n
		}
		c := &out.Client
		c.Dials += m.Client.Dials
		c.DialErrors += m.Client.DialErrors
		c.TLSHandshakes += m.Client.TLSHandshakes
		c.TLSErrors += m.Client.TLSErrors
		c.TLSResumed += m.Client.TLSResumed
		c.Reused += m.Client.Reused
		c.NewConnRequests += m.Client.NewConnRequests
		c.PoolRejected += m.Client.PoolRejected
		c.ClosedAfterUse += m.Client.ClosedAfterUse
		dialW += m.Client.MeanDialMS * float64(m.Client.Dials+m.Client.DialErrors)
		tlsW += m.Client.MeanTLSMS * float64(m.Client.TLSHandshakes+m.Client.TLSErrors)
		if out.Server != nil && m.Server != nil {
			out.Server.Connections += m.Server.Connections
			out.Server.TLSHandshakes += m.Server.TLSHandshakes
			out.Server.Resumed += m.Server.Resumed
			out.Server.Requests += m.Server.Requests
		} else {
			out.Server = nil // unknown in one piece: unknown in the whole
		}
		out.ClientsBuilt += m.ClientsBuilt
		out.LeftOpen += m.LeftOpen
		out.Partial = out.Partial || m.Partial
		for _, w := range m.Warnings {
			out.Warnings = append(out.Warnings, label(i)+": "+w)
		}
		h, err := m.Hist()
		if err != nil {
			return Mode{}, nil, fmt.Errorf("merge: %s: %w", label(i), err)
		}
		if lat, err = mergeHist(lat, h); err != nil {
			return Mode{}, nil, fmt.Errorf("merge: %s: mode %s: %w", label(i), name, err)
		}
		if m.TTFBHistogram == "" {
			haveTTFB = false
		} else if haveTTFB {
			t, err := DecodeHistogram(m.TTFBHistogram)
			if err != nil {
				return Mode{}, nil, fmt.Errorf("merge: %s: mode %s: decode TTFB histogram: %w", label(i), name, err)
			}
			if ttfb, err = mergeHist(ttfb, t); err != nil {
				return Mode{}, nil, fmt.Errorf("merge: %s: mode %s: TTFB: %w", label(i), name, err)
			}
		}
		windows = append(windows, window{m.StartedAt, m.StartedAt.Add(time.Duration(m.DurationS * float64(time.Second)))})
	}
	out.Client.MeanDialMS = meanOf(dialW, out.Client.Dials+out.Client.DialErrors)
	out.Client.MeanTLSMS = meanOf(tlsW, out.Client.TLSHandshakes+out.Client.TLSErrors)
	enc, err := lat.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return Mode{}, nil, fmt.Errorf("merge: mode %s: encode histogram: %w", name, err)
	}
	out.Histogram = string(enc)
	out.LatencyMS = Summarize(lat)
	if haveTTFB && ttfb != nil {
		enc, err := ttfb.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return Mode{}, nil, fmt.Errorf("merge: mode %s: encode TTFB histogram: %w", name, err)
		}
		out.TTFBHistogram = string(enc)
		t := Summarize(ttfb)
		out.TTFBMS = &t
	}
	span, start, timed := union(windows)
	if !timed {
		warnings = append(warnings, fmt.Sprintf("mode %s: a report has no start time, so throughput assumes every piece ran at the same time", name))
	}
	out.StartedAt = start
	out.DurationS = span.Seconds()
	if span > 0 {
		out.ThroughputRPS = float64(out.OK) / span.Seconds()
	}
	return out, warnings, nil
}

// mergeHist adds h into acc (nil: a fresh histogram of the same range),
// refusing values it cannot hold: a merge that drops values is not lossless.
func mergeHist(acc, h *hdrhistogram.Histogram) (*hdrhistogram.Histogram, error) {
	if acc == nil {
		acc = hdrhistogram.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
	}
	if dropped := acc.Merge(h); dropped != 0 {
		return nil, fmt.Errorf("histogram ranges differ: %d values would be dropped", dropped)
	}
	return acc, nil
}

func meanOf(weighted float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return round3(weighted / float64(n))
}

type window struct{ start, end time.Time }

// union returns the total length of the windows' union and its start. A
// window without a start time makes the result the longest window
// (timed=false): without times, the pieces are taken to overlap.
func union(ws []window) (span time.Duration, start time.Time, timed bool) {
	for _, w := range ws {
		if w.start.IsZero() {
			var longest time.Duration
			for _, w := range ws {
				longest = max(longest, w.end.Sub(w.start))
			}
			return longest, time.Time{}, false
		}
	}
	slices.SortFunc(ws, func(a, b window) int { return cmp.Or(a.start.Compare(b.start), a.end.Compare(b.end)) })
	start = ws[0].start
	cur := ws[0]
	for _, w := range ws[1:] {
		if w.start.After(cur.end) {
			span += cur.end.Sub(cur.start)
			cur = w
			continue
		}
		if w.end.After(cur.end) {
			cur.end = w.end
		}
	}
	span += cur.end.Sub(cur.start)
	return span, start.UTC(), true
}
