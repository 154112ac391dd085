package harness

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// Tests of the server behaviours (request limits, idle timeouts, faults),
// the protocols (HTTP/2, TLS 1.2 and 1.3, resumption) and the leaky and
// resuming strategies, each by exact counts.

// waitFor polls cond until it holds, failing the test after 10s: it waits
// on an event the test can observe, never on a guessed sleep.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// With MaxRequestsPerConn = L, every connection the server closes served
// exactly L requests (its last answer says "Connection: close", so the
// client never sends an L+1th on it), and the connections still open at
// the end served between 1 and L-1 each, at most C of them. So for N
// requests:
//
//	ceil(N/L) <= dials <= floor((N-C)/L) + C
//
// exact at C = 1: dials = ceil(N/L). docs/scenarios.md (server-limits)
// quotes the same bound.
func TestMaxRequestsPerConn(t *testing.T) {
	t.Parallel()
	const limit = 100
	tests := []struct {
		name     string
		mode     string
		n, c     int
		min, max int64
	}{
		{"singleton C=1, N not a multiple", "singleton", 250, 1, 3, 3},
		{"singleton C=1, N a multiple", "singleton", 300, 1, 3, 3},
		{"singleton C=1, N below the limit", "singleton", 99, 1, 1, 1},
		{"singleton C=4", "singleton", 400, 4, 4, (400-4)/limit + 4},
		{"per-request is unaffected", "per-request", 40, 4, 40, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startMock(t, mockserver.Config{MaxRequestsPerConn: limit})
			m := runOne(t, mockConfig(srv, tc.n, tc.c, tc.mode))
			if m.OK != int64(tc.n) {
				t.Errorf("ok = %d, want %d (errors %v)", m.OK, tc.n, m.Errors)
			}
			if d := m.Client.Dials; d < tc.min || d > tc.max {
				t.Errorf("dials = %d, want %d..%d", d, tc.min, tc.max)
			}
			if got, want := m.Server.Connections, m.Client.Dials; got != want {
				t.Errorf("server connections = %d, client dials %d", got, want)
			}
			if got, want := m.Server.Requests, int64(tc.n); got != want {
				t.Errorf("server requests = %d, want %d", got, want)
			}
		})
	}
}

// trackingDialer counts the TCP connections a transport holds open, so a
// test can wait until the client has seen the server close every one.
type trackingDialer struct {
	open atomic.Int64
}

func (d *trackingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.open.Add(1)
	return &trackedConn{Conn: c, d: d}, nil
}

type trackedConn struct {
	net.Conn
	d    *trackingDialer
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.d.open.Add(-1) })
	return c.Conn.Close()
}

// persistent is a client whose pool outlives a harness mode: Close and
// CloseIdleConnections, which the harness calls after each mode, do
// nothing, so two runs can send two bursts through one pool.
type persistent struct{ *execution.Service }

func (persistent) Close() error          { return nil }
func (persistent) CloseIdleConnections() {}

// An idle timeout shorter than the gap between two bursts forces the
// singleton to re-dial; without one, the second burst reuses the first
// burst's connection. The gap is made of events, not of a sleep: the test
// waits until the server has closed every connection (its open count is
// 0) and until the client's transport has closed its side too (a
// connection the transport had not yet seen closed could otherwise be
// picked for the next request, which would then fail instead of
// re-dialing).
func TestIdleTimeoutForcesRedial(t *testing.T) {
	t.Parallel()
	const n = 10
	tests := []struct {
		name        string
		idleTimeout time.Duration
		// wantDials2 is the second burst's dials.
		wantDials2 int64
	}{
		{"idle timeout elapses between bursts", time.Second, 1},
		{"no idle timeout", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startMock(t, mockserver.Config{IdleTimeout: tc.idleTimeout})
			dialer := &trackingDialer{}
			svc, err := execution.New(execution.Options{
				BaseURL:   srv.URL,
				Strategy:  execution.Singleton,
				TLSConfig: srv.ClientTLSConfig(),
				PoolSize:  1,
				NewTransport: func(tr *http.Transport) http.RoundTripper {
					tr.DialContext = dialer.dial
					return tr
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				svc.Close()
				waitFor(t, "the client to close its connections", func() bool { return dialer.open.Load() == 0 })
			})
			cfg := mockConfig(srv, n, 1, "burst")
			cfg.Clients = map[string]ClientFactory{"burst": func(execution.Options) (Client, error) { return persistent{svc}, nil }}

			first := runOne(t, cfg)
			if got, want := first.Client.Dials, int64(1); got != want {
				t.Fatalf("first burst dials = %d, want %d", got, want)
			}
			if tc.idleTimeout > 0 {
				waitFor(t, "the server to close the idle connection", func() bool { return srv.Stats().Open == 0 })
				waitFor(t, "the client to see the connection closed", func() bool { return dialer.open.Load() == 0 })
			}
			second := runOne(t, cfg)
			if got, want := second.Client.Dials, tc.wantDials2; got != want {
				t.Errorf("second burst dials = %d, want %d", got, want)
			}
			if got, want := second.Server.Connections, tc.wantDials2; got != want {
				t.Errorf("second burst server connections = %d, want %d", got, want)
			}
			if got, want := second.Client.Reused, int64(n)-tc.wantDials2; got != want {
				t.Errorf("second burst reused = %d, want %d", got, want)
			}
			if got, want := second.OK, int64(n); got != want {
				t.Errorf("second burst ok = %d, want %d (errors %v)", got, want, second.Errors)
			}
		})
	}
}

