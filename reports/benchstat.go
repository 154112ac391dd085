package reports

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteBenchstat writes r in the Go benchmark format, one line per mode,
// so that benchstat compares runs:
//
//	BenchmarkPoolbench/scenario=quick/mode=singleton 2000 550123 ns/op 500000 p50-ns 650000 p99-ns 16000 req/s 0.004 dials/op 0.004 handshakes/op 0 errors/op
//
// The iteration count is the mode's requests; ns/op is the mean latency;
// p50-ns, p90-ns, p99-ns and p99.9-ns are percentiles; req/s the
// throughput; dials/op, handshakes/op and errors/op are per request.
// The header lines (goos, goarch, cpu, pkg) are file configuration that
// benchstat shows. config adds key: value lines before the benchmarks
// (e.g. "run: new", for benchstat -col run); nil adds none.
func WriteBenchstat(w io.Writer, r *Report, config [][2]string) error {
	var b bytes.Buffer
	env := r.Environment
	fmt.Fprintf(&b, "goos: %s\ngoarch: %s\npkg: github.com/poolbench/poolbench\n", env.OS, env.Arch)
	if env.CPUModel != "" {
		fmt.Fprintf(&b, "cpu: %s\n", env.CPUModel)
	}
	for _, kv := range config {
		fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
	}
	for _, m := range r.Modes {
		n := m.Requests
		if n == 0 {
			continue
		}
		per := func(c int64) string { return strconv.FormatFloat(float64(c)/float64(n), 'g', 6, 64) }
		ns := func(ms float64) string { return strconv.FormatFloat(ms*1e6, 'f', 0, 64) }
		fmt.Fprintf(&b, "BenchmarkPoolbench/scenario=%s/mode=%s \t%d\t%s ns/op\t%s p50-ns\t%s p90-ns\t%s p99-ns\t%s p99.9-ns\t%s req/s\t%s dials/op\t%s handshakes/op\t%s errors/op\n",
			benchName(r.Scenario.Name), benchName(m.Mode), n,
			ns(m.LatencyMS.Mean), ns(m.LatencyMS.P50), ns(m.LatencyMS.P90), ns(m.LatencyMS.P99), ns(m.LatencyMS.P999),
			strconv.FormatFloat(m.ThroughputRPS, 'f', 1, 64),
			per(m.Client.Dials), per(m.Client.TLSHandshakes), per(m.Failed()))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// benchName makes s usable inside a benchmark name: no spaces or slashes
// (a slash would start a new sub-benchmark level).
func benchName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '/' || r == '=' {
			return '_'
		}
		return r
	}, s)
}
