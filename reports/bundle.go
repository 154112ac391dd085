package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// BundleOptions controls WriteBundle.
type BundleOptions struct {
	// Force lets WriteBundle write into a directory that already has files.
	Force bool
	// Requests, when set, are written to requests.csv (see WriteCSV);
	// when not, the report's own Records are, if it has any.
	Requests []ModeRecords
}

// The files of a bundle besides report.json, report.md and <mode>.hgrm.
const (
	LatencySVGFile     = "latency.svg"
	LatencyPNGFile     = "latency.png"
	ConnectionsSVGFile = "connections.svg"
	RequestsCSVFile    = "requests.csv"
)

// ErrDirNotEmpty is returned by WriteBundle for a non-empty directory
// without BundleOptions.Force.
var ErrDirNotEmpty = errors.New("output directory is not empty (use --force to write into it)")

// WriteHGRM writes mode m's latency distribution in HdrHistogram's
// percentile format (.hgrm), in milliseconds.
func WriteHGRM(w io.Writer, m *Mode) error {
	h, err := m.Hist()
	if err != nil {
		return err
	}
	if _, err := h.PercentilesPrint(w, 5, 1000.0); err != nil {
		return fmt.Errorf("mode %s: write hgrm: %w", m.Mode, err)
	}
	return nil
}

// CheckOutDir returns an error when dir cannot take a bundle: it is a file,
// or a non-empty directory without force. Call it before a run so that bad
// input never costs a run.
func CheckOutDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output directory %s: %w", dir, err)
	case len(entries) > 0 && !force:
		return fmt.Errorf("%s: %w", dir, ErrDirNotEmpty)
	}
	return nil
}

