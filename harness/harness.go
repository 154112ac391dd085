// Package harness drives an execution client under each client mode, traces
// every request with net/http/httptrace, records latency in HdrHistograms and
// cross-checks the client's connection counts against the server's.
package harness

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http/httptrace"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// Bounds on a run, so that every load loop ends by itself.
const (
	MaxRequests    = 100_000_000
	MaxConcurrency = 10_000
	MaxDuration    = 24 * time.Hour
	// DurationRequestCap bounds a run given only a duration.
	DurationRequestCap = 10_000_000
)

// Histogram range, in microseconds: 1 µs to 1 hour at 3 significant digits.
const (
	histMin    = 1
	histMax    = int64(time.Hour / time.Microsecond)
	histDigits = 3
)

// NewHistogram returns an empty latency histogram in microseconds, as every
// histogram of this package is.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMin, histMax, histDigits)
}

// Config describes one run: the same workload against each of Modes.
type Config struct {
	// BaseURL is the API's base URL (https://127.0.0.1:port).
	BaseURL string
	// TLSConfig trusts the server (RootCAs); cloned into every transport.
	TLSConfig *tls.Config
	// Modes are the client modes to run, in order: execution strategies
	// (execution.Strategies) or names in Clients.
	Modes []string
	// Requests is N, the number of requests per mode; with Duration, the
	// run stops at whichever comes first. 0 with a Duration means up to
	// DurationRequestCap.
	Requests int
	// Concurrency is C, the number of workers, each with one request in
	// flight at a time (closed model).
	Concurrency int
	// Duration bounds each mode's sending time; 0: none (Requests rules).
	Duration time.Duration
	// Timeout bounds one request. Default 10s.
	Timeout time.Duration
	// Warmup, if positive, sends requests through each mode's client for
	// this long before the measured phase (closed model, Concurrency
	// workers) and discards what they measured; the server's counts are
	// reset after it. The measured phase then starts on a warm pool: a
	// singleton dials nothing, per-request clients still dial every time.
	// Runner modes (hey) drive their own clients and take no warm-up.
	Warmup time.Duration
	// Grace is how long in-flight requests may finish after ctx is
	// cancelled before they are cancelled too. Default 2s.
	Grace time.Duration
	// HTTP2 lets clients negotiate HTTP/2.
	HTTP2 bool
	// Payload builds request i (without ID, which the harness sets).
	// Default: a small Python program (DefaultPayload).
	Payload func(i int) execution.Request
	// CheckOutput verifies that each response belongs to its request (the
	// mock's echo, mockserver.Output). Turn it off for servers that do not
	// echo; status and JSON shape are still checked.
	CheckOutput bool
	// Server gives the server's own counts per mode; nil: unknown.
	Server StatsSource
	// Clients builds the client of a mode that is not an execution
	// strategy (a user's own client, a reference implementation). A name
	// here takes precedence over a strategy of the same name.
	Clients map[string]ClientFactory
	// OnProgress, if set, is called about every 100ms during a mode, and
	// once at its end, with the requests completed so far and the mode's
	// request quota (0 when only a duration bounds it). It runs on its own
	// goroutine and reads per-worker counters, so the request path takes
	// no shared lock for it.
	OnProgress func(mode string, done, total int64)
	// Rate, if more than 0, selects the open model: requests are sent on a
	// fixed schedule of Rate per second whatever the responses, by at most
	// Concurrency senders; see open.go for the schedule, the latency
	// correction and what counts as late or dropped. 0: closed model.
	Rate float64
	// LateThreshold is how far behind its intended time a send may go
	// before it counts as late (open model). Default DefaultLateThreshold.
	LateThreshold time.Duration
	// Runners drive a mode by themselves instead of the harness's workers
	// (reference load generators such as hey; see HeyRunner). A name here
	// takes precedence over Clients and strategies; the reference modes
	// (ReferenceModes) are known without being listed.
	Runners map[string]Runner
	// RecordRequests, if more than 0, keeps a RequestRecord for up to this
	// many requests per mode (each worker keeps its share of the bound, in
	// buffers allocated before the mode starts), in ModeResult.Records.
	// 0, the default, keeps none and costs nothing on the request path.
	RecordRequests int
}

// MaxRecordedRequests bounds Config.RecordRequests.
const MaxRecordedRequests = 10_000_000

