package harness

import (
	"crypto/tls"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// ClientCounts is what the client side saw, from httptrace hooks.
//
// Dials and TLSHandshakes come from ConnectDone and TLSHandshakeDone, not
// from GotConn: a connection dialed for one request that was served by
// another idle connection meanwhile goes to the pool, and the request that
// later takes it sees GotConnInfo.Reused == true. GotConn(!Reused) therefore
// undercounts new connections exactly when a pool churns.
type ClientCounts struct {
	// Dials is the number of TCP connections established (ConnectDone, no error).
	Dials int64 `json:"dials"`
	// DialErrors is the number of failed connection attempts.
	DialErrors int64 `json:"dial_errors,omitempty"`
	// TLSHandshakes is the number of completed TLS handshakes.
	TLSHandshakes int64 `json:"tls_handshakes"`
	// TLSErrors is the number of failed TLS handshakes.
	TLSErrors int64 `json:"tls_errors,omitempty"`
	// TLSResumed is the number of handshakes that resumed a session.
	TLSResumed int64 `json:"tls_resumed"`
	// GotConn is the number of connections handed to requests.
	GotConn int64 `json:"got_conn"`
	// Reused is the number of GotConn calls with Reused set.
	Reused int64 `json:"reused"`
	// NewConnRequests is the number of GotConn calls without Reused: the
	// figure that undercounts dials under churn.
	NewConnRequests int64 `json:"new_conn_requests"`
	// WasIdle is the number of GotConn calls with a connection from the idle pool.
	WasIdle int64 `json:"was_idle"`
	// PoolReturned is the number of connections handed back to the idle
	// pool after a request (PutIdleConn without error).
	PoolReturned int64 `json:"pool_returned"`
	// PoolRejected is the number of connections the idle pool refused after
	// a request (PutIdleConn with an error, e.g. more idle connections than
	// MaxIdleConnsPerHost): each was closed, and the next request that needs
	// one dials again. A pool sized for the concurrency rejects none, so
	// this count is exact where dials are not: net/http also discards a
	// healthy connection, without PutIdleConn, when it cannot confirm the
	// request write within 50ms (a starved CPU), and that costs a dial too.
	PoolRejected int64 `json:"pool_rejected"`
	// ClosedAfterUse is the number of HTTP/1.1 keep-alive connections that
	// served a request and went neither back to the pool nor to a rejection:
	// the server asked to close, the request failed, or net/http gave up
	// waiting for the write confirmation. 0 over
	// HTTP/2, where PutIdleConn does not fire; every connection without
	// keep-alives.
	ClosedAfterUse int64 `json:"closed_after_use"`
	// HTTP2Conns is the number of handshakes that negotiated HTTP/2.
	HTTP2Conns int64 `json:"http2_conns,omitempty"`
	// DialTime and TLSTime are the summed durations of completed dials and
	// handshakes; divide by the counts for a mean.
	DialTime time.Duration `json:"dial_time_ns"`
	TLSTime  time.Duration `json:"tls_time_ns"`
	// IdleTime is the summed GotConnInfo.IdleTime of reused connections.
	IdleTime time.Duration `json:"idle_time_ns"`
}

// finish settles the figures that only the whole mode can tell: over
// HTTP/2 PutIdleConn never fires, so nothing is "closed after use".
func (c *ClientCounts) finish() {
	if c.HTTP2Conns > 0 {
		c.ClosedAfterUse = 0
	}
}

func (c *ClientCounts) add(o ClientCounts) {
	c.Dials += o.Dials
	c.DialErrors += o.DialErrors
	c.TLSHandshakes += o.TLSHandshakes
	c.TLSErrors += o.TLSErrors
	c.TLSResumed += o.TLSResumed
	c.GotConn += o.GotConn
	c.Reused += o.Reused
	c.NewConnRequests += o.NewConnRequests
	c.WasIdle += o.WasIdle
	c.PoolReturned += o.PoolReturned
	c.PoolRejected += o.PoolRejected
	c.ClosedAfterUse += o.ClosedAfterUse
	c.HTTP2Conns += o.HTTP2Conns
	c.DialTime += o.DialTime
	c.TLSTime += o.TLSTime
	c.IdleTime += o.IdleTime
}

// tracer is one worker's httptrace state. A worker builds one ClientTrace
// and one context for its whole life, so tracing costs no allocation per
// request. Hooks may run on other goroutines and after the request that
// started a dial has returned (net/http finishes a dial in the background),
// so every field is atomic; no field is shared with another worker.
type tracer struct {
	epoch time.Time

	connectStart, connectOK, connectErr atomic.Int64
	tlsStart, tlsOK, tlsErr, tlsResumed atomic.Int64
	gotConn, reused, wasIdle            atomic.Int64
	putIdle, putIdleErr, tlsH2          atomic.Int64
	// Σ start and Σ done instants (ns since epoch) of dials and handshakes:
	// once every started one is done, Σdone − Σstart is their total time,
	// without pairing a start with its done.
	connectStartNs, connectDoneNs atomic.Int64
	tlsStartNs, tlsDoneNs         atomic.Int64
	idleNs                        atomic.Int64
	firstByteNs                   atomic.Int64 // of the current request
}

func newTracer(epoch time.Time) *tracer { return &tracer{epoch: epoch} }

func (t *tracer) now() int64 { return int64(time.Since(t.epoch)) }

func (t *tracer) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		ConnectStart: func(network, addr string) {
			t.connectStart.Add(1)
			t.connectStartNs.Add(t.now())
		},
		ConnectDone: func(network, addr string, err error) {
			t.connectDoneNs.Add(t.now())
			if err != nil {
				t.connectErr.Add(1)
				return
			}
			t.connectOK.Add(1)
		},
		TLSHandshakeStart: func() {
			t.tlsStart.Add(1)
			t.tlsStartNs.Add(t.now())
		},
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			t.tlsDoneNs.Add(t.now())
			if err != nil {
				t.tlsErr.Add(1)
				return
			}
			t.tlsOK.Add(1)
			if cs.DidResume {
				t.tlsResumed.Add(1)
			}
			if cs.NegotiatedProtocol == "h2" {
				t.tlsH2.Add(1)
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			t.gotConn.Add(1)
			if info.Reused {
				t.reused.Add(1)
			}
			if info.WasIdle {
				t.wasIdle.Add(1)
				t.idleNs.Add(int64(info.IdleTime))
			}
		},
		PutIdleConn: func(err error) {
			if err != nil {
				t.putIdleErr.Add(1)
				return
			}
			t.putIdle.Add(1)
		},
		GotFirstResponseByte: func() {
			t.firstByteNs.Store(t.now())
		},
	}
}

