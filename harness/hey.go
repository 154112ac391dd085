package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rakyll/hey/requester"

	"github.com/poolbench/poolbench/execution"
)

// Runner drives one mode by itself instead of the harness's workers: a
// reference load generator. It gets the run's Config (with defaults
// applied) and the mode's name and returns the mode's outcome with
// Requests, OK, Errors, Latency, Duration and, when it can, Client filled
// in; the harness resets and reads the server's counts around it and adds
// the cross-check warnings. It must honour ctx as Run does: stop sending
// when ctx is cancelled, give in-flight requests cfg.Grace, set Partial.
type Runner func(ctx context.Context, cfg Config, mode string) (*ModeResult, error)

// The reference modes: the same mock driven by
// github.com/rakyll/hey/requester, an independent load generator, so
// poolbench's own numbers are cross-checked. hey has no client-per-request
// mode; DisableKeepAlives (one connection per request) is its "no reuse"
// analogue.
const (
	ModeHey            = "hey"
	ModeHeyNoKeepAlive = "hey-no-keepalive"
)

// ReferenceModes are the modes every Config knows without listing them in
// Runners.
var ReferenceModes = []string{ModeHey, ModeHeyNoKeepAlive}

// heyMaxRows is how many successful requests hey keeps per run (its
// requester.maxRes); the harness asks it for no more requests than that.
const heyMaxRows = 1_000_000

// runner returns the Runner of mode: Runners first, then (unless Clients
// names it) the reference modes; nil for a worker-driven mode.
func (c *Config) runner(mode string) Runner {
	if r, ok := c.Runners[mode]; ok {
		return r
	}
	if _, ok := c.Clients[mode]; ok {
		return nil
	}
	switch mode {
	case ModeHey:
		return HeyRunner(false)
	case ModeHeyNoKeepAlive:
		return HeyRunner(true)
	}
	return nil
}

// runRunner runs a mode driven by r and cross-checks it like any other.
func runRunner(ctx context.Context, cfg Config, mode string, r Runner) (*ModeResult, error) {
	mr, err := r(ctx, cfg, mode)
	if err != nil {
		return nil, err
	}
	mr.Mode = mode
	if mr.Errors == nil {
		mr.Errors = map[string]int64{}
	}
	if mr.Latency == nil {
		mr.Latency = NewHistogram()
	}
	if mr.TTFB == nil {
		mr.TTFB = NewHistogram()
	}
	mr.Partial = mr.Partial || ctx.Err() != nil
	addServerCounts(ctx, cfg, mr)
	return mr, nil
}

// heyTemplate is the output hey is asked for: its per-request latencies
// (seconds, in completion order) and status codes of the requests that got
// a response, and its error distribution (message → count), which its CSV
// output leaves out. Full float precision, where CSV rounds to 0.1 ms.
const heyTemplate = `{"lats":{{ jsonify .Lats }},"codes":{{ jsonify .StatusCodes }},"errors":{{ jsonify .ErrorDist }}}`

// heyOutput is heyTemplate's output.
type heyOutput struct {
	Lats   []float64      `json:"lats"`
	Codes  []int          `json:"codes"`
	Errors map[string]int `json:"errors"`
}