// RequestRecord is one request of the per-request log (Config.RecordRequests).
type RequestRecord struct {
	// Index is the request's number in the mode (its ID).
	Index int
	// Worker is the worker that sent it.
	Worker int
	// Start is when it was sent, since the mode started.
	Start time.Duration
	// Latency is its full duration; TTFB the time to the first response
	// byte (0: none arrived).
	Latency, TTFB time.Duration
	// Kind is "ok" or the error kind (Classify).
	Kind string
	// Reused is set when GotConn reported a reused connection for it.
	Reused bool
}

// Client is what a mode drives: one Execute per request, traced through
// the context it is given (httptrace hooks travel in ctx, so any
// net/http client that passes ctx on is counted). *execution.Service is
// one.
type Client interface {
	Execute(ctx context.Context, req execution.Request) (execution.Result, error)
	// CloseIdleConnections releases pooled connections; the harness calls
	// it after a mode, once pending dials are done.
	CloseIdleConnections()
	Close() error
}

// ClientFactory builds a mode's client from the options the harness would
// give an execution.Service.
type ClientFactory func(execution.Options) (Client, error)

// clientsBuilt is implemented by clients that count their constructions.
type clientsBuilt interface{ ClientsBuilt() int64 }

// DefaultPayload is the request the harness sends unless told otherwise.
func DefaultPayload(int) execution.Request {
	return execution.Request{
		Language: "python",
		Version:  "3.12.0",
		Files:    []execution.File{{Name: "main.py", Content: "print('hello from poolbench')"}},
	}
}

// StatsSource reads and resets a server's own counters.
type StatsSource interface {
	Stats(ctx context.Context) (mockserver.Stats, error)
	ResetStats(ctx context.Context) error
}

// InProcess adapts a *mockserver.Server in this process to StatsSource.
func InProcess(s *mockserver.Server) StatsSource { return inProcess{s} }

type inProcess struct{ s *mockserver.Server }

func (p inProcess) Stats(context.Context) (mockserver.Stats, error) { return p.s.Stats(), nil }
func (p inProcess) ResetStats(context.Context) error                { p.s.ResetStats(); return nil }

// Validate checks c and says what is wrong with it.
func (c *Config) Validate() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("no target URL"))
	}
	if len(c.Modes) == 0 {
		errs = append(errs, errors.New("no client modes"))
	}
	for _, m := range c.Modes {
		if _, ok := c.Clients[m]; ok {
			continue
		}
		if c.runner(m) != nil {
			continue
		}
		if _, err := execution.ParseStrategy(m); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Requests < 0 || c.Requests > MaxRequests {
		errs = append(errs, fmt.Errorf("requests %d: want 1..%d", c.Requests, MaxRequests))
	}
	if c.Requests == 0 && c.Duration == 0 {
		errs = append(errs, errors.New("neither a request count nor a duration"))
	}
	if c.Duration < 0 || c.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration %v: want 0..%v", c.Duration, MaxDuration))
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d: want 1..%d", c.Concurrency, MaxConcurrency))
	}
	if c.Requests > 0 && c.Concurrency > c.Requests {
		errs = append(errs, fmt.Errorf("concurrency %d is more than the %d requests", c.Concurrency, c.Requests))
	}
	if c.RecordRequests < 0 || c.RecordRequests > MaxRecordedRequests {
		errs = append(errs, fmt.Errorf("recorded requests %d: want 0..%d", c.RecordRequests, MaxRecordedRequests))
	}
	if c.Timeout < 0 || c.Grace < 0 {
		errs = append(errs, errors.New("negative timeout or grace"))
	}
	if c.Warmup < 0 || c.Warmup > MaxDuration {
		errs = append(errs, fmt.Errorf("warm-up %v: want 0..%v", c.Warmup, MaxDuration))
	}
	errs = append(errs, c.validateOpen()...)
	return errors.Join(errs...)
}

// Result is the outcome of a run.
type Result struct {
	StartedAt time.Time
	Modes     []ModeResult
	// Partial is set when the run was cancelled before every mode finished.
	Partial bool
}

