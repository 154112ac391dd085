package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

func startMock(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func mockConfig(srv *mockserver.Server, n, c int, modes ...string) Config {
	return Config{
		BaseURL:     srv.URL,
		TLSConfig:   srv.ClientTLSConfig(),
		Modes:       modes,
		Requests:    n,
		Concurrency: c,
		CheckOutput: true,
		Server:      InProcess(srv),
	}
}

func runOne(t *testing.T, cfg Config) *ModeResult {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Modes), 1; got != want {
		t.Fatalf("modes = %d, want %d", got, want)
	}
	m := &res.Modes[0]
	if got, want := m.OK+m.Failed(), m.Requests; got != want {
		t.Errorf("ok %d + failed %d != sent %d", m.OK, m.Failed(), want)
	}
	if m.Server == nil {
		t.Fatal("no server counts")
	}
	return m
}

// Per-request clients pay a dial and a handshake for every request, and the
// server sees exactly the same.
func TestPerRequestDialsEveryRequest(t *testing.T) {
	t.Parallel()
	const n, c = 300, 8
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, n, c, "per-request"))
	for _, x := range []struct {
		name string
		got  int64
	}{
		{"ok", m.OK},
		{"client dials", m.Client.Dials},
		{"client TLS handshakes", m.Client.TLSHandshakes},
		{"server connections", m.Server.Connections},
		{"server TLS handshakes", m.Server.TLSHandshakes},
		{"server requests", m.Server.Requests},
		{"clients built", m.ClientsBuilt},
		{"GotConn(!Reused)", m.Client.NewConnRequests},
	} {
		if x.got != n {
			t.Errorf("%s = %d, want %d", x.name, x.got, n)
		}
	}
	if m.Client.Reused != 0 || m.Server.Resumed != 0 {
		t.Errorf("reused %d, resumed %d; want 0, 0", m.Client.Reused, m.Server.Resumed)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings = %q, want none", m.Warnings)
	}
	if got := m.Latency.TotalCount(); got != n {
		t.Errorf("latency histogram holds %d values, want %d", got, n)
	}
}

// A singleton sized for the concurrency dials at most C connections, the
// server agrees, and every other request reuses one.
func TestSingletonReuses(t *testing.T) {
	t.Parallel()
	const n, c = 400, 8
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, n, c, "singleton"))
	if m.OK != n {
		t.Errorf("ok = %d, want %d (errors %v)", m.OK, n, m.Errors)
	}
	// At most C connections are open at once (MaxConnsPerHost), and the
	// pool keeps every one it gets back: dials exceed C only by the
	// connections net/http closed after use, which on a starved CPU it
	// does when it cannot confirm a request's write within 50ms.
	if got, want := m.Client.PoolRejected, int64(0); got != want {
		t.Errorf("pool rejected %d connections, want %d", got, want)
	}
	if m.Client.Dials < 1 || m.Client.Dials > c+m.Client.ClosedAfterUse {
		t.Errorf("dials = %d, want 1..%d + %d closed after use", m.Client.Dials, c, m.Client.ClosedAfterUse)
	}
	if got, want := m.Server.Connections, m.Client.Dials; got != want {
		t.Errorf("server connections = %d, client dials = %d", got, want)
	}
	if got, want := m.Client.TLSHandshakes, m.Client.Dials; got != want {
		t.Errorf("TLS handshakes = %d, want %d (one per dial)", got, want)
	}
	if got, want := m.Server.TLSHandshakes, m.Client.TLSHandshakes; got != want {
		t.Errorf("server handshakes = %d, client %d", got, want)
	}
	// Every request got a connection; those not flagged new were reused.
	if got, want := m.Client.Reused, n-m.Client.NewConnRequests; got != want {
		t.Errorf("reused = %d, want N - new-conn requests = %d", got, want)
	}
	// At most the dialed connections served a first request, so at least
	// N - dials requests reused one; the rest of the gap is the GotConn
	// undercount (a dial finished after its request took another conn).
	if m.Client.Reused < n-m.Client.Dials {
		t.Errorf("reused = %d, want >= N - dials = %d", m.Client.Reused, n-m.Client.Dials)
	}
	if got, want := m.ClientsBuilt, int64(1); got != want {
		t.Errorf("clients built = %d, want %d", got, want)
	}
	for _, w := range m.Warnings {
		if strings.Contains(w, "churn") || strings.Contains(w, "cross-check") {
			t.Errorf("unexpected warning %q", w)
		}
	}
}

