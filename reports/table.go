package reports

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Format is a rendering of a report.
type Format string

// The formats of the comparison table and the report.
const (
	FormatTable    Format = "table"
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
	// FormatHTML is one self-contained HTML page (WriteHTML).
	FormatHTML Format = "html"
	// FormatBenchstat is Go benchmark lines for benchstat (WriteBenchstat).
	FormatBenchstat Format = "benchstat"
)

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatTable, FormatMarkdown, FormatJSON, FormatHTML, FormatBenchstat:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (known: table, markdown, json, html, benchstat)", s)
}

// Render writes r in format f.
func Render(w io.Writer, r *Report, f Format) error {
	switch f {
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatMarkdown, FormatTable:
		return WriteTable(w, r, f == FormatMarkdown)
	case FormatHTML:
		return WriteHTML(w, r)
	case FormatBenchstat:
		return WriteBenchstat(w, r, nil)
	}
	return fmt.Errorf("render: unknown format %q", f)
}

// NewTable returns poolbench's table style: plain ASCII, or a GitHub
// markdown table, headers as given (not upper-cased) and centred, each
// column aligned as align says. Every table poolbench prints uses it.
func NewTable(w io.Writer, markdown bool, align ...tw.Align) *tablewriter.Table {
	var rend tw.Renderer
	if markdown {
		rend = renderer.NewMarkdown()
	} else {
		rend = renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})
	}
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(rend),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
}

// row is one metric of the comparison table: how to show it for a mode, and
// the number the ratio column divides (nil: no ratio).
type row struct {
	name  string
	cell  func(m *Mode) string
	value func(m *Mode) (float64, bool)
}

func ms(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + " ms" }

func count(n int64) string { return strconv.FormatInt(n, 10) }

var rows = []row{
	{"requests", func(m *Mode) string { return count(m.Requests) }, nil},
	{"ok", func(m *Mode) string { return count(m.OK) }, nil},
	{"errors", func(m *Mode) string { return count(m.Failed()) }, nil},
	{"throughput", func(m *Mode) string { return strconv.FormatFloat(m.ThroughputRPS, 'f', 1, 64) + " req/s" },
		func(m *Mode) (float64, bool) { return m.ThroughputRPS, true }},
	{"p50", func(m *Mode) string { return ms(m.LatencyMS.P50) }, func(m *Mode) (float64, bool) { return m.LatencyMS.P50, true }},
	{"p90", func(m *Mode) string { return ms(m.LatencyMS.P90) }, func(m *Mode) (float64, bool) { return m.LatencyMS.P90, true }},
	{"p99", func(m *Mode) string { return ms(m.LatencyMS.P99) }, func(m *Mode) (float64, bool) { return m.LatencyMS.P99, true }},
	{"p99.9", func(m *Mode) string { return ms(m.LatencyMS.P999) }, func(m *Mode) (float64, bool) { return m.LatencyMS.P999, true }},
	{"max", func(m *Mode) string { return ms(m.LatencyMS.Max) }, func(m *Mode) (float64, bool) { return m.LatencyMS.Max, true }},
	{"new connections (dials)", func(m *Mode) string { return count(m.Client.Dials) },
		func(m *Mode) (float64, bool) { return float64(m.Client.Dials), true }},
	{"TLS handshakes", func(m *Mode) string { return count(m.Client.TLSHandshakes) },
		func(m *Mode) (float64, bool) { return float64(m.Client.TLSHandshakes), true }},
	{"reuse %", func(m *Mode) string { return strconv.FormatFloat(100*m.ReuseRatio(), 'f', 1, 64) + "%" }, nil},
	{"server connections", func(m *Mode) string {
		if m.Server == nil {
			return "unknown"
		}
		return count(m.Server.Connections)
	}, nil},
}

// WriteTable writes the comparison table: one column per mode and, for each
// mode after the first, a ratio column "first / mode". Warnings follow the
// table, one line each, so no caveat hides.
func WriteTable(w io.Writer, r *Report, markdown bool) error {
	header, body := tableCells(r)
	align := make([]tw.Align, len(header))
	align[0] = tw.AlignLeft
	for i := 1; i < len(align); i++ {
		align[i] = tw.AlignRight
	}
	t := NewTable(w, markdown, align...)
	t.Header(header)
	for _, cells := range body {
		if err := t.Append(cells); err != nil {
			return fmt.Errorf("table row %s: %w", cells[0], err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return writeWarnings(w, r, markdown)
}

// tableCells returns the comparison table's header and rows, as every
// renderer (ASCII, markdown, HTML) shows them.
func tableCells(r *Report) (header []string, body [][]string) {
	header = []string{"metric"}
	for _, m := range r.Modes {
		header = append(header, m.Mode)
	}
	for _, m := range r.Modes[min(1, len(r.Modes)):] {
		header = append(header, r.Modes[0].Mode+" / "+m.Mode)
	}
	for _, rw := range rows {
		cells := []string{rw.name}
		for i := range r.Modes {
			cells = append(cells, rw.cell(&r.Modes[i]))
		}
		for i := 1; i < len(r.Modes); i++ {
			cells = append(cells, ratioCell(rw, &r.Modes[0], &r.Modes[i]))
		}
		body = append(body, cells)
	}
	return header, body
}

func ratioCell(rw row, base, m *Mode) string {
	if rw.value == nil {
		return ""
	}
	b, _ := rw.value(base)
	v, _ := rw.value(m)
	if v == 0 || math.IsNaN(b/v) || math.IsInf(b/v, 0) {
		return "-"
	}
	return strconv.FormatFloat(b/v, 'f', 2, 64) + "x"
}

func writeWarnings(w io.Writer, r *Report, markdown bool) error {
	var b strings.Builder
	if r.Partial {
		b.WriteString("\nPARTIAL: the run was stopped before it finished; the numbers cover what was sent.\n")
	}
	if r.Insecure {
		b.WriteString("\nINSECURE: TLS certificates were not verified (--insecure).\n")
	}
	first := true
	for _, m := range r.Modes {
		for _, msg := range m.Warnings {
			if first {
				b.WriteString("\n")
				first = false
			}
			if markdown {
				fmt.Fprintf(&b, "- **%s**: %s\n", m.Mode, msg)
			} else {
				fmt.Fprintf(&b, "! %s: %s\n", m.Mode, msg)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
