// Package reports holds poolbench's report model (the v1 JSON schema) and
// renders it: comparison tables (ASCII, markdown), JSON and .hgrm.
package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/harness"
)

// Schema names the report format; a change that renames or drops a field
// bumps it.
const Schema = "poolbench/report/v1"

// Report is one run, as written to report.json.
type Report struct {
	Schema      string       `json:"schema"`
	Scenario    Scenario     `json:"scenario"`
	Environment Environment  `json:"environment"`
	Partial     bool         `json:"partial,omitempty"`
	Insecure    bool         `json:"insecure,omitempty"`
	Modes       []Mode       `json:"modes"`
	Comparison  *Comparison  `json:"comparison,omitempty"`
	Gate        *GateVerdict `json:"gate,omitempty"`
	// Shard is set on the report of one shard of a sharded run (run
	// --shard i/n).
	Shard *Shard `json:"shard,omitempty"`
	// Sources lists, for a merged report, the reports it was merged from.
	Sources []Source `json:"sources,omitempty"`
	// Records are the per-request records of a run that kept them
	// (harness.Config.RecordRequests), for requests.csv; not part of the
	// JSON.
	Records []ModeRecords `json:"-"`
}

// Shard names one shard of a run split over n machines: Index in 1..Count.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Source is one input of a merged report.
type Source struct {
	Shard       *Shard      `json:"shard,omitempty"`
	Requests    int         `json:"requests"`
	Environment Environment `json:"environment"`
}

// Scenario describes the workload of a run.
type Scenario struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Requests    int      `json:"requests"`
	Concurrency int      `json:"concurrency"`
	DurationS   float64  `json:"duration_s,omitempty"`
	Modes       []string `json:"modes"`
	Target      string   `json:"target,omitempty"`
	LatencyMS   float64  `json:"server_latency_ms,omitempty"`
	HTTP2       bool     `json:"http2,omitempty"`
	// RateRPS is the open model's intended send rate; 0: closed model.
	RateRPS float64 `json:"rate_rps,omitempty"`
	// RTTMS is the emulated round-trip time on the mock's listener.
	RTTMS float64 `json:"rtt_ms,omitempty"`
	// WarmupS is the warm-up sent before each mode and left out of its results.
	WarmupS float64 `json:"warmup_s,omitempty"`
}

