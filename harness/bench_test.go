package harness

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// The per-request hot path, measured piece by piece and whole. The budget
// (issue 6): at most 1 µs and 2 allocations per request on top of what the
// client under test costs by itself. Compare, in one run:
//
//	BenchmarkRoundTrip/net-http     the bare net/http reference: POST, read body
//	BenchmarkRoundTrip/execute      execution.Service.Execute alone (the client under test)
//	BenchmarkRoundTrip/harness      Execute inside the harness worker: trace, check, histograms, accounting
//
// harness - execute is the harness's own cost per request.

func benchServer(b *testing.B) *mockserver.Server {
	b.Helper()
	srv, err := mockserver.NewServer(mockserver.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkRoundTrip(b *testing.B) {
	srv := benchServer(b)
	body := `{"language":"python","version":"3.12.0","files":[{"name":"main.py","content":"print('hello from poolbench')"}]}`

	b.Run("net-http", func(b *testing.B) {
		tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig(), MaxIdleConnsPerHost: 8,
			TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
		defer tr.CloseIdleConnections()
		// The same exchange as Execute's: same body and headers, and a
		// client timeout (which costs a deadline per request).
		c := &http.Client{Transport: tr, Timeout: execution.DefaultOptions.Timeout}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+execution.ExecutePath, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			req.Header.Set(execution.RequestIDHeader, strconv.Itoa(i))
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})

	newSvc := func(b *testing.B) *execution.Service {
		svc, err := execution.New(execution.Options{BaseURL: srv.URL, TLSConfig: srv.ClientTLSConfig(), Strategy: execution.Singleton})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { svc.Close() })
		return svc
	}

	b.Run("execute", func(b *testing.B) {
		svc := newSvc(b)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			req := DefaultPayload(i)
			req.ID = strconv.Itoa(i)
			if _, err := svc.Execute(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("harness", func(b *testing.B) {
		svc := newSvc(b)
		ctx := context.Background()
		check := newChecker(Config{CheckOutput: true})
		b.ReportAllocs()
		b.ResetTimer()
		w := newWorker(0, 1, b.N, time.Now())
		w.run(ctx, ctx, svc, DefaultPayload, check, time.Time{})
		b.StopTimer()
		if w.ok != int64(b.N) {
			b.Fatalf("ok = %d of %d (errors %v)", w.ok, b.N, w.errors)
		}
	})
}

// BenchmarkTraceHooks is the cost of the httptrace hooks of one request on
// a reused connection (GetConn is nil; GotConn and GotFirstResponseByte fire).
func BenchmarkTraceHooks(b *testing.B) {
	tr := newTracer(time.Now())
	ct := tr.clientTrace()
	info := httptrace.GotConnInfo{Reused: true, WasIdle: true, IdleTime: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		ct.GotConn(info)
		ct.GotFirstResponseByte()
	}
}

// BenchmarkTraceHooksNewConn adds the dial and handshake hooks.
func BenchmarkTraceHooksNewConn(b *testing.B) {
	tr := newTracer(time.Now())
	ct := tr.clientTrace()
	var cs tls.ConnectionState
	b.ReportAllocs()
	for b.Loop() {
		ct.ConnectStart("tcp", "127.0.0.1:1")
		ct.ConnectDone("tcp", "127.0.0.1:1", nil)
		ct.TLSHandshakeStart()
		ct.TLSHandshakeDone(cs, nil)
		ct.GotConn(httptrace.GotConnInfo{})
		ct.GotFirstResponseByte()
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := NewHistogram()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		recordClamped(h, time.Duration(100_000+i%5000)*time.Microsecond/100)
	}
}

func BenchmarkCheck(b *testing.B) {
	c := newChecker(Config{CheckOutput: true})
	req := DefaultPayload(0)
	req.ID = "12345"
	res := execution.Result{RequestID: "12345", Run: execution.Stage{Stdout: mockserver.Output(req)}}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.check(req, res); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccounting(b *testing.B) {
	w := newWorker(0, 1, 0, time.Now())
	err := &execution.StatusError{Code: 503}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w.sent++
		w.done.Store(w.sent)
		if i%100 == 0 {
			w.errors[Classify(err)]++
		} else {
			w.ok++
		}
	}
}