// A mix of every fault kind, in every mode and over both HTTP versions:
// the server injects exactly Faults.Count(N) of each kind, the client
// counts each under its error kind, and nothing is lost: ok + errors ==
// sent == the server's requests.
func TestFaultMixCountedByKind(t *testing.T) {
	t.Parallel()
	const n, c = 100, 4
	faults := mockserver.Faults{
		ServerError: 0.05, TooMany: 0.05, Reset: 0.05, SlowBody: 0.05, CloseMidBody: 0.05,
		SlowBodyDelay: 5 * time.Millisecond, // well inside the timeout: slow bodies succeed
	}
	want := faults.Count(n)
	for _, k := range []string{"server_error", "too_many_requests", "reset", "slow_body", "close_mid_body"} {
		if want[k] == 0 {
			t.Fatalf("the mix injects no %s in %d requests: %v", k, n, want)
		}
	}
	cut := want["reset"] + want["close_mid_body"] // the faults that kill the connection or stream
	wantOK := int64(n) - want["server_error"] - want["too_many_requests"] - cut
	tests := []struct {
		http2 bool
		modes []string
	}{
		{false, []string{"per-request", "singleton", "singleton-default-pool", "per-request-leaky", "per-request-resume"}},
		{true, []string{"per-request", "singleton"}},
	}
	for _, tc := range tests {
		for _, mode := range tc.modes {
			name := mode
			if tc.http2 {
				name += "/h2"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := startMock(t, mockserver.Config{Faults: faults, HTTP2: tc.http2})
				cfg := mockConfig(srv, n, c, mode)
				cfg.HTTP2 = tc.http2
				m := runOne(t, cfg) // checks ok + failed == sent
				if got := m.Requests; got != n {
					t.Errorf("sent = %d, want %d", got, n)
				}
				if got := m.Server.Requests; got != n {
					t.Errorf("server requests = %d, want %d (a request retried or lost)", got, n)
				}
				if !equalCounts(m.Server.Faults, want) {
					t.Errorf("server faults = %v, want %v", m.Server.Faults, want)
				}
				if got := m.OK; got != wantOK {
					t.Errorf("ok = %d, want %d", got, wantOK)
				}
				if got, want := m.Errors[KindHTTP5xx], want["server_error"]; got != want {
					t.Errorf("http_5xx = %d, want %d", got, want)
				}
				if got, want := m.Errors[KindHTTP429], want["too_many_requests"]; got != want {
					t.Errorf("http_429 = %d, want %d", got, want)
				}
				if tc.http2 {
					// HTTP/2 cannot cut a connection under one stream: both
					// faults reset the stream, a "stream error" that
					// Classify counts as reset (as other before it knew
					// HTTP/2 stream resets; either way, nothing else).
					if got := m.Errors[KindReset] + m.Errors[KindOther]; got != cut {
						t.Errorf("stream resets = %d, want %d; errors %v", got, cut, m.Errors)
					}
				} else {
					if got, want := m.Errors[KindReset], want["reset"]; got != want {
						t.Errorf("reset = %d, want %d; errors %v", got, want, m.Errors)
					}
					if got, want := m.Errors[KindEOF], want["close_mid_body"]; got != want {
						t.Errorf("eof = %d, want %d; errors %v", got, want, m.Errors)
					}
				}
			})
		}
	}
}

// Over HTTP/2 the singleton multiplexes every worker over one connection:
// one dial, one handshake, one server connection; per-request clients
// still pay one each.
func TestHTTP2Multiplexes(t *testing.T) {
	t.Parallel()
	const n, c = 200, 8
	tests := []struct {
		mode  string
		dials int64
	}{
		{"singleton", 1},
		{"per-request", n},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			srv := startMock(t, mockserver.Config{HTTP2: true})
			cfg := mockConfig(srv, n, c, tc.mode)
			cfg.HTTP2 = true
			m := runOne(t, cfg)
			if got := m.OK; got != n {
				t.Errorf("ok = %d, want %d (errors %v)", got, n, m.Errors)
			}
			if got := m.Client.Dials; got != tc.dials {
				t.Errorf("dials = %d, want %d", got, tc.dials)
			}
			if got := m.Client.TLSHandshakes; got != tc.dials {
				t.Errorf("TLS handshakes = %d, want %d", got, tc.dials)
			}
			if got := m.Server.Connections; got != tc.dials {
				t.Errorf("server connections = %d, want %d", got, tc.dials)
			}
			if got := m.Server.Requests; got != n {
				t.Errorf("server requests = %d, want %d", got, n)
			}
		})
	}
}

