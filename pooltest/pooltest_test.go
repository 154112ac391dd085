package pooltest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// fakeTB records a failure instead of ending the test, so a test can prove
// that RequireReuse fails.
type fakeTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.failed, f.msg = true, fmt.Sprint(args...)
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
}

// ping is one call: POST an execute request with c, the body read to its
// end. withCtx false builds the request without ctx (the mistake that
// hides a client from the trace).
func ping(ctx context.Context, c *http.Client, baseURL string, withCtx bool) error {
	body := strings.NewReader(`{"language":"python","version":"3.12.0","files":[{"content":"print(1)"}]}`)
	var req *http.Request
	var err error
	if withCtx {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, baseURL+execution.ExecutePath, body)
	} else {
		req, err = http.NewRequest(http.MethodPost, baseURL+execution.ExecutePath, body)
	}
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// sharedClient is a client shared by every call, its pool sized and capped
// for pool goroutines: at most pool connections.
func sharedClient(srv *mockserver.Server, pool int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: srv.ClientTLSConfig(), MaxIdleConnsPerHost: pool, MaxConnsPerHost: pool,
	}}
}

const n, c = 40, 4

func TestRequireReuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fn     func(srv *mockserver.Server) Func
		opts   Options
		failed []string // the failed checks; none: RequireReuse passes
		dials  int64
	}{
		{
			name: "shared client",
			fn: func(srv *mockserver.Server) Func {
				hc := sharedClient(srv, c)
				return func(ctx context.Context, base string) error { return ping(ctx, hc, base, true) }
			},
		},
		{
			name: "client per request",
			fn: func(srv *mockserver.Server) Func {
				return func(ctx context.Context, base string) error {
					tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig()}
					defer tr.CloseIdleConnections()
					return ping(ctx, &http.Client{Transport: tr}, base, true)
				}
			},
			opts:   Options{Baseline: "singleton"},
			failed: []string{"client.dials <= concurrency", "client.tls_handshakes <= concurrency"},
			dials:  n,
		},
		{
			name: "keep-alives disabled",
			fn: func(srv *mockserver.Server) Func {
				hc := sharedClient(srv, c)
				hc.Transport.(*http.Transport).DisableKeepAlives = true
				return func(ctx context.Context, base string) error { return ping(ctx, hc, base, true) }
			},
			failed: []string{"client.dials <= concurrency", "client.tls_handshakes <= concurrency"},
			dials:  n,
		},
		{
			name: "ctx not passed on",
			fn: func(srv *mockserver.Server) Func {
				hc := sharedClient(srv, c)
				return func(ctx context.Context, base string) error { return ping(ctx, hc, base, false) }
			},
			failed: []string{"client.server.connections <= client.dials"},
			dials:  0,
		},
		{
			name: "failing calls",
			fn: func(srv *mockserver.Server) Func {
				hc := sharedClient(srv, c)
				return func(ctx context.Context, base string) error { return ping(ctx, hc, base+"/nope", true) }
			},
			failed: []string{"client.errors == 0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t)
			opts := tc.opts
			opts.Requests, opts.Concurrency = n, c
			rep, err := Run(t.Context(), srv, tc.fn(srv), opts)
			if err != nil {
				t.Fatal(err)
			}
			m := rep.Modes[len(rep.Modes)-1]
			if m.Mode != "client" || m.Requests != n || m.OK+m.Failed() != n {
				t.Fatalf("mode %s: requests %d ok %d failed %d, want client with %d", m.Mode, m.Requests, m.OK, m.Failed(), n)
			}
			if tc.dials > 0 || tc.name == "ctx not passed on" {
				if got, want := m.Client.Dials, tc.dials; got != want {
					t.Errorf("dials = %d, want %d", got, want)
				}
			}
			fake := &fakeTB{TB: t}
			RequireReuse(fake, rep, Expect{})
			if got, want := fake.failed, len(tc.failed) > 0; got != want {
				t.Fatalf("RequireReuse failed = %v, want %v:\n%s", got, want, fake.msg)
			}
			for _, f := range tc.failed {
				if !strings.Contains(fake.msg, "| FAIL   | "+f+" ") {
					t.Errorf("message lacks the failed check %q:\n%s", f, fake.msg)
				}
			}
			if fake.failed {
				for _, want := range []string{"pooltest: the client does not reuse its connections (FAIL: ", "| new connections (dials) |"} {
					if !strings.Contains(fake.msg, want) {
						t.Errorf("message lacks %q:\n%s", want, fake.msg)
					}
				}
			}
			if tc.opts.Baseline != "" && !strings.Contains(fake.msg, "| singleton / client |") && !strings.Contains(fake.msg, "singleton / client") {
				t.Errorf("message lacks the comparison with the baseline:\n%s", fake.msg)
			}
		})
	}
}

