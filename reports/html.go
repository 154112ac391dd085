package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"regexp"
)

// WriteHTML writes r as one self-contained HTML page: the summary, the
// comparison table, the warnings, the latency and connections charts as
// inline SVG, the scenario and the environment. It loads nothing: no
// script, no stylesheet, no font, no image from elsewhere, so it opens
// offline and can be attached or published as one file.
func WriteHTML(w io.Writer, r *Report) error {
	lat, err := LatencySVG(r)
	if err != nil {
		return err
	}
	conn, err := ConnectionsSVG(r)
	if err != nil {
		return err
	}
	header, body := tableCells(r)
	var warnings []string
	if r.Partial {
		warnings = append(warnings, "PARTIAL: the run was stopped before it finished; the numbers cover what was sent.")
	}
	if r.Insecure {
		warnings = append(warnings, "INSECURE: TLS certificates were not verified (--insecure).")
	}
	for _, m := range r.Modes {
		for _, msg := range m.Warnings {
			warnings = append(warnings, m.Mode+": "+msg)
		}
	}
	data := struct {
		R             *Report
		Summary       template.HTML
		Header        []string
		Body          [][]string
		Warnings      []string
		Latency, Conn template.HTML
		Scenario, Env []kv
		Schema        string
	}{
		R: r, Summary: codeSpans(Summary(r)), Header: header, Body: body, Warnings: warnings,
		Latency:  inlineSVG(lat, "Latency by percentile, one line per mode"),
		Conn:     inlineSVG(conn, "New connections and TLS handshakes per mode"),
		Scenario: scenarioRows(r), Env: environmentRows(r), Schema: Schema,
	}
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, data); err != nil {
		return fmt.Errorf("render HTML: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

var (
	xmlProlog  = regexp.MustCompile(`(?s)^<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)
	svgSize    = regexp.MustCompile(`<svg width="[^"]*" height="[^"]*"`)
	codeSpanRE = regexp.MustCompile("`([^`]+)`")
)

// inlineSVG makes a standalone SVG document fit inside HTML: no XML
// prolog, and a width that follows the page (the viewBox keeps the
// aspect ratio). The SVG is our own rendering, never user input.
func inlineSVG(svg []byte, label string) template.HTML {
	s := xmlProlog.ReplaceAllString(string(svg), "")
	s = svgSize.ReplaceAllString(s, `<svg role="img" aria-label="`+template.HTMLEscapeString(label)+`" style="width:100%;height:auto"`)
	return template.HTML(s)
}

// codeSpans escapes s and turns its `code` spans into <code> elements.
func codeSpans(s string) template.HTML {
	return template.HTML(codeSpanRE.ReplaceAllString(template.HTMLEscapeString(s), "<code>$1</code>"))
}

var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>poolbench report: {{.R.Scenario.Name}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;background:#fff;line-height:1.5}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.desc{color:#555;margin-top:0}
.summary{background:#f3f7fb;border-left:4px solid #0072b2;padding:.8rem 1rem}
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.25rem .7rem;border-bottom:1px solid #e4e4e4}
th{background:#f6f6f6;text-align:center}
td{text-align:right}
td:first-child,th:first-child{text-align:left}
table.kv td{text-align:left}
.warn{background:#fff6e5;border-left:4px solid #e69f00;padding:.5rem 1rem}
.warn li{margin:.2rem 0}
code{background:#f2f2f2;padding:0 .2rem;border-radius:3px}
figure{margin:1rem 0}
figure.conn{max-width:42rem}
figcaption{color:#555;font-size:.9rem}
footer{margin-top:2rem;color:#777;font-size:.85rem}
</style>
</head>
<body>
<h1>poolbench report: {{.R.Scenario.Name}}</h1>
{{with .R.Scenario.Description}}<p class="desc">{{.}}</p>{{end}}
<h2>What this shows</h2>
<p class="summary" id="summary">{{.Summary}}</p>
<h2>Results</h2>
<table id="results">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Body}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{if gt (len .R.Modes) 1}}<p>A ratio column divides the baseline's figure ({{(index .R.Modes 0).Mode}}) by the mode's: for latency and connection counts, 6.00x means the mode needed six times less; for throughput, a ratio below 1 means the mode served more.</p>{{end}}
{{if .Warnings}}<div class="warn"><strong>Warnings</strong><ul>
{{range .Warnings}}<li>{{.}}</li>
{{end}}</ul></div>{{end}}
{{with .R.Gate}}<h2>Gate: {{if .Passed}}passed{{else}}FAILED{{end}}</h2>
<table id="gate">
<thead><tr><th>result</th><th>check</th><th>value</th><th>note</th></tr></thead>
<tbody>
{{range .Checks}}<tr><td>{{if .Skipped}}skip{{else if .Passed}}PASS{{else}}FAIL{{end}}</td><td><code>{{.Expr}}</code></td><td>{{.Value}}</td><td>{{.Detail}}</td></tr>
{{end}}</tbody>
</table>{{end}}
<h2>Latency</h2>
<figure>
{{.Latency}}
<figcaption>The percentile spectrum: the x axis is 1/(1&minus;q) on a log scale, so the median, p90, p99 and p99.9 are evenly spaced.</figcaption>
</figure>
<h2>Connections</h2>
<figure class="conn">
{{.Conn}}
<figcaption>New connections (dials) and TLS handshakes per mode, counted by the client through net/http/httptrace.</figcaption>
</figure>
<h2>Scenario</h2>
<table class="kv">
{{range .Scenario}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>
{{end}}</table>
<h2>Environment</h2>
<table class="kv">
{{range .Env}}<tr><td>{{.K}}</td><td>{{.V}}</td></tr>
{{end}}</table>
<footer>Generated by poolbench from a {{.Schema}} report. This page is self-contained: it loads nothing from the network.</footer>
</body>
</html>
`))