// WriteBundle writes r into dir: report.json, report.md, one <mode>.hgrm
// per mode, latency.svg and latency.png (the percentile spectrum),
// connections.svg and, when opts.Requests is set, requests.csv. Every file
// is rendered in memory first and then written to a temporary file and
// renamed, so no reader ever sees half of one and a rendering error leaves
// nothing behind.
func WriteBundle(dir string, r *Report, opts BundleOptions) error {
	if err := CheckOutDir(dir, opts.Force); err != nil {
		return err
	}
	files, err := bundleFiles(r, opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, f := range files {
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

type bundleFile struct {
	name string
	data []byte
}

// bundleFiles renders every file of the bundle, report.json last so that
// a reader polling for it finds the rest already there.
func bundleFiles(r *Report, opts BundleOptions) ([]bundleFile, error) {
	var files []bundleFile
	add := func(name string, render func(w io.Writer) error) error {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			return err
		}
		files = append(files, bundleFile{name, b.Bytes()})
		return nil
	}
	var hgrms []string
	for i := range r.Modes {
		m := &r.Modes[i]
		name := m.Mode + ".hgrm"
		hgrms = append(hgrms, name)
		if err := add(name, func(w io.Writer) error { return WriteHGRM(w, m) }); err != nil {
			return nil, err
		}
	}
	for _, c := range []struct {
		name  string
		chart func(*Report) ([]byte, error)
	}{
		{LatencySVGFile, LatencySVG}, {LatencyPNGFile, LatencyPNG}, {ConnectionsSVGFile, ConnectionsSVG},
	} {
		data, err := c.chart(r)
		if err != nil {
			return nil, err
		}
		files = append(files, bundleFile{c.name, data})
	}
	mo := MarkdownOptions{Charts: true, HGRM: hgrms}
	if len(opts.Requests) == 0 {
		opts.Requests = r.Records
	}
	if len(opts.Requests) > 0 {
		mo.CSV = RequestsCSVFile
		if err := add(RequestsCSVFile, func(w io.Writer) error { return WriteCSV(w, opts.Requests) }); err != nil {
			return nil, err
		}
	}
	if err := add("report.md", func(w io.Writer) error { return WriteMarkdownWith(w, r, mo) }); err != nil {
		return nil, err
	}
	if err := add("report.json", func(w io.Writer) error { return WriteJSON(w, r) }); err != nil {
		return nil, err
	}
	return files, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames
// it over path.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// MarkdownOptions says which files of a bundle report.md links to.
type MarkdownOptions struct {
	// Charts embeds latency.svg and connections.svg and links latency.png.
	Charts bool
	// HGRM names the .hgrm files, one per mode.
	HGRM []string
	// CSV names the per-request CSV, if any.
	CSV string
}

// WriteMarkdown writes a publishable markdown report without links to
// chart files: WriteMarkdownWith and no options.
func WriteMarkdown(w io.Writer, r *Report) error {
	return WriteMarkdownWith(w, r, MarkdownOptions{})
}

// WriteMarkdownWith writes a markdown report that reads on its own: what
// the run shows (Summary), the comparison table and its warnings, the
// charts, the scenario and the environment, and the bundle's files.
func WriteMarkdownWith(w io.Writer, r *Report, opts MarkdownOptions) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# poolbench report: %s\n\n", r.Scenario.Name)
	if r.Scenario.Description != "" {
		fmt.Fprintf(&b, "_%s_\n\n", r.Scenario.Description)
	}
	b.WriteString("## What this shows\n\n")
	b.WriteString(Summary(r) + "\n\n")
	b.WriteString("## Results\n\n")
	if len(r.Modes) > 1 {
		fmt.Fprintf(&b, "One column per client mode. A ratio column divides the baseline's figure (%s) by the mode's: for latency and connection counts, 6.00x means the mode needed six times less; for throughput, a ratio below 1 means the mode served more. Reuse is 1 − dials ÷ requests; connection counts are the client's (httptrace), cross-checked with the server's own. Warnings follow the table.\n\n", r.Modes[0].Mode)
	}
	if err := WriteTable(&b, r, true); err != nil {
		return err
	}
	if opts.Charts {
		b.WriteString("\n## Latency\n\n")
		fmt.Fprintf(&b, "![Latency by percentile, one line per mode](%s)\n\n", LatencySVGFile)
		fmt.Fprintf(&b, "The percentile spectrum: the x axis is 1/(1−q) on a log scale, so the median, p90, p99 and p99.9 are evenly spaced and the tail gets the room it needs. Also as [PNG](%s).\n", LatencyPNGFile)
		b.WriteString("\n## Connections\n\n")
		fmt.Fprintf(&b, "![New connections and TLS handshakes per mode](%s)\n", ConnectionsSVGFile)
	}
	if g := r.Gate; g != nil {
		verdict := "passed"
		if !g.Passed {
			verdict = "FAILED"
		}
		fmt.Fprintf(&b, "\n## Gate: %s\n\n| result | check | value | note |\n|---|---|---:|---|\n", verdict)
		for _, c := range g.Checks {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", gateResult(c), c.Expr, strconv.FormatFloat(c.Value, 'g', 6, 64), strings.ReplaceAll(c.Detail, "|", "\\|"))
		}
	}
	b.WriteString("\n## Scenario\n\n")
	writeKV(&b, scenarioRows(r))
	b.WriteString("\n## Environment\n\n")
	writeKV(&b, environmentRows(r))
	if len(opts.HGRM) > 0 || opts.CSV != "" {
		b.WriteString("\n## Files\n\n")
		b.WriteString("- [report.json](report.json): the whole run (schema " + Schema + "), lossless latency histograms included; re-render it with `poolbench report report.json --format html`.\n")
		for _, h := range opts.HGRM {
			fmt.Fprintf(&b, "- [%s](%s): %s's latency distribution in HdrHistogram's percentile format (ms), for HdrHistogram's plotter.\n", h, h, strings.TrimSuffix(h, ".hgrm"))
		}
		if opts.CSV != "" {
			fmt.Fprintf(&b, "- [%s](%s): one row per recorded request (start, latency and TTFB in µs, result, reused).\n", opts.CSV, opts.CSV)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func gateResult(c GateCheck) string {
	switch {
	case c.Skipped:
		return "skip"
	case c.Passed:
		return "PASS"
	}
	return "FAIL"
}

// kv is one row of a two-column description table.
type kv struct{ K, V string }

func writeKV(b *bytes.Buffer, rows []kv) {
	b.WriteString("| | |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s |\n", r.K, strings.ReplaceAll(r.V, "|", "\\|"))
	}
}

func scenarioRows(r *Report) []kv {
	sc := r.Scenario
	rows := []kv{{"scenario", sc.Name}}
	if sc.Requests > 0 {
		rows = append(rows, kv{"requests per mode", thousands(int64(sc.Requests))})
	}
	if sc.DurationS > 0 {
		rows = append(rows, kv{"duration per mode", strconv.FormatFloat(sc.DurationS, 'g', -1, 64) + " s"})
	}
	if sc.RateRPS > 0 {
		rows = append(rows, kv{"load model", "open: " + strconv.FormatFloat(sc.RateRPS, 'g', -1, 64) + " requests/s on a fixed schedule, latency corrected for coordinated omission"})
		rows = append(rows, kv{"concurrency", strconv.Itoa(sc.Concurrency) + " workers at most"})
	} else if len(r.Sources) > 1 {
		rows = append(rows, kv{"concurrency", strconv.Itoa(sc.Concurrency) + " workers in total over the merged runs, one request in flight each"})
	} else {
		rows = append(rows, kv{"concurrency", strconv.Itoa(sc.Concurrency) + " workers, one request in flight each"})
	}
	var modes []string
	for i, m := range r.Modes {
		if i == 0 && len(r.Modes) > 1 {
			modes = append(modes, m.Mode+" (baseline)")
			continue
		}
		modes = append(modes, m.Mode)
	}
	rows = append(rows, kv{"client modes", strings.Join(modes, ", ")})
	target := "in-process TLS mock on loopback"
	if sc.Target != "" {
		target = sc.Target
	}
	rows = append(rows, kv{"target", target})
	if sc.RTTMS > 0 {
		rows = append(rows, kv{"emulated round trip", strconv.FormatFloat(sc.RTTMS, 'g', -1, 64) + " ms on the mock's listener"})
	}
	if sc.LatencyMS > 0 {
		rows = append(rows, kv{"server latency", strconv.FormatFloat(sc.LatencyMS, 'g', -1, 64) + " ms per request"})
	}
	proto := "HTTP/1.1 over TLS"
	if sc.HTTP2 {
		proto = "HTTP/2 over TLS"
	}
	rows = append(rows, kv{"protocol", proto})
	if r.Shard != nil {
		rows = append(rows, kv{"shard", fmt.Sprintf("%d of %d", r.Shard.Index, r.Shard.Count)})
	}
	if len(r.Sources) > 0 {
		var shards []string
		for _, src := range r.Sources {
			if src.Shard != nil {
				shards = append(shards, fmt.Sprintf("%d/%d", src.Shard.Index, src.Shard.Count))
			}
		}
		merged := fmt.Sprintf("%d reports", len(r.Sources))
		if len(shards) > 0 {
			merged += " (shards " + strings.Join(shards, ", ") + ")"
		}
		rows = append(rows, kv{"merged from", merged + "; environment below is the first's"})
	}
	if r.Insecure {
		rows = append(rows, kv{"TLS verification", "off (--insecure)"})
	}
	return rows
}

func environmentRows(r *Report) []kv {
	env := r.Environment
	cpu := env.CPUModel
	if cpu == "" {
		cpu = "unknown"
	}
	return []kv{
		{"Go", env.Go},
		{"OS / arch", env.OS + "/" + env.Arch},
		{"CPU", cpu},
		{"cores", strconv.Itoa(env.CPUs)},
		{"started", env.StartedAt.UTC().Format("2006-01-02 15:04:05 MST")},
	}
}
