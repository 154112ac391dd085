// Package pooltest gates a team's own HTTP client on connection reuse from
// its ordinary Go tests, as net/http/httptest serves handlers: start the
// execution-API mock, drive the client under poolbench's harness for N
// requests at concurrency C, and require that it reused its connections.
//
//	func TestClientReusesConnections(t *testing.T) {
//		srv := pooltest.NewServer(t)
//		client := mysdk.New(srv.URL, srv.ClientTLSConfig()) // the code under test
//		rep, err := pooltest.Run(t.Context(), srv, func(ctx context.Context, baseURL string) error {
//			return client.Ping(ctx) // must pass ctx on to its http.Request
//		}, pooltest.Options{Requests: 200, Concurrency: 4})
//		if err != nil {
//			t.Fatal(err)
//		}
//		pooltest.RequireReuse(t, rep, pooltest.Expect{})
//	}
//
// The harness counts dials, TLS handshakes and reused connections with
// net/http/httptrace hooks that travel in the context of each call: the
// client is traced only if it passes that ctx into its requests
// (http.NewRequestWithContext, or req.WithContext). A client that drops ctx
// shows 0 dials while the server accepted connections, and RequireReuse
// fails it for that, so an untraced client never passes by accident.
package pooltest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/gate"
	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/mockserver"
	"github.com/poolbench/poolbench/reports"
)

// NewServer starts the execution-API mock (HTTP/1.1 over TLS 1.3 on
// loopback, no added latency, no faults) and closes it when tb ends.
// Clients must trust it: srv.ClientTLSConfig() gives a verifying TLS
// config with its CA.
func NewServer(tb testing.TB) *mockserver.Server {
	tb.Helper()
	return NewServerConfig(tb, mockserver.Config{})
}

// NewServerConfig is NewServer with a configuration: latency, faults,
// keep-alive limits, HTTP/2, TLS 1.2.
func NewServerConfig(tb testing.TB, cfg mockserver.Config) *mockserver.Server {
	tb.Helper()
	srv, err := mockserver.NewServer(cfg)
	if err != nil {
		tb.Fatalf("pooltest: start mock server: %v", err)
	}
	tb.Cleanup(srv.Close)
	return srv
}

// Func is one call of a user's client: it sends one request to the
// execution API at baseURL (POST baseURL/api/v2/execute, or any path the
// mock answers) and returns its error. It must pass ctx into its HTTP
// request, which carries the trace hooks and the timeout. It is called
// concurrently from Concurrency goroutines.
type Func func(ctx context.Context, baseURL string) error

// Options are the workload of Run and RunClient.
type Options struct {
	// Requests is N, the number of calls. Default DefaultOptions.Requests.
	Requests int
	// Concurrency is C, the number of goroutines calling at once, each
	// with one call in flight. Default DefaultOptions.Concurrency.
	Concurrency int
	// Timeout bounds one call. Default DefaultOptions.Timeout.
	Timeout time.Duration
	// Name is the client's mode name in the report and in thresholds:
	// letters, digits, '_' and '-', starting with a letter. Default
	// "client".
	Name string
	// Baseline, if set, is an execution strategy ("per-request",
	// "singleton", ...) run first against the same server, so the
	// comparison table shows the client next to a reference.
	Baseline string
}

// DefaultOptions holds the values zero Options fields take.
var DefaultOptions = Options{Requests: 200, Concurrency: 4, Timeout: 10 * time.Second, Name: "client"}

var modeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

func (o Options) withDefaults() (Options, error) {
	d := DefaultOptions
	if o.Requests == 0 {
		o.Requests = d.Requests
	}
	if o.Concurrency == 0 {
		o.Concurrency = d.Concurrency
	}
	if o.Timeout == 0 {
		o.Timeout = d.Timeout
	}
	if o.Name == "" {
		o.Name = d.Name
	}
	if !modeName.MatchString(o.Name) {
		return o, fmt.Errorf("pooltest: mode name %q: want letters, digits, '_' and '-', starting with a letter", o.Name)
	}
	if o.Baseline != "" {
		if _, err := execution.ParseStrategy(o.Baseline); err != nil {
			return o, fmt.Errorf("pooltest: Baseline: %w", err)
		}
		if o.Baseline == o.Name {
			return o, fmt.Errorf("pooltest: Baseline and Name are both %q", o.Name)
		}
	}
	return o, nil
}