// HeyRunner returns the Runner of the reference modes: hey's requester.Work
// with cfg's concurrency, request count, timeout and protocol against
// cfg.BaseURL, sending the same payloads (with ids) as the other modes.
//
// What it measures and how:
//   - Latency: hey's own per-request durations, parsed from its output into
//     the same HdrHistogram (µs). No TTFB.
//   - Outcomes: a request hey got a response for is ok when the status is
//     2xx, else counted by status kind; hey discards bodies, so responses
//     are checked by status only (no echo or JSON check). Requests that got
//     no response are counted from hey's error distribution, classified by
//     message. Requests is the number of requests hey built (RequestFunc
//     calls), so OK + Σ Errors == Requests.
//   - hey sends C × ⌊N/C⌋ requests (it drops N mod C); a warning says so.
//   - Client counts come from a trace of the harness's own, composed onto
//     hey's through the request context (httptrace composes hooks), not
//     from hey's trace, whose hook variables are unsynchronised.
//   - TLS: hey's transport sets InsecureSkipVerify itself; certificates are
//     not verified in this mode, whatever cfg.TLSConfig says (TLSUnverified
//     and a warning mark it).
//   - hey keeps its idle connections for the life of its transport, which it
//     does not expose; the runner closes the connections it saw (GotConn)
//     when the mode ends, so nothing outlives the mode.
//
// hey is a closed-model generator: the open model (cfg.Rate) is refused.
func HeyRunner(disableKeepAlives bool) Runner {
	return func(ctx context.Context, cfg Config, mode string) (*ModeResult, error) {
		return runHey(ctx, cfg, mode, disableKeepAlives)
	}
}

