package harness

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// Fault-matrix sizes: small, so that the 8 × 5 cells stay fast under -race.
const (
	fmRequests    = 8
	fmConcurrency = 2
	// fmTimeout is the per-request timeout of every cell; the slow body and
	// the stall are far longer, so exactly the faulted requests time out.
	// It covers the dial and the TLS handshake too, which take tens of
	// milliseconds each under -race on a busy 2-core machine: shorter, and
	// a request may time out before it reaches the server.
	fmTimeout = 500 * time.Millisecond
	// fmFaultDelay is the slow body's pause and the stall's service time.
	// The mock gives up as soon as the client hangs up, so it is never
	// waited for in full unless the client fails to time out.
	fmFaultDelay = 5 * time.Second
	// fmDeadline bounds a whole cell: a run still going then has hung.
	fmDeadline = 30 * time.Second
)

// faultCase is one row of the fault matrix.
type faultCase struct {
	name string
	// server is the mock's configuration; the zero value of target means
	// the mock is started with it.
	server mockserver.Config
	// untrusted makes the client trust another CA than the server's.
	untrusted bool
	// closed points the client at a port nobody listens on.
	closed bool
	// kind is the error kind the faulted requests must get; kindH2 over
	// HTTP/2 when it differs (a cut body is a stream reset there).
	kind, kindH2 string
	// fault is the mock's fault kind (Stats.Faults); "" when the failure
	// is not a planned fault (every request fails, or none reaches the mock).
	fault string
}

var faultCases = []faultCase{
	{name: "reset", server: mockserver.Config{Faults: mockserver.Faults{Reset: 0.5}}, kind: KindReset, fault: "reset"},
	{name: "close-mid-body", server: mockserver.Config{Faults: mockserver.Faults{CloseMidBody: 0.5}}, kind: KindEOF, kindH2: KindReset, fault: "close_mid_body"},
	{name: "5xx", server: mockserver.Config{Faults: mockserver.Faults{ServerError: 0.5}}, kind: KindHTTP5xx, fault: "server_error"},
	{name: "429", server: mockserver.Config{Faults: mockserver.Faults{TooMany: 0.5, RetryAfter: 7 * time.Second}}, kind: KindHTTP429, fault: "too_many_requests"},
	{name: "slow-body", server: mockserver.Config{Faults: mockserver.Faults{SlowBody: 0.5, SlowBodyDelay: fmFaultDelay}}, kind: KindTimeout, fault: "slow_body"},
	{name: "unknown-ca", untrusted: true, kind: KindTLS},
	{name: "not-listening", closed: true, kind: KindRefused},
	{name: "stall", server: mockserver.Config{Latency: mockserver.Latency{Fixed: fmFaultDelay}}, kind: KindTimeout},
}

// recorder wraps a mode's execution.Service and keeps, per error kind, the
// first error seen (to show on failure) and the Retry-After values of
// 429 answers, so the matrix also checks what a caller is told.
type recorder struct {
	*execution.Service

	mu         sync.Mutex // guards samples and retryAfter
	samples    map[string]string
	retryAfter map[string]int
}

func (r *recorder) Execute(ctx context.Context, req execution.Request) (execution.Result, error) {
	res, err := r.Service.Execute(ctx, req)
	if err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		k := Classify(err)
		if _, ok := r.samples[k]; !ok {
			r.samples[k] = err.Error()
		}
		var se *execution.StatusError
		if errors.As(err, &se) && se.Code == 429 {
			r.retryAfter[se.RetryAfter]++
		}
	}
	return res, err
}

// closedAddr returns a loopback address that nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestFaultMatrix runs every fault against every client mode over
// HTTP/1.1 (TestFaultMatrix/<fault>/<mode>) and checks that nothing panics or
// hangs, that every request is accounted for under the expected error
// kind, in exactly the number the mock's fault plan gives, and that the
// client's connection counts match the server's.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	faultMatrix(t, false)
}