// ModeResult is the outcome of one mode. Requests == OK + Σ Errors.
type ModeResult struct {
	Mode string
	// Started is when the mode began sending.
	Started time.Time
	// Requests is the number of requests sent.
	Requests int64
	OK       int64
	// Errors counts failed requests by kind (see Classify).
	Errors   map[string]int64
	Duration time.Duration
	Client   ClientCounts
	// Server holds the server's own counts for this mode; nil when unknown.
	Server *mockserver.Stats
	// Latency and TTFB are in microseconds; TTFB only of requests that got
	// a first response byte.
	Latency *hdrhistogram.Histogram
	TTFB    *hdrhistogram.Histogram
	// ClientsBuilt is the number of http.Clients the mode constructed.
	ClientsBuilt int64
	// LeftOpen is the number of connections the server still had open when
	// the mode ended, before the harness closed them (the leaky mode's leak).
	LeftOpen int64
	// Warnings are non-fatal caveats: cross-check mismatches, pool churn.
	Warnings []string
	// Partial is set when the mode was cancelled.
	Partial bool

	// The open model (Config.Rate > 0) only; zero in the closed model.
	// Latency is then measured from each send's intended time.

	// Rate is the intended send rate, requests per second.
	Rate float64
	// Intended is the number of sends the schedule planned.
	Intended int64
	// Late counts sends made more than Config.LateThreshold after their
	// intended time; Dropped, intended sends never made because the
	// duration ended first (Requests + Dropped == Intended unless the run
	// was cancelled).
	Late, Dropped int64
	// MaxLag is the largest delay of a send behind its intended time.
	MaxLag time.Duration
	// LatencyUncorrected is latency from the actual send (µs).
	LatencyUncorrected *hdrhistogram.Histogram
	// TLSUnverified is set when the mode's client did not verify the
	// server's certificate (hey's transport never does).
	TLSUnverified bool
	// Records are the first Config.RecordRequests requests' records,
	// ordered by start time; nil unless asked for.
	Records []RequestRecord
}

// Failed returns the number of failed requests.
func (m *ModeResult) Failed() int64 {
	var n int64
	for _, v := range m.Errors {
		n += v
	}
	return n
}

// Throughput returns successful requests per second.
func (m *ModeResult) Throughput() float64 {
	if m.Duration <= 0 {
		return 0
	}
	return float64(m.OK) / m.Duration.Seconds()
}

// Run runs cfg's workload under each mode in turn. Cancelling ctx stops new
// sends at once, lets in-flight requests finish for up to cfg.Grace, and
// returns what was measured with Partial set. A setup failure is an error;
// failed requests are counted in the result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Grace == 0 {
		cfg.Grace = 2 * time.Second
	}
	if cfg.Payload == nil {
		cfg.Payload = DefaultPayload
	}
	res := &Result{StartedAt: time.Now()}
	for _, mode := range cfg.Modes {
		if ctx.Err() != nil {
			res.Partial = true
			break
		}
		mr, err := runMode(ctx, cfg, mode)
		if err != nil {
			return res, fmt.Errorf("harness: mode %s: %w", mode, err)
		}
		res.Modes = append(res.Modes, *mr)
		if mr.Partial {
			res.Partial = true
		}
	}
	return res, nil
}

// newClient builds the client of mode.
func newClient(cfg Config, mode string) (Client, error) {
	opts := execution.Options{
		BaseURL:   cfg.BaseURL,
		Strategy:  execution.Strategy(mode),
		TLSConfig: cfg.TLSConfig,
		PoolSize:  cfg.Concurrency,
		Timeout:   cfg.Timeout,
		HTTP2:     cfg.HTTP2,
	}
	if f, ok := cfg.Clients[mode]; ok {
		opts.Strategy = ""
		return f(opts)
	}
	return execution.New(opts)
}