// Run calls fn Requests times from Concurrency goroutines against srv,
// traced, and returns the report: one mode named Options.Name (after the
// Baseline mode, if any) with the client's and the server's connection
// counts, errors by kind and latency. What fn returns is not checked
// beyond its error. srv must not serve another Run at the same time: its
// counters are reset per mode.
func Run(ctx context.Context, srv *mockserver.Server, fn Func, opts Options) (*reports.Report, error) {
	if fn == nil {
		return nil, errors.New("pooltest: Run: nil func")
	}
	return run(ctx, srv, opts, false, func(base string) harness.Client { return funcClient{fn: fn, base: base} })
}

// RunClient sends Requests execute calls with c from Concurrency
// goroutines against srv and returns the report, as Run does. Every
// response is checked to be the answer to its own request. c must trust
// srv (srv.ClientTLSConfig()); its idle connections are closed after the
// run, the client itself stays usable.
func RunClient(ctx context.Context, srv *mockserver.Server, c *http.Client, opts Options) (*reports.Report, error) {
	if c == nil {
		return nil, errors.New("pooltest: RunClient: nil *http.Client")
	}
	return run(ctx, srv, opts, true, func(base string) harness.Client { return &httpClient{c: c, endpoint: base + execution.ExecutePath} })
}

func run(ctx context.Context, srv *mockserver.Server, opts Options, checkOutput bool, client func(base string) harness.Client) (*reports.Report, error) {
	if srv == nil {
		return nil, errors.New("pooltest: nil server")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var modes []string
	if opts.Baseline != "" {
		modes = append(modes, opts.Baseline)
	}
	modes = append(modes, opts.Name)
	cfg := harness.Config{
		BaseURL:     srv.URL,
		TLSConfig:   srv.ClientTLSConfig(),
		Modes:       modes,
		Requests:    opts.Requests,
		Concurrency: opts.Concurrency,
		Timeout:     opts.Timeout,
		CheckOutput: checkOutput,
		Server:      harness.InProcess(srv),
		Clients: map[string]harness.ClientFactory{
			opts.Name: func(execution.Options) (harness.Client, error) { return client(srv.URL), nil },
		},
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pooltest: %w", err)
	}
	res, err := harness.Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pooltest: %w", err)
	}
	return reports.FromResult(reports.Scenario{
		Name:        "pooltest",
		Requests:    opts.Requests,
		Concurrency: opts.Concurrency,
		Modes:       modes,
	}, res)
}

// funcClient adapts a Func to the harness.
type funcClient struct {
	fn   Func
	base string
}

func (f funcClient) Execute(ctx context.Context, _ execution.Request) (execution.Result, error) {
	return execution.Result{}, f.fn(ctx, f.base)
}
func (funcClient) CloseIdleConnections() {}
func (funcClient) Close() error          { return nil }

// maxResponseBytes caps a response body read by RunClient.
const maxResponseBytes = 4 << 20

// httpClient sends execute calls with a user's *http.Client.
type httpClient struct {
	c        *http.Client
	endpoint string
}