// Environment describes where a run happened.
type Environment struct {
	Go        string    `json:"go"`
	OS        string    `json:"os"`
	Arch      string    `json:"arch"`
	CPUs      int       `json:"cpus"`
	CPUModel  string    `json:"cpu_model,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// Mode is one client mode's outcome.
type Mode struct {
	Mode          string           `json:"mode"`
	Requests      int64            `json:"requests"`
	OK            int64            `json:"ok"`
	Errors        map[string]int64 `json:"errors"`
	DurationS     float64          `json:"duration_s"`
	ThroughputRPS float64          `json:"throughput_rps"`
	Client        Client           `json:"client"`
	Server        *Server          `json:"server"`
	LatencyMS     Latency          `json:"latency_ms"`
	TTFBMS        *Latency         `json:"ttfb_ms,omitempty"`
	// Histogram is the latency histogram (µs), HdrHistogram V2 compressed
	// and base64-encoded: lossless, so reports merge exactly.
	Histogram string `json:"histogram"`
	// TTFBHistogram is the time-to-first-byte histogram, encoded as
	// Histogram is, so merged reports keep their TTFB exactly.
	TTFBHistogram string `json:"ttfb_histogram,omitempty"`
	// StartedAt is when the mode began sending; with DurationS it gives
	// the mode's time window, over which merged throughput is computed.
	StartedAt    time.Time `json:"started_at,omitzero"`
	ClientsBuilt int64     `json:"clients_built"`
	LeftOpen     int64     `json:"left_open,omitempty"`
	Warnings     []string  `json:"warnings,omitempty"`
	Partial      bool      `json:"partial,omitempty"`
	// The open model only: latency_ms is then measured from each send's
	// intended time (corrected for coordinated omission) and
	// latency_uncorrected_ms from the actual send; late sends were made
	// more than the late threshold after their intended time, dropped ones
	// never (the duration ended first); intended = sent + dropped.
	RateRPS              float64  `json:"rate_rps,omitempty"`
	Intended             int64    `json:"intended,omitempty"`
	Late                 int64    `json:"late,omitempty"`
	Dropped              int64    `json:"dropped,omitempty"`
	MaxLagMS             float64  `json:"max_lag_ms,omitempty"`
	LatencyUncorrectedMS *Latency `json:"latency_uncorrected_ms,omitempty"`
	// HistogramUncorrected is LatencyUncorrectedMS's histogram, encoded as
	// Histogram is.
	HistogramUncorrected string `json:"histogram_uncorrected,omitempty"`
	// TLSUnverified is set when the mode's client did not verify the
	// server's certificate (the hey reference modes).
	TLSUnverified bool `json:"tls_unverified,omitempty"`
}

// Client holds the client-side connection counts of a mode.
type Client struct {
	Dials           int64 `json:"dials"`
	DialErrors      int64 `json:"dial_errors,omitempty"`
	TLSHandshakes   int64 `json:"tls_handshakes"`
	TLSErrors       int64 `json:"tls_errors,omitempty"`
	TLSResumed      int64 `json:"tls_resumed"`
	Reused          int64 `json:"reused"`
	NewConnRequests int64 `json:"new_conn_requests"`
	// PoolRejected counts connections the idle pool refused after a
	// request (more idle than MaxIdleConnsPerHost): 0 for a pool sized
	// for the concurrency, exactly, whatever the machine's load.
	PoolRejected int64 `json:"pool_rejected"`
	// ClosedAfterUse counts HTTP/1.1 connections closed after a request
	// instead of going back to the pool (server keep-alive limits, failed
	// requests, or net/http's 50ms write-confirmation timeout on a starved
	// CPU); each may cost a dial. 0 over HTTP/2.
	ClosedAfterUse int64   `json:"closed_after_use"`
	MeanDialMS     float64 `json:"mean_dial_ms"`
	MeanTLSMS      float64 `json:"mean_tls_ms"`
}

// Server holds the server's own counts of a mode.
type Server struct {
	Connections   int64 `json:"connections"`
	TLSHandshakes int64 `json:"tls_handshakes"`
	Resumed       int64 `json:"resumed"`
	Requests      int64 `json:"requests"`
}

// Latency summarises a histogram, in milliseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Comparison holds, for every mode but the baseline, baseline ÷ mode for
// each metric (so 6.1 for p50 means the mode's p50 is 6.1 times lower).
type Comparison struct {
	Baseline string                        `json:"baseline"`
	Ratios   map[string]map[string]float64 `json:"ratios"`
}

// GateVerdict is the outcome of a gate run.
type GateVerdict struct {
	Passed bool        `json:"passed"`
	Checks []GateCheck `json:"checks"`
}

// GateCheck is one evaluated threshold.
type GateCheck struct {
	Expr   string  `json:"expr"`
	Value  float64 `json:"value"`
	Passed bool    `json:"passed"`
	Detail string  `json:"detail,omitempty"`
	// Skipped is set for a check that named a mode the run did not have
	// (a scenario's threshold under --modes); it counts neither way.
	Skipped bool `json:"skipped,omitempty"`
	// Source says where the check came from: scenario, flag or baseline.
	Source string `json:"source,omitempty"`
}

// ReuseRatio is the share of requests that paid no dial: 1 − dials/requests,
// at least 0. It is taken from dials, not from GotConn's Reused flag, which
// undercounts new connections when a pool churns.
func (m *Mode) ReuseRatio() float64 {
	if m.Requests == 0 {
		return 0
	}
	return math.Max(0, 1-float64(m.Client.Dials)/float64(m.Requests))
}

// Failed returns the number of failed requests.
func (m *Mode) Failed() int64 {
	var n int64
	for _, v := range m.Errors {
		n += v
	}
	return n
}

// Hist decodes the mode's latency histogram (µs).
func (m *Mode) Hist() (*hdrhistogram.Histogram, error) {
	if m.Histogram == "" {
		return nil, fmt.Errorf("mode %s: no histogram", m.Mode)
	}
	h, err := DecodeHistogram(m.Histogram)
	if err != nil {
		return nil, fmt.Errorf("mode %s: decode histogram: %w", m.Mode, err)
	}
	return h, nil
}

// FromResult builds a report from a harness result.
func FromResult(sc Scenario, res *harness.Result) (*Report, error) {
	r := &Report{
		Schema:      Schema,
		Scenario:    sc,
		Environment: CurrentEnvironment(res.StartedAt),
		Partial:     res.Partial,
	}
	for i := range res.Modes {
		m, err := modeFromResult(&res.Modes[i])
		if err != nil {
			return nil, err
		}
		r.Modes = append(r.Modes, m)
	}
	r.Comparison = Compare(r.Modes)
	r.Records = RecordsOf(res)
	return r, nil
}

func modeFromResult(mr *harness.ModeResult) (Mode, error) {
	enc, err := mr.Latency.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return Mode{}, fmt.Errorf("mode %s: encode histogram: %w", mr.Mode, err)
	}
	m := Mode{
		Mode:          mr.Mode,
		Requests:      mr.Requests,
		OK:            mr.OK,
		Errors:        mr.Errors,
		DurationS:     mr.Duration.Seconds(),
		ThroughputRPS: mr.Throughput(),
		Client: Client{
			Dials:           mr.Client.Dials,
			DialErrors:      mr.Client.DialErrors,
			TLSHandshakes:   mr.Client.TLSHandshakes,
			TLSErrors:       mr.Client.TLSErrors,
			TLSResumed:      mr.Client.TLSResumed,
			Reused:          mr.Client.Reused,
			NewConnRequests: mr.Client.NewConnRequests,
			PoolRejected:    mr.Client.PoolRejected,
			ClosedAfterUse:  mr.Client.ClosedAfterUse,
			MeanDialMS:      meanMS(mr.Client.DialTime, mr.Client.Dials+mr.Client.DialErrors),
			MeanTLSMS:       meanMS(mr.Client.TLSTime, mr.Client.TLSHandshakes+mr.Client.TLSErrors),
		},
		StartedAt:    mr.Started.UTC(),
		LatencyMS:    Summarize(mr.Latency),
		Histogram:    string(enc),
		ClientsBuilt: mr.ClientsBuilt,
		LeftOpen:     mr.LeftOpen,
		Warnings:     mr.Warnings,
		Partial:      mr.Partial,
	}
	if m.Errors == nil {
		m.Errors = map[string]int64{}
	}
	if mr.TTFB != nil && mr.TTFB.TotalCount() > 0 {
		t := Summarize(mr.TTFB)
		m.TTFBMS = &t
		enc, err := mr.TTFB.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return Mode{}, fmt.Errorf("mode %s: encode TTFB histogram: %w", mr.Mode, err)
		}
		m.TTFBHistogram = string(enc)
	}
	if h := mr.LatencyUncorrected; h != nil {
		u := Summarize(h)
		enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return Mode{}, fmt.Errorf("mode %s: encode uncorrected histogram: %w", mr.Mode, err)
		}
		m.LatencyUncorrectedMS, m.HistogramUncorrected = &u, string(enc)
		m.RateRPS, m.Intended, m.Late, m.Dropped = mr.Rate, mr.Intended, mr.Late, mr.Dropped
		m.MaxLagMS = round3(float64(mr.MaxLag) / 1e6)
	}
	m.TLSUnverified = mr.TLSUnverified
	if s := mr.Server; s != nil {
		m.Server = &Server{Connections: s.Connections, TLSHandshakes: s.TLSHandshakes, Resumed: s.Resumed, Requests: s.Requests}
	}
	return m, nil
}

func meanMS(total time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return round3(float64(total) / float64(n) / 1e6)
}

// Summarize returns the min, mean, percentiles and max of h (µs) in ms.
func Summarize(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return round3(float64(us) / 1000) }
	return Latency{
		Min:  ms(h.Min()),
		Mean: round3(h.Mean() / 1000),
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
	}
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// Compare returns the ratios of every mode against the first (the baseline).
func Compare(modes []Mode) *Comparison {
	if len(modes) < 2 {
		return nil
	}
	base := modes[0]
	c := &Comparison{Baseline: base.Mode, Ratios: map[string]map[string]float64{}}
	for _, m := range modes[1:] {
		r := map[string]float64{}
		put := func(name string, b, v float64) {
			if v != 0 && !math.IsNaN(b/v) {
				r[name] = round3(b / v)
			}
		}
		put("throughput_rps", base.ThroughputRPS, m.ThroughputRPS)
		put("p50", base.LatencyMS.P50, m.LatencyMS.P50)
		put("p90", base.LatencyMS.P90, m.LatencyMS.P90)
		put("p99", base.LatencyMS.P99, m.LatencyMS.P99)
		put("p999", base.LatencyMS.P999, m.LatencyMS.P999)
		put("max", base.LatencyMS.Max, m.LatencyMS.Max)
		put("dials", float64(base.Client.Dials), float64(m.Client.Dials))
		put("tls_handshakes", float64(base.Client.TLSHandshakes), float64(m.Client.TLSHandshakes))
		c.Ratios[m.Mode] = r
	}
	return c
}

// CurrentEnvironment describes this process's machine.
func CurrentEnvironment(started time.Time) Environment {
	return Environment{
		Go:        runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		CPUModel:  cpuModel(),
		StartedAt: started.UTC(),
	}
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report JSON: %w", err)
	}
	return nil
}

// ReadJSON decodes a report, refusing other schemas. Unknown fields are
// ignored: v1 readers must accept reports from writers that added fields.
func ReadJSON(rd io.Reader) (*Report, error) {
	data, err := io.ReadAll(io.LimitReader(rd, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("decode report: schema %q, want %q", r.Schema, Schema)
	}
	for i := range r.Modes {
		if r.Modes[i].Mode == "" {
			return nil, errors.New("decode report: a mode has no name")
		}
	}
	return &r, nil
}