func runMode(ctx context.Context, cfg Config, mode string) (*ModeResult, error) {
	if cfg.Server != nil {
		if err := cfg.Server.ResetStats(ctx); err != nil {
			return nil, fmt.Errorf("reset server stats: %w", err)
		}
	}
	if r := cfg.runner(mode); r != nil {
		return runRunner(ctx, cfg, mode, r)
	}
	svc, err := newClient(cfg, mode)
	if err != nil {
		return nil, err
	}
	defer svc.Close()

	reqCtx, release := graceContext(ctx, cfg.Grace)
	defer release()

	var builtBefore int64
	if cfg.Warmup > 0 {
		warmUp(ctx, reqCtx, cfg, svc)
		if cfg.Server != nil {
			if err := cfg.Server.ResetStats(ctx); err != nil {
				return nil, fmt.Errorf("reset server stats after warm-up: %w", err)
			}
		}
		if cb, ok := svc.(clientsBuilt); ok {
			builtBefore = cb.ClientsBuilt()
		}
	}

	quota := cfg.Requests
	if quota == 0 {
		quota = DurationRequestCap
	}
	if cfg.Rate > 0 {
		quota = openQuota(cfg, quota)
	}
	epoch := time.Now()
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = epoch.Add(cfg.Duration)
	}
	check := newChecker(cfg)
	workers := make([]*worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range workers {
		// Worker w sends requests w, w+C, w+2C, ...: a fixed share, no
		// shared counter on the request path.
		share := quota / cfg.Concurrency
		if w < quota%cfg.Concurrency {
			share++
		}
		wk := newWorker(w, cfg.Concurrency, share, epoch)
		if cfg.RecordRequests > 0 {
			keep := cfg.RecordRequests / cfg.Concurrency
			if w < cfg.RecordRequests%cfg.Concurrency {
				keep++
			}
			wk.records = make([]RequestRecord, 0, min(keep, share))
		}
		workers[w] = wk
		if cfg.Rate > 0 {
			wk.open = newOpenState(cfg)
			wg.Go(func() { wk.runOpen(ctx, reqCtx, svc, cfg.Payload, check.clone(), deadline) })
			continue
		}
		wg.Go(func() { wk.run(ctx, reqCtx, svc, cfg.Payload, check.clone(), deadline) })
	}
	stopProgress := startProgress(cfg, mode, int64(quota), sentBy(workers))
	wg.Wait()
	elapsed := time.Since(epoch)
	stopProgress()

	mr := &ModeResult{
		Mode:     mode,
		Started:  epoch,
		Errors:   map[string]int64{},
		Duration: elapsed,
		Latency:  NewHistogram(),
		TTFB:     NewHistogram(),
		Partial:  ctx.Err() != nil,
	}
	for _, wk := range workers {
		mr.Requests += wk.sent
		mr.OK += wk.ok
		for k, v := range wk.errors {
			mr.Errors[k] += v
		}
		mr.Latency.Merge(wk.latency)
		mr.TTFB.Merge(wk.ttfb)
		mr.Records = append(mr.Records, wk.records...)
	}
	slices.SortFunc(mr.Records, func(a, b RequestRecord) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Index, b.Index))
	})
	// Dials still under way finish before anything is closed: closing the
	// pool cancels them, and a cancelled dial may already have reached the
	// server, which would then count a connection the client never had.
	waitDials(workers)
	if cfg.Server != nil {
		st, err := cfg.Server.Stats(ctx)
		if err == nil {
			mr.LeftOpen = st.Open
		}
	}
	svc.Close()
	settle(context.WithoutCancel(ctx), workers, svc, cfg.Server)
	for _, wk := range workers {
		mr.Client.add(wk.tr.counts())
	}
	mr.Client.finish()
	if cb, ok := svc.(clientsBuilt); ok {
		mr.ClientsBuilt = cb.ClientsBuilt() - builtBefore
	}
	addServerCounts(ctx, cfg, mr)
	if cfg.Rate > 0 {
		mergeOpen(mr, cfg, quota, workers)
	}
	return mr, nil
}

// addServerCounts reads the server's own counts into mr (once they have
// caught up with the client's) and adds the cross-check warnings.
func addServerCounts(ctx context.Context, cfg Config, mr *ModeResult) {
	if cfg.Server != nil {
		st, err := serverStats(ctx, cfg.Server, mr.Client)
		if err != nil {
			mr.Warnings = append(mr.Warnings, fmt.Sprintf("server counts unavailable: %v", err))
		} else {
			mr.Server = &st
		}
	}
	mr.Warnings = append(mr.Warnings, crossCheck(mr, cfg)...)
}

// graceContext returns the context of a mode's requests: in-flight
// requests outlive ctx by up to grace, so a stopped run still accounts for
// every request it sent. release frees it once the mode is done.
func graceContext(ctx context.Context, grace time.Duration) (reqCtx context.Context, release func()) {
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelReqs()
		case <-reqCtx.Done():
		}
	})
	return reqCtx, func() {
		stopGrace()
		cancelReqs()
	}
}

// settle waits (at most 2s) for dials that net/http finishes in the
// background after their request was served by another connection, then
// closes the idle connections they left, so counts are final.
//
// With the server's counts it then makes sure nothing stays open: an
// HTTP/2 connection whose last stream was cancelled (a timeout) is busy
// until the server acknowledges the reset, so one CloseIdleConnections
// can miss it and nothing would close it later. It retries, for at most a
// second, until the server has no connection open.
func settle(ctx context.Context, workers []*worker, svc Client, src StatsSource) {
	waitDials(workers)
	svc.CloseIdleConnections()
	if src == nil {
		return
	}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		st, err := src.Stats(ctx)
		if err != nil || st.Open == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
		svc.CloseIdleConnections()
	}
}

