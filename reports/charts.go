package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart sizes. The latency chart is wide because its x axis spans five
// decades of percentiles.
const (
	latencyW, latencyH = 7 * vg.Inch, 4 * vg.Inch
	connW, connH       = 6 * vg.Inch, 3.5 * vg.Inch
)

// palette gives every mode the same colour in every chart (Okabe-Ito,
// readable by colour-blind readers), in the report's mode order.
var palette = []color.RGBA{
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion: the baseline
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0x00, 0x9E, 0x73, 0xff}, // green
	{0xCC, 0x79, 0xA7, 0xff}, // purple
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x56, 0xB4, 0xE9, 0xff}, // sky
}

func modeColor(i int) color.Color { return palette[i%len(palette)] }

// SpectrumPoint is one point of a percentile spectrum: X = 1/(1−q) for the
// quantile q (so 2 is the median, 100 the 99th percentile) and the latency
// at q in milliseconds.
type SpectrumPoint struct{ X, MS float64 }

// Spectrum returns h's percentile spectrum (h in µs), as HdrHistogram's
// plotter draws it: twenty points per decade of 1/(1−q), from q = 0 up to
// the last quantile the sample resolves (1 − 1/count), then the maximum.
func Spectrum(h *hdrhistogram.Histogram) []SpectrumPoint {
	n := h.TotalCount()
	if n == 0 {
		return nil
	}
	var pts []SpectrumPoint
	limit := float64(n)
	for i := 0; ; i++ {
		x := math.Pow(10, float64(i)/20)
		if x > limit {
			break
		}
		q := 100 * (1 - 1/x)
		pts = append(pts, SpectrumPoint{X: x, MS: float64(h.ValueAtQuantile(q)) / 1000})
	}
	// The maximum sits at the resolution limit: one sample in n.
	last := max(limit, pts[len(pts)-1].X)
	pts = append(pts, SpectrumPoint{X: last, MS: float64(h.Max()) / 1000})
	return pts
}

// percentileTicks label the log x axis with the percentiles readers know.
func percentileTicks(xmax float64) plot.Ticker {
	return plot.TickerFunc(func(min, max float64) []plot.Tick {
		var ts []plot.Tick
		for _, t := range []struct {
			x     float64
			label string
		}{
			{1, "0%"}, {2, "50%"}, {10, "90%"}, {100, "99%"}, {1000, "99.9%"},
			{10000, "99.99%"}, {100000, "99.999%"}, {1000000, "99.9999%"},
		} {
			if t.x <= xmax*1.0001 {
				ts = append(ts, plot.Tick{Value: t.x, Label: t.label})
			}
		}
		return ts
	})
}

// sans sets every text of p in Liberation Sans, which reads better in
// charts than the default serif.
func sans(p *plot.Plot) {
	for _, v := range []*font.Variant{
		&p.Title.TextStyle.Font.Variant, &p.X.Label.TextStyle.Font.Variant,
		&p.Y.Label.TextStyle.Font.Variant, &p.X.Tick.Label.Font.Variant,
		&p.Y.Tick.Label.Font.Variant, &p.Legend.TextStyle.Font.Variant,
	} {
		*v = "Sans"
	}
}

// latencyPlot draws the percentile spectrum of every mode, one line each,
// on a log x axis of 1/(1−q).
func latencyPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	sans(p)
	p.Title.Text = "Latency by percentile: " + r.Scenario.Name
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (ms)"
	p.X.Scale = plot.LogScale{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	xmax := 1.0
	ymin, ymax := math.Inf(1), 0.0
	var p50s []float64
	for i := range r.Modes {
		m := &r.Modes[i]
		h, err := m.Hist()
		if err != nil {
			return nil, err
		}
		pts := Spectrum(h)
		if len(pts) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(pts))
		for j, pt := range pts {
			xys[j] = plotter.XY{X: pt.X, Y: pt.MS}
			xmax = math.Max(xmax, pt.X)
			ymin, ymax = math.Min(ymin, pt.MS), math.Max(ymax, pt.MS)
		}
		p50s = append(p50s, float64(h.ValueAtQuantile(50))/1000)
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("mode %s: latency line: %w", m.Mode, err)
		}
		l.Color = modeColor(i)
		l.Width = vg.Points(2)
		p.Add(l)
		p.Legend.Add(m.Mode, l)
	}
	p.X.Min, p.X.Max = 1, xmax
	p.X.Tick.Marker = percentileTicks(xmax)
	if logLatency(p50s) && ymin > 0 {
		// Modes an order of magnitude apart: on a linear axis the fast
		// one would be a flat line at zero.
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min = math.Pow(10, math.Floor(math.Log10(ymin)))
		p.Y.Max = math.Pow(10, math.Ceil(math.Log10(ymax)))
		p.Y.Label.Text = "latency (ms, log scale)"
	} else {
		p.Y.Min = 0
		p.Y.Tick.Marker = plainTicks{}
	}
	return p, nil
}