// A shared client on Go's default pool (2 idle connections per host) at
// concurrency 8 closes connections it cannot keep and dials new ones: the
// harness measures it and says so.
func TestDefaultPoolChurns(t *testing.T) {
	t.Parallel()
	const n, c = 2000, 8
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, n, c, "singleton-default-pool"))
	if m.OK != n {
		t.Errorf("ok = %d, want %d (errors %v)", m.OK, n, m.Errors)
	}
	if m.Client.Dials <= c {
		t.Errorf("dials = %d, want more than C = %d", m.Client.Dials, c)
	}
	if m.Client.PoolRejected == 0 {
		t.Error("the default pool rejected no connection; want the rejections that cause the churn")
	}
	if got, want := m.Server.Connections, m.Client.Dials; got != want {
		t.Errorf("server connections = %d, client dials = %d", got, want)
	}
	want := fmt.Sprintf("pool churn: singleton-default-pool dialed %d connections for %d concurrent workers", m.Client.Dials, c)
	if !hasWarning(m, want) {
		t.Errorf("warnings = %q, want one starting %q", m.Warnings, want)
	}
}

// GotConn(!Reused) is not a dial count: under churn, connections dialed in
// the background reach their first request flagged as reused. The dial
// count agrees with the server; the GotConn count does not.
func TestGotConnUndercountsDials(t *testing.T) {
	t.Parallel()
	const n, c = 2000, 8
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, n, c, "singleton-default-pool"))
	if m.Client.NewConnRequests >= m.Client.Dials {
		t.Errorf("GotConn(!Reused) = %d, dials = %d: want fewer GotConn(!Reused) than dials", m.Client.NewConnRequests, m.Client.Dials)
	}
	if got, want := m.Server.Connections, m.Client.Dials; got != want {
		t.Errorf("server connections = %d, want the dial count %d", got, want)
	}
	want := fmt.Sprintf("GotConn(!Reused) fired %d times but %d connections were dialed", m.Client.NewConnRequests, m.Client.Dials)
	if !hasWarning(m, want) {
		t.Errorf("warnings = %q, want one starting %q", m.Warnings, want)
	}
}

func hasWarning(m *ModeResult, prefix string) bool {
	for _, w := range m.Warnings {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

// A response that does not belong to its request is an error of its own kind.
func TestMismatchIsCounted(t *testing.T) {
	t.Parallel()
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(execution.RequestIDHeader, r.Header.Get(execution.RequestIDHeader))
		w.Write([]byte(`{"language":"python","version":"3.12.0","run":{"stdout":"id=0 sha256=0000000000000000\n","code":0}}`))
	}))
	defer hs.Close()
	res, err := Run(context.Background(), Config{
		BaseURL:     hs.URL,
		TLSConfig:   hs.Client().Transport.(*http.Transport).TLSClientConfig,
		Modes:       []string{"singleton"},
		Requests:    20,
		Concurrency: 2,
		CheckOutput: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Modes[0]
	if got, want := m.Errors[KindMismatch], int64(20); got != want {
		t.Errorf("mismatches = %d, want %d (errors %v)", got, want, m.Errors)
	}
	if m.OK != 0 || m.Server != nil {
		t.Errorf("ok = %d, server = %v; want 0 and unknown", m.OK, m.Server)
	}
}

// A custom client factory runs a user's client under the same tracing.
func TestCustomClientIsTraced(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{})
	var built atomic.Int64
	cfg := mockConfig(srv, 50, 5, "mine")
	cfg.Clients = map[string]ClientFactory{"mine": func(o execution.Options) (Client, error) {
		built.Add(1)
		o.Strategy = execution.Singleton
		return execution.New(o)
	}}
	m := runOne(t, cfg)
	if built.Load() != 1 || m.OK != 50 {
		t.Errorf("built %d, ok %d; want 1, 50", built.Load(), m.OK)
	}
	if m.Client.Dials < 1 || m.Client.Dials > 5 || m.Client.Dials != m.Server.Connections {
		t.Errorf("dials %d, server %d; want equal, 1..5", m.Client.Dials, m.Server.Connections)
	}
}

func TestProgressReportsFinalCount(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{})
	cfg := mockConfig(srv, 40, 4, "singleton")
	var last atomic.Int64
	var total atomic.Int64
	cfg.OnProgress = func(mode string, done, tot int64) { last.Store(done); total.Store(tot) }
	runOne(t, cfg)
	if last.Load() != 40 || total.Load() != 40 {
		t.Errorf("last progress = %d of %d, want 40 of 40", last.Load(), total.Load())
	}
}

// Cancelling the run stops new sends; every sent request is accounted for.
func TestCancelIsPartial(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := mockConfig(srv, 100000, 2, "singleton", "per-request")
	var seen atomic.Int64
	cfg.Payload = func(i int) execution.Request {
		if seen.Add(1) == 50 {
			cancel()
		}
		return DefaultPayload(i)
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || len(res.Modes) != 1 || !res.Modes[0].Partial {
		t.Fatalf("partial = %v, modes = %d; want a partial first mode only", res.Partial, len(res.Modes))
	}
	m := res.Modes[0]
	if m.Requests < 49 || m.Requests > 51 {
		t.Errorf("sent %d, want about 50 (sends stop at cancel)", m.Requests)
	}
	if got := m.OK + m.Failed(); got != m.Requests {
		t.Errorf("ok %d + failed %d != sent %d", m.OK, m.Failed(), m.Requests)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base := Config{BaseURL: "https://127.0.0.1:1", Modes: []string{"singleton"}, Requests: 10, Concurrency: 2}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"no url", func(c *Config) { c.BaseURL = "" }, "no target URL"},
		{"no modes", func(c *Config) { c.Modes = nil }, "no client modes"},
		{"unknown mode", func(c *Config) { c.Modes = []string{"pooled"} }, `unknown client mode "pooled"`},
		{"negative n", func(c *Config) { c.Requests = -1 }, "requests -1"},
		{"zero c", func(c *Config) { c.Concurrency = 0 }, "concurrency 0"},
		{"c > n", func(c *Config) { c.Concurrency = 11 }, "concurrency 11 is more than the 10 requests"},
		{"nothing bounds", func(c *Config) { c.Requests = 0 }, "neither a request count nor a duration"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkValidate(t, base, tc.mod, tc.want) })
	}
}

