package audit

// The proofs run each flagged pattern and its fix against a local TLS server and count
// the connections the server accepts. Counts, not times: they are exact because the
// Transport returns a connection to its idle pool before the Read that hits the end
// of the body returns, and the server counts a connection (StateNew) before it serves
// the first request on it.

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

const (
	proofRequests      = 20
	proofBodySize      = 64 << 10 // larger than any read-ahead buffer of the client
	poolRequests       = 200
	poolConcurrency    = 8
	defaultIdlePerHost = http.DefaultMaxIdleConnsPerHost
)

// countingServer is an HTTP/1.1 TLS server on 127.0.0.1 that counts the connections it
// accepts and the requests it serves.
type countingServer struct {
	*httptest.Server
	conns    atomic.Int64
	requests atomic.Int64
}

func newCountingServer(t *testing.T, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h(w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// transport returns a new Transport that trusts only the server's certificate.
func (s *countingServer) transport() *http.Transport {
	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate())
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
}

// check compares the server's counts with the expected ones.
func (s *countingServer) check(t *testing.T, requests, conns int64) {
	t.Helper()
	if got, want := s.requests.Load(), requests; got != want {
		t.Errorf("server saw %d requests, want %d", got, want)
	}
	if got, want := s.conns.Load(), conns; got != want {
		t.Errorf("server accepted %d connections for %d requests, want %d", got, requests, want)
	}
}

// payload answers every request with a body of proofBodySize bytes.
func payload(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Length", strconv.Itoa(proofBodySize))
	w.Write(make([]byte, proofBodySize))
}

// get sends one GET and, if drain is set, reads the body to EOF before closing it.
func get(t *testing.T, c *http.Client, url string, drain bool) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Error(err)
		return
	}
	if drain {
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Error(err)
		}
	}
	resp.Body.Close() //poolbench:ignore undrainedbody drain is the variable under test
}

func TestProofNewTransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		run   func(t *testing.T, s *countingServer)
		conns int64
	}{
		{"transport per call", func(t *testing.T, s *countingServer) {
			for range proofRequests {
				//poolbench:ignore newtransport the flagged pattern, measured on purpose
				tr := s.transport()
				get(t, &http.Client{Transport: tr}, s.URL, true)
				tr.CloseIdleConnections()
			}
		}, proofRequests},
		{"shared transport", func(t *testing.T, s *countingServer) {
			c := &http.Client{Transport: s.transport()}
			defer c.CloseIdleConnections()
			for range proofRequests {
				get(t, c, s.URL, true)
			}
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newCountingServer(t, payload)
			tt.run(t, s)
			s.check(t, proofRequests, tt.conns)
		})
	}
}

func TestProofDisableKeepAlives(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		disableKeepAlives bool
		conns             int64
	}{
		{"keep-alives disabled", true, proofRequests},
		{"keep-alives on", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newCountingServer(t, payload)
			tr := s.transport()
			tr.DisableKeepAlives = tt.disableKeepAlives
			c := &http.Client{Transport: tr}
			defer c.CloseIdleConnections()
			for range proofRequests {
				get(t, c, s.URL, true)
			}
			s.check(t, proofRequests, tt.conns)
		})
	}
}

func TestProofUndrainedBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		drain bool
		conns int64
	}{
		{"closed unread", false, proofRequests},
		{"drained then closed", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newCountingServer(t, payload)
			c := &http.Client{Transport: s.transport()}
			defer c.CloseIdleConnections()
			for range proofRequests {
				get(t, c, s.URL, tt.drain)
			}
			s.check(t, proofRequests, tt.conns)
		})
	}
}

// barrier releases its waiters in groups of n: the n-th arrival frees the group.
type barrier struct {
	n  int
	mu sync.Mutex // guards arrived and release
	// arrived counts the waiters of the current group; release is closed when it
	// reaches n.
	arrived int
	release chan struct{}
}

func (b *barrier) wait(done <-chan struct{}) {
	b.mu.Lock()
	if b.release == nil {
		b.release = make(chan struct{})
	}
	release := b.release
	b.arrived++
	if b.arrived == b.n {
		close(release)
		b.arrived, b.release = 0, nil
	}
	b.mu.Unlock()
	select {
	case <-release:
	case <-done:
	}
}

// TestProofDefaultPool sends poolRequests requests in rounds of poolConcurrency
// concurrent requests. The server holds each round's responses until all of the round
// has arrived, so the round really uses poolConcurrency connections at once, and the
// client starts a round only when the previous one has finished, so every connection
// has gone back to the pool (or been closed) by then. That makes the count exact:
// with the default MaxIdleConnsPerHost (2) only 2 of the 8 connections survive each
// round and 6 are dialled again; with the pool sized to 8, the first 8 serve all.
func TestProofDefaultPool(t *testing.T) {
	t.Parallel()
	const rounds = poolRequests / poolConcurrency
	tests := []struct {
		name                string
		maxIdleConnsPerHost int
		conns               int64
	}{
		{"default pool", 0, poolConcurrency + (rounds-1)*(poolConcurrency-defaultIdlePerHost)},
		{"pool sized to concurrency", poolConcurrency, poolConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &barrier{n: poolConcurrency}
			s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
				b.wait(r.Context().Done())
				io.WriteString(w, "ok")
			})
			tr := s.transport()
			tr.MaxIdleConnsPerHost = tt.maxIdleConnsPerHost
			c := &http.Client{Transport: tr}
			defer c.CloseIdleConnections()
			for range rounds {
				var wg sync.WaitGroup
				for range poolConcurrency {
					wg.Go(func() { get(t, c, s.URL, true) })
				}
				wg.Wait()
			}
			s.check(t, poolRequests, tt.conns)
			got := s.conns.Load()
			if tt.maxIdleConnsPerHost == 0 && got <= poolConcurrency {
				t.Errorf("default pool: %d connections, want more than the concurrency %d", got, poolConcurrency)
			}
			if tt.maxIdleConnsPerHost >= poolConcurrency && got > poolConcurrency {
				t.Errorf("sized pool: %d connections, want at most the concurrency %d", got, poolConcurrency)
			}
			t.Logf("%d requests at concurrency %d, MaxIdleConnsPerHost=%d: %d connections", poolRequests, poolConcurrency, tt.maxIdleConnsPerHost, got)
		})
	}
}