// versionRecorder wraps a mode's client and records the TLS version of
// every handshake, through a trace of its own: httptrace composes it with
// the harness's.
type versionRecorder struct {
	Client
	mu       sync.Mutex // guards versions
	versions map[uint16]int64
}

func (r *versionRecorder) Execute(ctx context.Context, req execution.Request) (execution.Result, error) {
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			if err == nil {
				r.mu.Lock()
				r.versions[cs.Version]++
				r.mu.Unlock()
			}
		},
	})
	return r.Client.Execute(ctx, req)
}

// The server's TLS version is the one negotiated, in every mode; a
// per-request client sharing a session cache resumes every session after
// the first (C = 1: each request starts after the previous one stored its
// ticket), and the server counts the same resumptions.
func TestTLSVersionsAndResumption(t *testing.T) {
	t.Parallel()
	const n = 20
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range []struct {
			mode           string
			dials, resumed int64
		}{
			{"per-request", n, 0},
			{"per-request-resume", n, n - 1},
			{"singleton", 1, 0},
		} {
			t.Run(tls.VersionName(version)+"/"+tc.mode, func(t *testing.T) {
				t.Parallel()
				srv := startMock(t, mockserver.Config{TLSVersion: version})
				rec := &versionRecorder{versions: map[uint16]int64{}}
				cfg := mockConfig(srv, n, 1, tc.mode)
				cfg.Clients = map[string]ClientFactory{tc.mode: func(o execution.Options) (Client, error) {
					o.Strategy = execution.Strategy(tc.mode)
					svc, err := execution.New(o)
					rec.Client = svc
					return rec, err
				}}
				m := runOne(t, cfg)
				if got := m.OK; got != n {
					t.Errorf("ok = %d, want %d (errors %v)", got, n, m.Errors)
				}
				rec.mu.Lock()
				got := rec.versions[version]
				others := len(rec.versions) - 1
				rec.mu.Unlock()
				if got != tc.dials || others != 0 {
					t.Errorf("handshakes by version = %v, want %d at %s only", rec.versions, tc.dials, tls.VersionName(version))
				}
				if got := m.Client.Dials; got != tc.dials {
					t.Errorf("dials = %d, want %d", got, tc.dials)
				}
				if got := m.Client.TLSResumed; got != tc.resumed {
					t.Errorf("client resumed = %d, want %d", got, tc.resumed)
				}
				if got := m.Server.Resumed; got != tc.resumed {
					t.Errorf("server resumed = %d, want %d", got, tc.resumed)
				}
				if got := m.Server.TLSHandshakes; got != tc.dials {
					t.Errorf("server TLS handshakes = %d, want %d", got, tc.dials)
				}
			})
		}
	}
}

// With concurrent workers, sessions are resumed as soon as a ticket is in
// the cache: the first C requests may all do full handshakes. Whatever the
// split, every connection is new and the server counts exactly the
// resumptions the client made.
func TestResumeConcurrent(t *testing.T) {
	t.Parallel()
	const n, c = 40, 4
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, n, c, "per-request-resume"))
	if got := m.Client.Dials; got != n {
		t.Errorf("dials = %d, want %d", got, n)
	}
	if got, want := m.Server.Resumed, m.Client.TLSResumed; got != want {
		t.Errorf("server resumed %d, client %d", got, want)
	}
	if r := m.Client.TLSResumed; r < n-c || r > n-1 {
		t.Errorf("resumed = %d, want %d..%d: at most the first %d handshakes are full", r, n-c, n-1, c)
	}
}

// per-request-leaky never closes a client: when the mode ends, every
// connection it made is still open on the server, and the harness reports
// exactly that many (LeftOpen), then closes them all.
func TestLeakyLeftOpenAndCleanedUp(t *testing.T) {
	t.Parallel()
	const n, c = 30, 3
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, n, c, "per-request-leaky"))
	if got := m.LeftOpen; got != n {
		t.Errorf("left open = %d, want %d", got, n)
	}
	if got := m.ClientsBuilt; got != n {
		t.Errorf("clients built = %d, want %d", got, n)
	}
	if !hasWarning(m, "leak: 30 connections") {
		t.Errorf("no leak warning: %q", m.Warnings)
	}
	waitFor(t, "the server to see every leaked connection closed", func() bool { return srv.Stats().Open == 0 })
}
