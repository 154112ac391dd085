package reports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Summary returns the "what this shows" paragraph of a report, computed
// from its numbers: what each mode paid in new connections and TLS
// handshakes, and how its latency and throughput compare with the
// baseline (the first mode).
func Summary(r *Report) string {
	if len(r.Modes) == 0 {
		return "The report holds no modes."
	}
	var s []string
	base := &r.Modes[0]
	s = append(s, fmt.Sprintf("%s clients opened %s new connections and completed %s TLS handshakes for %s requests%s.",
		code(base.Mode), thousands(base.Client.Dials), thousands(base.Client.TLSHandshakes), thousands(base.Requests), perRequestNote(base)))
	for i := 1; i < len(r.Modes); i++ {
		m := &r.Modes[i]
		s = append(s, fmt.Sprintf("%s opened %s and completed %s for %s requests (%s of its requests reused a connection).",
			code(m.Mode), thousands(m.Client.Dials), thousands(m.Client.TLSHandshakes), thousands(m.Requests), percent(m.ReuseRatio())))
		s = append(s, latencySentence(base, m))
	}
	if len(r.Modes) == 1 {
		s = append(s, fmt.Sprintf("Its p50 was %s ms, its p99 %s ms, and it served %s requests/s.",
			msText(base.LatencyMS.P50), msText(base.LatencyMS.P99), rps(base.ThroughputRPS)))
	}
	for i := range r.Modes {
		m := &r.Modes[i]
		if f := m.Failed(); f > 0 {
			s = append(s, fmt.Sprintf("%s of %s's %s requests failed (%s).", thousands(f), code(m.Mode), thousands(m.Requests), kinds(m.Errors)))
		}
	}
	s = append(s, serverSentence(r))
	if r.Partial {
		s = append(s, "The run was stopped before it finished: the figures cover the requests that were sent.")
	}
	if n := warningCount(r); n > 0 {
		s = append(s, fmt.Sprintf("The run raised %d %s, listed under the results table.", n, plural(n, "warning", "warnings")))
	}
	return strings.Join(s, " ")
}

// perRequestNote says "(one per request)" when the mode dialed for every
// request, the signature of a client built per request.
func perRequestNote(m *Mode) string {
	if m.Requests > 0 && m.Client.Dials == m.Requests && m.Client.TLSHandshakes == m.Requests {
		return " (one of each per request)"
	}
	return fmt.Sprintf(" (%s of its requests reused a connection)", percent(m.ReuseRatio()))
}

// latencySentence compares m's p50, p99 and throughput with base's.
func latencySentence(base, m *Mode) string {
	return fmt.Sprintf("%s's p50 was %s (%s ms against %s ms), its p99 %s (%s ms against %s ms), and its throughput %s (%s against %s requests/s).",
		code(m.Mode),
		lowerHigher(base.LatencyMS.P50, m.LatencyMS.P50, "lower", "higher"), msText(m.LatencyMS.P50), msText(base.LatencyMS.P50),
		lowerHigher(base.LatencyMS.P99, m.LatencyMS.P99, "lower", "higher"), msText(m.LatencyMS.P99), msText(base.LatencyMS.P99),
		lowerHigher(m.ThroughputRPS, base.ThroughputRPS, "higher", "lower"), rps(m.ThroughputRPS), rps(base.ThroughputRPS))
}

// lowerHigher words the ratio a/b: "6.1x lower" when a is the larger,
// "2.0x higher" when b is, "about the same" within 5%.
func lowerHigher(a, b float64, bigger, smaller string) string {
	switch {
	case a <= 0 || b <= 0:
		return "not comparable"
	case a/b >= 1.05:
		return strconv.FormatFloat(a/b, 'f', 1, 64) + "x " + bigger
	case b/a >= 1.05:
		return strconv.FormatFloat(b/a, 'f', 1, 64) + "x " + smaller
	}
	return "about the same"
}

// serverSentence says whether the server's own counts agree with the
// client's.
func serverSentence(r *Report) string {
	known, agree := 0, true
	for _, m := range r.Modes {
		if m.Server == nil {
			continue
		}
		known++
		if m.Server.Connections != m.Client.Dials || m.Server.TLSHandshakes != m.Client.TLSHandshakes {
			agree = false
		}
	}
	switch {
	case known == 0:
		return "The server's own counts were not available, so the connection counts are the client's alone."
	case !agree:
		return "The server's own connection counts differ from the client's in at least one mode (see the warnings)."
	case known < len(r.Modes):
		return "Where the server's own counts were available they matched the client's exactly."
	}
	return "The server counted exactly the same connections and handshakes as the client."
}

func warningCount(r *Report) int {
	n := 0
	for _, m := range r.Modes {
		n += len(m.Warnings)
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// code marks a mode name as code in markdown (and in HTML, codeSpans).
func code(s string) string { return "`" + s + "`" }

// thousands formats n with commas: 2000 → "2,000".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }

func msText(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func rps(f float64) string { return thousands(int64(f + 0.5)) }

func kinds(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+" "+thousands(m[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