// TestFaultMatrixHTTP2 is the same matrix over HTTP/2, where a reset or a
// cut body resets one stream and the connection lives on.
func TestFaultMatrixHTTP2(t *testing.T) {
	t.Parallel()
	faultMatrix(t, true)
}

func faultMatrix(t *testing.T, h2 bool) {
	for _, fc := range faultCases {
		if h2 && fc.kindH2 != "" {
			fc.kind = fc.kindH2
		}
		fc.server.HTTP2 = h2
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			for _, st := range execution.Strategies {
				mode := string(st)
				t.Run(mode, func(t *testing.T) {
					t.Parallel()
					runFaultCell(t, fc, mode, h2)
				})
			}
		})
	}
}

func runFaultCell(t *testing.T, fc faultCase, mode string, h2 bool) {
	cfg := Config{
		Modes:       []string{mode},
		Requests:    fmRequests,
		Concurrency: fmConcurrency,
		Timeout:     fmTimeout,
		HTTP2:       h2,
		CheckOutput: true,
	}
	var srv *mockserver.Server
	if fc.closed {
		cfg.BaseURL = "https://" + closedAddr(t)
		cfg.TLSConfig = startMock(t, mockserver.Config{}).ClientTLSConfig() // a valid trust store, no listener
	} else {
		srv = startMock(t, fc.server)
		cfg.BaseURL = srv.URL
		cfg.TLSConfig = srv.ClientTLSConfig()
		cfg.Server = InProcess(srv)
		if fc.untrusted {
			// Another mock's CA: a well-formed chain the client has no
			// reason to trust.
			cfg.TLSConfig = startMock(t, mockserver.Config{}).ClientTLSConfig()
		}
	}
	var rec *recorder
	cfg.Clients = map[string]ClientFactory{mode: func(o execution.Options) (Client, error) {
		o.Strategy = execution.Strategy(mode)
		svc, err := execution.New(o)
		if err != nil {
			return nil, err
		}
		rec = &recorder{Service: svc, samples: map[string]string{}, retryAfter: map[string]int{}}
		return rec, nil
	}}

	ctx, cancel := context.WithTimeout(context.Background(), fmDeadline)
	defer cancel()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the run hit its %v deadline: it hung", fmDeadline)
	}
	if res.Partial || len(res.Modes) != 1 {
		t.Fatalf("partial %v with %d modes, want a complete run of 1 mode", res.Partial, len(res.Modes))
	}
	m := res.Modes[0]
	defer func() {
		if t.Failed() {
			t.Logf("errors %v, sample errors %q, client %+v, server %+v, warnings %q", m.Errors, rec.samples, m.Client, m.Server, m.Warnings)
		}
	}()

	// Every request accounted for.
	if got, want := m.Requests, int64(fmRequests); got != want {
		t.Errorf("sent %d, want %d", got, want)
	}
	if got, want := m.OK+m.Failed(), m.Requests; got != want {
		t.Errorf("ok %d + failed %d = %d, want sent %d", m.OK, m.Failed(), got, want)
	}

	// The expected kind, in the exact number the fault plan gives.
	wantFailed := int64(fmRequests) // no planned fault: every request fails
	if fc.fault != "" {
		wantFailed = fc.server.Faults.Count(fmRequests)[fc.fault]
		if wantFailed == 0 || wantFailed == fmRequests {
			t.Fatalf("fault plan gives %d of %d requests %s: the cell tests nothing", wantFailed, fmRequests, fc.fault)
		}
	}
	if got, want := m.Errors, map[string]int64{fc.kind: wantFailed}; !equalCounts(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	if got, want := m.OK, fmRequests-wantFailed; got != want {
		t.Errorf("ok = %d, want %d", got, want)
	}
	if fc.kind == KindHTTP429 {
		if got, want := rec.retryAfter, map[string]int{"7": int(wantFailed)}; len(got) != 1 || got["7"] != want["7"] {
			t.Errorf("Retry-After values seen = %v, want %v", got, want)
		}
	}
	for _, w := range m.Warnings {
		if strings.HasPrefix(w, "accounting:") || strings.HasPrefix(w, "cross-check:") {
			t.Errorf("warning: %s", w)
		}
	}

	// The client's counts against the server's.
	c := m.Client
	switch {
	case fc.closed:
		if m.Server != nil {
			t.Errorf("server counts %+v without a server", m.Server)
		}
		if got, want := c.Dials, int64(0); got != want {
			t.Errorf("dials = %d, want %d", got, want)
		}
		if got, want := c.DialErrors, int64(fmRequests); got != want {
			t.Errorf("dial errors = %d, want %d", got, want)
		}
		return
	case m.Server == nil:
		t.Fatal("no server counts")
	}
	s := m.Server
	// A dial the client abandoned may still have reached the server.
	if s.Connections < c.Dials || s.Connections > c.Dials+c.DialErrors {
		t.Errorf("server accepted %d connections, client dialed %d (and abandoned %d)", s.Connections, c.Dials, c.DialErrors)
	}
	if got, want := s.TLSHandshakes, c.TLSHandshakes; got != want {
		t.Errorf("server completed %d TLS handshakes, client %d", got, want)
	}
	if got, want := s.Resumed, c.TLSResumed; got != want {
		t.Errorf("server resumed %d TLS sessions, client %d", got, want)
	}
	if fc.untrusted {
		if got, want := s.Requests, int64(0); got != want {
			t.Errorf("server saw %d requests through an untrusted handshake, want %d", got, want)
		}
		if got, want := c.TLSErrors, int64(fmRequests); got != want {
			t.Errorf("client TLS errors = %d, want %d", got, want)
		}
		if got, want := c.Dials, int64(fmRequests); got != want {
			t.Errorf("dials = %d, want one per request (%d)", got, want)
		}
		return
	}
	if got, want := s.Requests, int64(fmRequests); got != want {
		t.Errorf("server saw %d requests, want %d", got, want)
	}
	if fc.fault != "" {
		if got, want := s.Faults, fc.server.Faults.Count(fmRequests); !equalCounts(got, want) {
			t.Errorf("server faults = %v, want %v", got, want)
		}
	}
	if got, want := c.Dials, wantDials(mode, fc, h2); want >= 0 && got != want {
		t.Errorf("dials = %d, want %d", got, want)
	}
	if execution.Strategy(mode) == execution.Singleton && !h2 && (fc.kind == KindHTTP5xx || fc.kind == KindHTTP429) {
		// Status answers keep their connections: at most C at once, and
		// fewer when a worker starts after another's connection is idle
		// again; more only for connections net/http closed after use.
		if c.Dials < 1 || c.Dials > fmConcurrency+c.ClosedAfterUse {
			t.Errorf("dials = %d, want 1..%d + %d closed after use", c.Dials, fmConcurrency, c.ClosedAfterUse)
		}
		if c.PoolRejected != 0 {
			t.Errorf("pool rejected %d connections, want 0", c.PoolRejected)
		}
	}
}

// wantDials is the exact number of connections a mode dials under a fault,
// or -1 where it depends on timing (which worker gets which connection).
func wantDials(mode string, fc faultCase, h2 bool) int64 {
	switch execution.Strategy(mode) {
	case execution.PerRequest, execution.PerRequestLeaky, execution.PerRequestResume:
		return fmRequests // a new client, so a new connection, per request
	}
	if h2 || execution.Strategy(mode) != execution.Singleton {
		// HTTP/2: one connection usually carries both workers' streams,
		// but two concurrent first requests may each dial.
		// Without MaxConnsPerHost a shared pool dials in the background
		// for requests that another connection then serves.
		return -1
	}
	// The singleton pool (MaxConnsPerHost = C) loses exactly the
	// connections a fault breaks (a reset, a cut body, a timed-out read);
	// status answers keep them (checked as a range by the caller).
	switch fc.kind {
	case KindTimeout:
		if fc.fault == "" { // the stall: every request loses its connection
			return fmRequests
		}
	}
	return -1
}

func equalCounts(got, want map[string]int64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	keys := sortedKeys(got)
	return slices.Equal(keys, sortedKeys(want))
}