// pending reports whether a dial or handshake has started and not finished.
func (t *tracer) pending() bool {
	return t.connectStart.Load() != t.connectOK.Load()+t.connectErr.Load() ||
		t.tlsStart.Load() != t.tlsOK.Load()+t.tlsErr.Load()
}

func (t *tracer) counts() ClientCounts {
	c := ClientCounts{
		Dials:         t.connectOK.Load(),
		DialErrors:    t.connectErr.Load(),
		TLSHandshakes: t.tlsOK.Load(),
		TLSErrors:     t.tlsErr.Load(),
		TLSResumed:    t.tlsResumed.Load(),
		GotConn:       t.gotConn.Load(),
		Reused:        t.reused.Load(),
		WasIdle:       t.wasIdle.Load(),
		IdleTime:      time.Duration(t.idleNs.Load()),
	}
	c.PoolReturned = t.putIdle.Load()
	c.PoolRejected = t.putIdleErr.Load()
	c.NewConnRequests = c.GotConn - c.Reused
	c.HTTP2Conns = t.tlsH2.Load()
	c.ClosedAfterUse = max(0, c.GotConn-c.PoolReturned-c.PoolRejected)
	if !t.pending() {
		c.DialTime = time.Duration(t.connectDoneNs.Load() - t.connectStartNs.Load())
		c.TLSTime = time.Duration(t.tlsDoneNs.Load() - t.tlsStartNs.Load())
	}
	return c
}