// logLatency reports whether the modes' medians are ten times or more
// apart, when the latency chart reads better on a log axis.
func logLatency(p50s []float64) bool {
	if len(p50s) < 2 {
		return false
	}
	lo, hi := slices.Min(p50s), slices.Max(p50s)
	return lo > 0 && hi/lo >= 10
}

// plainTicks are plot's default ticks labelled without trailing zeros
// ("250", not "250.00").
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
		}
	}
	return ts
}

// connectionsPlot draws, per mode, two bars: new connections (dials) and
// TLS handshakes, each labelled with its count.
func connectionsPlot(r *Report) (*plot.Plot, error) {
	p := plot.New()
	sans(p)
	p.Title.Text = "New connections and TLS handshakes: " + r.Scenario.Name
	p.Y.Label.Text = "count (client side)"
	p.Legend.Top = true
	names := make([]string, len(r.Modes))
	dials := make(plotter.Values, len(r.Modes))
	hands := make(plotter.Values, len(r.Modes))
	top := 1.0
	for i, m := range r.Modes {
		names[i] = m.Mode
		dials[i] = float64(m.Client.Dials)
		hands[i] = float64(m.Client.TLSHandshakes)
		top = math.Max(top, math.Max(dials[i], hands[i]))
	}
	w := vg.Points(28)
	for _, s := range []struct {
		name   string
		vals   plotter.Values
		colour color.Color
		offset vg.Length
	}{
		{"new connections (dials)", dials, color.RGBA{0x00, 0x72, 0xB2, 0xff}, -w / 2},
		{"TLS handshakes", hands, color.RGBA{0xE6, 0x9F, 0x00, 0xff}, w / 2},
	} {
		b, err := plotter.NewBarChart(s.vals, w)
		if err != nil {
			return nil, fmt.Errorf("connections chart: %w", err)
		}
		b.Color = s.colour
		b.LineStyle.Width = 0
		b.Offset = s.offset
		p.Add(b)
		p.Legend.Add(s.name, b)
		labels := make([]string, len(s.vals))
		xys := make(plotter.XYs, len(s.vals))
		for i, v := range s.vals {
			labels[i] = strconv.FormatFloat(v, 'f', 0, 64)
			xys[i] = plotter.XY{X: float64(i), Y: v}
		}
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, fmt.Errorf("connections chart: %w", err)
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Variant = "Sans"
			l.TextStyle[i].XAlign = draw.XCenter
		}
		l.Offset = vg.Point{X: s.offset, Y: vg.Points(3)}
		p.Add(l)
	}
	p.NominalX(names...)
	p.Y.Min = 0
	p.Y.Max = top * 1.2 // room for the labels and the legend
	p.Y.Tick.Marker = plainTicks{}
	return p, nil
}

// render draws p in format ("svg" or "png") at w×h.
func render(p *plot.Plot, w, h vg.Length, format string) ([]byte, error) {
	wt, err := p.WriterTo(w, h, format)
	if err != nil {
		return nil, fmt.Errorf("draw %s chart: %w", format, err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("draw %s chart: %w", format, err)
	}
	return b.Bytes(), nil
}

// LatencySVG returns the percentile-spectrum chart of r as SVG.
func LatencySVG(r *Report) ([]byte, error) { return latencyChart(r, "svg") }

// LatencyPNG returns the percentile-spectrum chart of r as PNG.
func LatencyPNG(r *Report) ([]byte, error) { return latencyChart(r, "png") }

func latencyChart(r *Report, format string) ([]byte, error) {
	p, err := latencyPlot(r)
	if err != nil {
		return nil, err
	}
	return render(p, latencyW, latencyH, format)
}

// ConnectionsSVG returns the dials-and-handshakes chart of r as SVG.
func ConnectionsSVG(r *Report) ([]byte, error) {
	p, err := connectionsPlot(r)
	if err != nil {
		return nil, err
	}
	return render(p, connW, connH, "svg")
}