func TestRunClientCounts(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	hc := sharedClient(srv, c)
	rep, err := RunClient(t.Context(), srv, hc, Options{Requests: n, Concurrency: c, Name: "sdk"})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Modes[0]
	if m.Mode != "sdk" || m.OK != n || m.Server == nil || m.Server.Requests != n {
		t.Fatalf("mode %+v", m)
	}
	if m.Client.Dials < 1 || m.Client.Dials > c || m.Server.Connections != m.Client.Dials {
		t.Errorf("dials %d, server connections %d: want 1..%d and equal", m.Client.Dials, m.Server.Connections, c)
	}
	fake := &fakeTB{TB: t}
	RequireReuse(fake, rep, Expect{Thresholds: []string{"sdk.reused >= sdk.requests - concurrency"}})
	if fake.failed {
		t.Errorf("RequireReuse failed:\n%s", fake.msg)
	}
	// The same client with keep-alives off dials once per request.
	hc.Transport.(*http.Transport).DisableKeepAlives = true
	rep, err = RunClient(t.Context(), srv, hc, Options{Requests: n, Concurrency: c})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.Modes[0].Client.Dials, int64(n); got != want {
		t.Errorf("dials without keep-alives = %d, want %d", got, want)
	}
	v, err := CheckReuse(rep, Expect{MaxConnections: 10})
	if err != nil {
		t.Fatal(err)
	}
	if v.Passed {
		t.Error("CheckReuse passed a client without keep-alives")
	}
	if got, want := v.Checks[3].Expr, "client.dials <= 10"; got != want {
		t.Errorf("check = %q, want %q", got, want)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	fn := func(context.Context, string) error { return nil }
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"nil func", func() error { _, err := Run(t.Context(), srv, nil, Options{}); return err }, "nil func"},
		{"nil client", func() error { _, err := RunClient(t.Context(), srv, nil, Options{}); return err }, "nil *http.Client"},
		{"dotted name", func() error { _, err := Run(t.Context(), srv, fn, Options{Name: "my.client"}); return err }, `mode name "my.client"`},
		{"unknown baseline", func() error { _, err := Run(t.Context(), srv, fn, Options{Baseline: "pooled"}); return err }, `Baseline: unknown`},
		{"c over n", func() error { _, err := Run(t.Context(), srv, fn, Options{Requests: 2, Concurrency: 3}); return err }, "concurrency 3 is more than the 2 requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	fake := &fakeTB{TB: t}
	rep, err := Run(t.Context(), srv, fn, Options{Requests: 4, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	RequireReuse(fake, rep, Expect{Thresholds: []string{"client.dails <= 1"}})
	if !fake.failed || !strings.Contains(fake.msg, `column 8: unknown metric "dails"`) {
		t.Errorf("bad threshold: failed %v, msg %q", fake.failed, fake.msg)
	}
	// A func that never reaches the server cannot pass.
	fake = &fakeTB{TB: t}
	RequireReuse(fake, rep, Expect{})
	if !fake.failed || !strings.Contains(fake.msg, "| FAIL   | client.server.requests == client.requests ") {
		t.Errorf("a func that sends nothing: failed %v, msg:\n%s", fake.failed, fake.msg)
	}
}