func (h *httpClient) Execute(ctx context.Context, req execution.Request) (execution.Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return execution.Result{}, fmt.Errorf("execute: encode request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint, bytes.NewReader(body))
	if err != nil {
		return execution.Result{}, fmt.Errorf("execute: build request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	if req.ID != "" {
		hreq.Header.Set(execution.RequestIDHeader, req.ID)
	}
	resp, err := h.c.Do(hreq)
	if err != nil {
		return execution.Result{}, fmt.Errorf("execute: %w", err)
	}
	defer resp.Body.Close()
	// Read to the end, so the connection can go back to the pool: the
	// harness measures the client, not a reader that leaks connections.
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return execution.Result{}, fmt.Errorf("execute: read body: %w", err)
	}
	if len(data) > maxResponseBytes {
		return execution.Result{}, fmt.Errorf("%w: more than %d bytes", execution.ErrBodyTooLarge, maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &execution.StatusError{Code: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
		var eb struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &eb) == nil {
			se.Message = eb.Message
		}
		return execution.Result{}, se
	}
	var res execution.Result
	if err := json.Unmarshal(data, &res); err != nil {
		return execution.Result{}, fmt.Errorf("execute: decode response: %w", err)
	}
	res.RequestID = resp.Header.Get(execution.RequestIDHeader)
	return res, nil
}

func (h *httpClient) CloseIdleConnections() { h.c.CloseIdleConnections() }
func (h *httpClient) Close() error          { h.c.CloseIdleConnections(); return nil }

// Expect is what RequireReuse and CheckReuse hold a client to.
type Expect struct {
	// Mode is the mode to check. Default: the report's last mode (the
	// client; a Baseline runs first).
	Mode string
	// MaxConnections is the most connections (dials, and TLS handshakes)
	// the client may open. Default: the run's concurrency, one per
	// goroutine.
	//
	// The default is exact for a Transport that caps MaxConnsPerHost at
	// the concurrency (or less) and keeps as many idle connections
	// (MaxIdleConnsPerHost). Without the cap, net/http dials a new
	// connection whenever a request finds every connection busy or still
	// on its way back to the pool, and keeps it only if the pool has room:
	// a shared client with MaxIdleConnsPerHost = C but no cap dialed up to
	// 12, 25 and 66 connections for 200 requests at C = 4, 8 and 16
	// (30 runs each, a loaded 2-core machine). To gate such a client
	// against a client per call (one dial per request) only, set
	// MaxConnections to a share of the requests, e.g. Requests/2.
	// Either way net/http closes, rather than reuses, a connection whose
	// request write it has not seen finish within 50 ms of the response
	// (transport.go, maxWriteWaitBeforeConnReuse), so a machine that
	// stalls a goroutine that long can cost one extra dial.
	MaxConnections int
	// Thresholds are more checks in poolbench's gate grammar
	// (docs/gate.md), e.g. "client.p99 <= 20ms".
	Thresholds []string
}

// Checks returns the thresholds exp stands for against rep, in the gate
// grammar: no failed call, every call reached the server, the client's
// trace saw every connection the server accepted (ctx was passed on), and
// at most MaxConnections dials and TLS handshakes.
func (exp Expect) Checks(rep *reports.Report) ([]string, error) {
	mode := exp.Mode
	if mode == "" {
		if len(rep.Modes) == 0 {
			return nil, errors.New("pooltest: the report has no modes")
		}
		mode = rep.Modes[len(rep.Modes)-1].Mode
	}
	limit := "concurrency"
	if exp.MaxConnections > 0 {
		limit = fmt.Sprint(exp.MaxConnections)
	}
	checks := []string{
		mode + ".errors == 0",
		mode + ".server.requests == " + mode + ".requests",
		mode + ".server.connections <= " + mode + ".dials",
		mode + ".dials <= " + limit,
		mode + ".tls_handshakes <= " + limit,
	}
	return append(checks, exp.Thresholds...), nil
}

// CheckReuse evaluates exp against rep. A bad threshold or an unknown mode
// is an error; a failed check is in the verdict.
func CheckReuse(rep *reports.Report, exp Expect) (*gate.Verdict, error) {
	exprs, err := exp.Checks(rep)
	if err != nil {
		return nil, err
	}
	ts, err := gate.ParseAll(exprs, "pooltest")
	if err != nil {
		return nil, fmt.Errorf("pooltest: %w", err)
	}
	v, err := gate.Evaluate(rep, ts)
	if err != nil {
		return nil, fmt.Errorf("pooltest: %w", err)
	}
	return v, nil
}

// RequireReuse fails tb (Fatal) unless the client in rep reused its
// connections as exp says, with the table of checks and the comparison
// table in the message.
func RequireReuse(tb testing.TB, rep *reports.Report, exp Expect) {
	tb.Helper()
	v, err := CheckReuse(rep, exp)
	if err != nil {
		tb.Fatal(err)
		return
	}
	if v.Passed {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pooltest: the client does not reuse its connections (%s)\n\n", v.Summary())
	if err := gate.WriteTable(&b, v, false); err != nil {
		fmt.Fprintf(&b, "(gate table: %v)\n", err)
	}
	b.WriteString("\n")
	if err := reports.WriteTable(&b, rep, false); err != nil {
		fmt.Fprintf(&b, "(comparison table: %v)\n", err)
	}
	b.WriteString("\nA client built per call, or a shared one whose pool (Transport.MaxIdleConnsPerHost, default 2)\n" +
		"is smaller than the concurrency, dials more than once per goroutine. 0 dials while the server\n" +
		"accepted connections means the client did not pass ctx into its requests, so it was not traced.\n")
	tb.Fatal(b.String())
}