// warmUp sends requests through svc for cfg.Warmup (closed model,
// cfg.Concurrency workers) and throws their measurements away, once their
// dials are done, so the measured phase counts none of them.
func warmUp(stop, reqCtx context.Context, cfg Config, svc Client) {
	epoch := time.Now()
	deadline := epoch.Add(cfg.Warmup)
	workers := make([]*worker, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range workers {
		wk := newWorker(w, cfg.Concurrency, DurationRequestCap/cfg.Concurrency, epoch)
		workers[w] = wk
		wg.Go(func() { wk.run(stop, reqCtx, svc, cfg.Payload, newChecker(Config{}), deadline) })
	}
	wg.Wait()
	waitDials(workers)
}

// waitDials waits (at most 2s) until no worker has a dial or handshake under way.
func waitDials(workers []*worker) {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		pending := false
		for _, wk := range workers {
			if wk.tr.pending() {
				pending = true
				break
			}
		}
		if !pending {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// serverStats reads the server's counts, giving the server up to a second
// to catch up with the client: it accepts and finishes handshakes on its
// own goroutines, a moment after the client is done with them.
func serverStats(ctx context.Context, src StatsSource, c ClientCounts) (mockserver.Stats, error) {
	deadline := time.Now().Add(time.Second)
	for {
		st, err := src.Stats(ctx)
		if err != nil {
			return st, err
		}
		if (st.Connections == c.Dials && st.TLSHandshakes == c.TLSHandshakes) || time.Now().After(deadline) {
			return st, nil
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// crossCheck compares the client's counts with each other and with the
// server's, and names what a reader of the table must know.
func crossCheck(mr *ModeResult, cfg Config) []string {
	var w []string
	if got := mr.OK + mr.Failed(); got != mr.Requests {
		w = append(w, fmt.Sprintf("accounting: ok %d + failed %d != sent %d", mr.OK, mr.Failed(), mr.Requests))
	}
	if f := mr.Failed(); f > 0 {
		w = append(w, fmt.Sprintf("%d of %d requests failed (%s)", f, mr.Requests, formatKinds(mr.Errors)))
	}
	if s := mr.Server; s != nil {
		switch d, e := mr.Client.Dials, mr.Client.DialErrors; {
		case s.Connections > d && s.Connections <= d+e:
			// A dial the client gave up (its request was served by another
			// connection, or cancelled) may still have reached the server.
			w = append(w, fmt.Sprintf("abandoned dials: client dialed %d connections and gave up %d dials; server accepted %d, so %d of the abandoned dials reached it", d, e, s.Connections, s.Connections-d))
		case s.Connections != d:
			w = append(w, fmt.Sprintf("cross-check: client dialed %d connections, server accepted %d", d, s.Connections))
		}
		if s.TLSHandshakes != mr.Client.TLSHandshakes {
			w = append(w, fmt.Sprintf("cross-check: client completed %d TLS handshakes, server %d", mr.Client.TLSHandshakes, s.TLSHandshakes))
		}
		if s.Resumed != mr.Client.TLSResumed {
			w = append(w, fmt.Sprintf("cross-check: client resumed %d TLS sessions, server %d", mr.Client.TLSResumed, s.Resumed))
		}
	}
	if mr.Client.NewConnRequests != mr.Client.Dials {
		w = append(w, fmt.Sprintf("GotConn(!Reused) fired %d times but %d connections were dialed: connections dialed in the background reach requests as \"reused\"; dials are the true count", mr.Client.NewConnRequests, mr.Client.Dials))
	}
	shared := mr.Mode == string(execution.Singleton) || mr.Mode == string(execution.SingletonDefaultPool)
	if shared && !cfg.HTTP2 && mr.Client.Dials > int64(cfg.Concurrency) {
		why := fmt.Sprintf("%d connections were closed after use (the server's keep-alive limits, failed requests, or net/http's 50ms write-confirmation timeout on a starved CPU)", mr.Client.ClosedAfterUse)
		if mr.Client.PoolRejected > 0 {
			why = fmt.Sprintf("its idle pool rejected %d connections after use: it keeps fewer than the concurrency (MaxIdleConnsPerHost)", mr.Client.PoolRejected)
		}
		w = append(w, fmt.Sprintf("pool churn: %s dialed %d connections for %d concurrent workers (%d TLS handshakes); %s", mr.Mode, mr.Client.Dials, cfg.Concurrency, mr.Client.TLSHandshakes, why))
	}
	if mr.LeftOpen > 0 && mr.Mode == string(execution.PerRequestLeaky) {
		w = append(w, fmt.Sprintf("leak: %d connections were still open on the server when the mode ended (clients never closed); the harness closed them", mr.LeftOpen))
	}
	return w
}

func formatKinds(m map[string]int64) string {
	keys := sortedKeys(m)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += k + " " + strconv.FormatInt(m[k], 10)
	}
	return s
}

// startProgress calls cfg.OnProgress with count() about every 100ms until
// the returned func is called, which reports the final count. count reads
// counters the request path writes atomically; it takes no lock of theirs.
func startProgress(cfg Config, mode string, total int64, count func() int64) (stop func()) {
	if cfg.OnProgress == nil {
		return func() {}
	}
	if cfg.Requests == 0 {
		total = 0
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				cfg.OnProgress(mode, count(), total)
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		cfg.OnProgress(mode, count(), total)
	}
}

// sentBy returns the requests the workers have sent so far.
func sentBy(workers []*worker) func() int64 {
	return func() int64 {
		var n int64
		for _, w := range workers {
			n += w.done.Load()
		}
		return n
	}
}

// worker is one closed-model worker: one request in flight at a time.
// Everything it writes on the request path is its own.
type worker struct {
	index, stride, share int
	tr                   *tracer
	trace                *httptrace.ClientTrace

	sent, ok      int64
	done          atomic.Int64 // sent, for the progress reader
	errors        map[string]int64
	latency, ttfb *hdrhistogram.Histogram
	// records has room for this worker's share of Config.RecordRequests;
	// nil (cap 0) when none are kept.
	records []RequestRecord
	// open is the worker's open-model state; nil in the closed model.
	open *openState
}

func newWorker(index, stride, share int, epoch time.Time) *worker {
	tr := newTracer(epoch)
	return &worker{
		index: index, stride: stride, share: share,
		tr: tr, trace: tr.clientTrace(),
		errors:  map[string]int64{},
		latency: NewHistogram(), ttfb: NewHistogram(),
	}
}

// context returns the context of w's requests: traced by w, and with a
// cancellation of its own below reqCtx. Every request with a deadline (a
// client timeout) registers with its parent's cancellation under that
// parent's lock; with a parent per worker, no lock is shared by the
// workers on the request path.
func (w *worker) context(reqCtx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(reqCtx)
	return httptrace.WithClientTrace(ctx, w.trace), cancel
}

func (w *worker) run(stop, reqCtx context.Context, svc Client, payload func(int) execution.Request, check *checker, deadline time.Time) {
	ctx, cancel := w.context(reqCtx)
	defer cancel()
	for k := 0; k < w.share; k++ {
		if stop.Err() != nil {
			return
		}
		start := time.Now()
		if !deadline.IsZero() && !start.Before(deadline) {
			return
		}
		i := w.index + k*w.stride
		end := w.send(ctx, svc, payload, check, i, start)
		recordClamped(w.latency, end.Sub(start))
	}
}

// send sends request i at start, checks the answer, counts its outcome
// and TTFB (from start), keeps its record if asked, and returns when it
// ended. Both load models call it; each records latency its own way.
func (w *worker) send(ctx context.Context, svc Client, payload func(int) execution.Request, check *checker, i int, start time.Time) time.Time {
	req := payload(i)
	req.ID = strconv.Itoa(i)
	w.tr.firstByteNs.Store(0)
	keep := len(w.records) < cap(w.records)
	var reusedBefore int64
	if keep {
		reusedBefore = w.tr.reused.Load()
	}
	res, err := svc.Execute(ctx, req)
	end := time.Now()
	if err == nil {
		err = check.check(req, res)
	}
	w.sent++
	w.done.Store(w.sent)
	kind := "ok"
	if err != nil {
		kind = Classify(err)
		w.errors[kind]++
	} else {
		w.ok++
	}
	var ttfb time.Duration
	if fb := w.tr.firstByteNs.Load(); fb > 0 {
		ttfb = time.Duration(fb) - start.Sub(w.tr.epoch)
		recordClamped(w.ttfb, ttfb)
	}
	if keep {
		w.records = append(w.records, RequestRecord{
			Index: i, Worker: w.index, Start: start.Sub(w.tr.epoch),
			Latency: end.Sub(start), TTFB: ttfb, Kind: kind,
			Reused: w.tr.reused.Load() > reusedBefore,
		})
	}
	return end
}

func recordClamped(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	_ = h.RecordValue(us) // cannot fail inside the range
}