func runHey(ctx context.Context, cfg Config, mode string, disableKeepAlives bool) (*ModeResult, error) {
	if cfg.Rate > 0 {
		return nil, errors.New("hey is a closed-model reference; it cannot run the open model (rate)")
	}
	url := strings.TrimRight(cfg.BaseURL, "/") + execution.ExecutePath
	proto, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		return nil, fmt.Errorf("hey: request: %w", err)
	}
	quota := cfg.Requests
	var warnings []string
	if quota == 0 {
		quota = DurationRequestCap
	}
	if quota > heyMaxRows {
		quota = heyMaxRows
		warnings = append(warnings, fmt.Sprintf("hey keeps at most %d request rows; the mode was capped there", heyMaxRows))
	}
	if cfg.Requests > 0 && cfg.Requests%cfg.Concurrency != 0 {
		warnings = append(warnings, fmt.Sprintf("hey sends C × ⌊N/C⌋ = %d of the %d requests (it drops N mod C)", cfg.Concurrency*(cfg.Requests/cfg.Concurrency), cfg.Requests))
	}
	timeoutS := int((cfg.Timeout + time.Second - 1) / time.Second)

	reqCtx, release := graceContext(ctx, cfg.Grace)
	defer release()
	epoch := time.Now()
	tr := newTracer(epoch)
	conns := &connSet{m: map[net.Conn]bool{}}
	trace := tr.clientTrace()
	gotConn := trace.GotConn
	trace.GotConn = func(info httptrace.GotConnInfo) {
		gotConn(info)
		conns.add(info.Conn)
	}
	traced := httptrace.WithClientTrace(reqCtx, trace)

	var built atomic.Int64
	var buildErr error
	var buildErrOnce sync.Once
	var out bytes.Buffer
	work := &requester.Work{
		Request: proto,
		RequestFunc: func() *http.Request {
			i := int(built.Add(1) - 1)
			req := cfg.Payload(i)
			body, err := json.Marshal(req)
			if err != nil {
				buildErrOnce.Do(func() { buildErr = err })
				body = nil
			}
			hr, _ := http.NewRequestWithContext(traced, http.MethodPost, url, bytes.NewReader(body))
			hr.Header.Set("Content-Type", "application/json")
			hr.Header.Set(execution.RequestIDHeader, strconv.Itoa(i))
			return hr
		},
		N:                 quota,
		C:                 cfg.Concurrency,
		H2:                cfg.HTTP2,
		Timeout:           timeoutS,
		DisableKeepAlives: disableKeepAlives,
		Output:            heyTemplate,
		Writer:            &out,
	}
	work.Init() // Stop needs the channels Init makes
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(work.Stop) }
	stopCancel := context.AfterFunc(ctx, stop) // no new sends; reqCtx gives in-flight ones their grace
	defer stopCancel()
	if cfg.Duration > 0 {
		t := time.AfterFunc(cfg.Duration, stop)
		defer t.Stop()
	}
	// hey does not expose completions: progress counts requests built.
	stopProgress := startProgress(cfg, mode, int64(quota), built.Load)
	work.Run()
	elapsed := time.Since(epoch)
	stopProgress()
	if buildErr != nil {
		return nil, fmt.Errorf("hey: encode payload: %w", buildErr)
	}

	var ho heyOutput
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &ho); err != nil {
		return nil, fmt.Errorf("hey: parse its output: %w", err)
	}
	if len(ho.Codes) != len(ho.Lats) {
		return nil, fmt.Errorf("hey: output has %d latencies but %d status codes", len(ho.Lats), len(ho.Codes))
	}
	mr := &ModeResult{
		Mode:          mode,
		Started:       epoch,
		Requests:      built.Load(),
		Errors:        map[string]int64{},
		Duration:      elapsed,
		Latency:       NewHistogram(),
		TTFB:          NewHistogram(),
		ClientsBuilt:  1,
		TLSUnverified: true,
		Partial:       ctx.Err() != nil,
	}
	for i, s := range ho.Lats {
		recordClamped(mr.Latency, time.Duration(s*float64(time.Second)))
		switch c := ho.Codes[i]; {
		case c >= 200 && c < 300:
			mr.OK++
		case c == http.StatusTooManyRequests:
			mr.Errors[KindHTTP429]++
		case c >= 500:
			mr.Errors[KindHTTP5xx]++
		default:
			mr.Errors[KindHTTP4xx]++
		}
	}
	var failed int64
	for msg, n := range ho.Errors {
		mr.Errors[heyKind(msg)] += int64(n)
		failed += int64(n)
	}
	if rest := mr.Requests - int64(len(ho.Lats)) - failed; rest != 0 {
		warnings = append(warnings, fmt.Sprintf("hey reported %d responses and %d errors for %d requests built; %d counted as %q", len(ho.Lats), failed, mr.Requests, rest, KindOther))
		mr.Errors[KindOther] += rest
	}

	// Let background dials finish, then close every connection hey's
	// transport opened (it keeps idle ones forever otherwise).
	deadline := time.Now().Add(2 * time.Second)
	for tr.pending() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	closed := conns.closeAll()
	mr.Client = tr.counts()
	mr.Client.finish()
	// A connection dialed in the background and never handed to a request
	// is not in conns; only the server can close it.
	if cc, ok := cfg.Server.(connCloser); ok {
		cc.CloseClientConnections()
	} else if !disableKeepAlives && mr.Client.Dials > int64(closed) {
		warnings = append(warnings, fmt.Sprintf("hey's transport may keep %d idle connection(s) it dialed in the background open until the server closes them", mr.Client.Dials-int64(closed)))
	}
	warnings = append(warnings,
		"hey cannot verify TLS (its transport sets InsecureSkipVerify): certificates were not checked in this mode",
		"hey discards response bodies: responses were checked by status only")
	mr.Warnings = append(mr.Warnings, warnings...)
	return mr, nil
}

// heyKind classifies one of hey's error messages (it keeps only the text).
func heyKind(msg string) string {
	switch {
	case strings.Contains(msg, "context canceled"):
		return KindCanceled
	case strings.Contains(msg, "deadline exceeded"):
		return KindTimeout
	case strings.Contains(msg, "connection refused"):
		return KindRefused
	}
	return Classify(errors.New(msg))
}

// connCloser is a StatsSource that can also close the server's client
// connections (InProcess can).
type connCloser interface{ CloseClientConnections() }

// CloseClientConnections closes the server's client connections.
func (p inProcess) CloseClientConnections() { p.s.CloseClientConnections() }

// connSet is the set of connections hey's transport handed out.
type connSet struct {
	mu sync.Mutex // guards m
	m  map[net.Conn]bool
}

func (s *connSet) add(c net.Conn) {
	if c == nil {
		return
	}
	s.mu.Lock()
	s.m[c] = true
	s.mu.Unlock()
}

// closeAll closes every connection of s and returns how many it closed.
func (s *connSet) closeAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.m {
		c.Close()
	}
	n := len(s.m)
	clear(s.m)
	return n
}