// checkValidate applies mod to a copy of base and checks that Validate
// accepts it (want == "") or names the problem (want in the error).
func checkValidate(t *testing.T, base Config, mod func(*Config), want string) {
	t.Helper()
	c := base
	mod(&c)
	err := c.Validate()
	if want == "" {
		if err != nil {
			t.Fatalf("Validate = %v, want nil", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate = %v, want it to contain %q", err, want)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&execution.StatusError{Code: 429}, KindHTTP429},
		{&execution.StatusError{Code: 503}, KindHTTP5xx},
		{&execution.StatusError{Code: 404}, KindHTTP4xx},
		{fmt.Errorf("execute: %w", context.Canceled), KindCanceled},
		{fmt.Errorf("execute: %w", context.DeadlineExceeded), KindTimeout},
		{fmt.Errorf("x: %w", errMismatch), KindMismatch},
		{fmt.Errorf("x: %w", execution.ErrBodyTooLarge), KindBodyTooLarge},
		{errors.New("execute: decode response: invalid character"), KindDecode},
		{errors.New("something odd"), KindOther},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// After a warm-up the measured phase starts on a warm pool: the singleton
// dials nothing, per-request clients still dial for every request, and
// the warm-up's requests are counted nowhere. One worker, so the warm-up
// surely dialed every connection the measured phase needs.
func TestWarmup(t *testing.T) {
	t.Parallel()
	const n, c = 60, 1
	for _, tc := range []struct {
		mode      string
		wantDials int64
		wantBuilt int64
	}{
		{"singleton", 0, 0},
		{"per-request", n, n},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			srv := startMock(t, mockserver.Config{})
			cfg := mockConfig(srv, n, c, tc.mode)
			cfg.Warmup = 50 * time.Millisecond
			m := runOne(t, cfg)
			if m.Requests != n || m.OK != n || m.Server.Requests != n {
				t.Errorf("sent %d, ok %d, server requests %d; want %d each", m.Requests, m.OK, m.Server.Requests, n)
			}
			if m.Client.Dials != tc.wantDials || m.Server.Connections != tc.wantDials {
				t.Errorf("dials %d, server connections %d; want %d", m.Client.Dials, m.Server.Connections, tc.wantDials)
			}
			if m.ClientsBuilt != tc.wantBuilt {
				t.Errorf("clients built = %d, want %d", m.ClientsBuilt, tc.wantBuilt)
			}
			if got := m.Latency.TotalCount(); got != n {
				t.Errorf("histogram holds %d values, want %d", got, n)
			}
		})
	}
}

// The pool counters: a server that closes every connection after 100
// requests makes the singleton close 2 connections after use over 250
// sequential requests (and dial 3); a pool sized for the concurrency
// rejects none, Go's default pool rejects some under concurrency.
func TestPoolCounters(t *testing.T) {
	t.Parallel()
	t.Run("closed after use", func(t *testing.T) {
		t.Parallel()
		srv := startMock(t, mockserver.Config{MaxRequestsPerConn: 100})
		m := runOne(t, mockConfig(srv, 250, 1, "singleton"))
		if m.Client.Dials != 3 || m.Client.ClosedAfterUse != 2 || m.Client.PoolRejected != 0 || m.Client.PoolReturned != 248 {
			t.Errorf("dials %d, closed after use %d, rejected %d, returned %d; want 3, 2, 0, 248",
				m.Client.Dials, m.Client.ClosedAfterUse, m.Client.PoolRejected, m.Client.PoolReturned)
		}
	})
	t.Run("per-request", func(t *testing.T) {
		t.Parallel()
		srv := startMock(t, mockserver.Config{})
		m := runOne(t, mockConfig(srv, 50, 2, "per-request"))
		// Each call's own pool takes its connection back; then the call
		// closes it (CloseIdleConnections), which no hook reports.
		if m.Client.PoolReturned != 50 || m.Client.PoolRejected != 0 || m.Client.ClosedAfterUse != 0 {
			t.Errorf("returned %d, rejected %d, closed after use %d; want 50, 0, 0", m.Client.PoolReturned, m.Client.PoolRejected, m.Client.ClosedAfterUse)
		}
	})
}
