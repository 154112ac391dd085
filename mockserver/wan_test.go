package mockserver

import (
	"context"
	"crypto/tls"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
)

func wanExecute(t *testing.T, srv *Server, strategy execution.Strategy, n int) {
	t.Helper()
	svc, err := execution.New(execution.Options{
		BaseURL:   srv.URL,
		Strategy:  strategy,
		TLSConfig: srv.ClientTLSConfig(),
		PoolSize:  1,
		Timeout:   10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	for i := range n {
		req := execution.Request{ID: strconv.Itoa(i), Language: "python", Version: "3.12.0",
			Files: []execution.File{{Name: "main.py", Content: "print(1)"}}}
		res, err := svc.Execute(context.Background(), req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got, want := res.Run.Stdout, Output(req); got != want {
			t.Fatalf("request %d: stdout %q, want %q", i, got, want)
		}
	}
}

// The emulated round trips are counted, not timed: a kept-alive request
// costs one, a new connection one for TCP plus the TLS handshake's (one
// with TLS 1.3, two with TLS 1.2). So per-request clients pay 2 (TLS 1.3)
// or 3 (TLS 1.2) round trips per request more than a singleton.
func TestWANRoundTrips(t *testing.T) {
	t.Parallel()
	const n = 5
	for _, tc := range []struct {
		name     string
		version  uint16
		strategy execution.Strategy
		want     int64
	}{
		{"tls13/per-request", tls.VersionTLS13, execution.PerRequest, 3 * n},
		{"tls13/singleton", tls.VersionTLS13, execution.Singleton, n + 2},
		{"tls12/per-request", tls.VersionTLS12, execution.PerRequest, 4 * n},
		{"tls12/singleton", tls.VersionTLS12, execution.Singleton, n + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, err := NewServer(Config{RTT: 10 * time.Millisecond, TLSVersion: tc.version})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			wanExecute(t, srv, tc.strategy, n)
			if got := srv.RoundTrips(); got != tc.want {
				t.Errorf("round trips = %d, want %d", got, tc.want)
			}
			if got, want := srv.Stats().Requests, int64(n); got != want {
				t.Errorf("requests = %d, want %d", got, want)
			}
		})
	}
}

// Keep-alive limits and faults still work through the delaying listener:
// its reads honour deadlines (the idle timeout), its close is delivered
// (max requests per connection) and the reset fault still resets.
func TestWANServerBehaviours(t *testing.T) {
	t.Parallel()
	t.Run("max requests per conn", func(t *testing.T) {
		t.Parallel()
		srv, err := NewServer(Config{RTT: 4 * time.Millisecond, MaxRequestsPerConn: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		wanExecute(t, srv, execution.Singleton, 6)
		if got, want := srv.Stats().Connections, int64(3); got != want {
			t.Errorf("connections = %d, want %d", got, want)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		t.Parallel()
		srv, err := NewServer(Config{RTT: 4 * time.Millisecond, IdleTimeout: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		wanExecute(t, srv, execution.Singleton, 1)
		deadline := time.Now().Add(5 * time.Second)
		for srv.Stats().Open != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got := srv.Stats().Open; got != 0 {
			t.Errorf("open connections after the idle timeout = %d, want 0", got)
		}
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		srv, err := NewServer(Config{RTT: 4 * time.Millisecond, Faults: Faults{Reset: 1}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		svc, err := execution.New(execution.Options{BaseURL: srv.URL, Strategy: execution.Singleton, TLSConfig: srv.ClientTLSConfig(), PoolSize: 1, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		_, err = svc.Execute(context.Background(), execution.Request{ID: "1", Language: "python", Version: "3.12.0",
			Files: []execution.File{{Name: "main.py", Content: "print(1)"}}})
		var se *execution.StatusError
		if err == nil || errors.As(err, &se) {
			t.Fatalf("err = %v, want a connection error", err)
		}
	})
}

func TestWANValidate(t *testing.T) {
	t.Parallel()
	for _, rtt := range []time.Duration{-time.Millisecond, MaxRTT + 1} {
		if _, err := NewUnstartedServer(Config{RTT: rtt}); err == nil {
			t.Errorf("RTT %v accepted", rtt)
		}
	}
}
