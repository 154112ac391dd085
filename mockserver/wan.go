package mockserver

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// WAN emulation (Config.RTT). The server's listener is wrapped so that every
// connection behaves as if the client were RTT away, with one-way delays of
// RTT/2 in each direction and unlimited bandwidth:
//
//   - Data from the client becomes readable by the server RTT/2 after it
//     arrived on loopback.
//   - Data the server writes is handed to the kernel RTT/2 after the write;
//     Write itself returns at once (the data is copied), as a kernel socket
//     buffer would, so a flight of several writes costs RTT/2 once.
//   - The TCP handshake: on loopback connect returns at once and the client
//     sends its first bytes (the TLS ClientHello) immediately, where over a
//     real network it could only send one RTT after starting to connect.
//     The first data of a connection is therefore readable no earlier than
//     accept + RTT + RTT/2.
//   - Close takes effect RTT/2 after it is called, after the data written
//     before it. The reset fault closes the raw connection under the
//     wrapper (NetConn) for an RST: that one is not delayed.
//
// So a request on a kept-alive connection costs 1 RTT more than on
// loopback; a new connection costs 1 RTT for TCP plus the TLS handshake's
// round trips (1 with TLS 1.3, whose client sends its Finished and the
// request together; 2 with TLS 1.2) before the request's own: per-request
// clients pay 2 × RTT more than a kept-alive connection with TLS 1.3 and
// 3 × RTT more with TLS 1.2 (Go's client does not use TLS False Start).
//
// Round trips are counted (Server.RoundTrips): one per accepted connection
// (the emulated TCP handshake) and one per flight of client data that the
// server answered, i.e. client data followed by server data. A client
// flight that ends with the client closing its side (a close_notify alert
// and FIN) is not a round trip the client waits for, even though the server
// answers it with its own close_notify, and is not counted.

// MaxRTT bounds Config.RTT.
const MaxRTT = 10 * time.Second

// wanListener wraps a listener so that its connections emulate a WAN.
type wanListener struct {
	net.Listener
	rtt        time.Duration
	roundTrips atomic.Int64
}

func newWANListener(ln net.Listener, rtt time.Duration) *wanListener {
	return &wanListener{Listener: ln, rtt: rtt}
}

func (l *wanListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.roundTrips.Add(1) // the TCP handshake
	return newWANConn(c, l), nil
}

// RoundTrips returns the number of emulated round trips since the server
// started (0 without Config.RTT): see the WAN emulation notes in wan.go.
func (s *Server) RoundTrips() int64 {
	if s.wan == nil {
		return 0
	}
	return s.wan.roundTrips.Load()
}

// Directions of the last flight on a wanConn.
const (
	dirNone = iota
	dirIn   // client to server
	dirOut  // server to client
)

type chunk struct {
	data []byte
	at   time.Time // when it is delivered
}

// wanConn delays a server-side connection. A pump goroutine reads the raw
// connection as fast as the client sends and queues what it read with the
// time the server may see it; a writer goroutine delivers the server's
// writes when they are due.
type wanConn struct {
	raw  net.Conn
	ln   *wanListener
	half time.Duration
	// firstAt is the earliest time client data may be read: accept + RTT.
	firstAt time.Time

	mu sync.Mutex // guards everything below
	// in is the client data not yet read by the server; inErr, the raw
	// read error that follows it, due at inErrAt.
	in       []chunk
	inErr    error
	inErrAt  time.Time
	deadline time.Time // read deadline
	closed   bool
	// changed is closed (and replaced) whenever a waiting Read should look
	// again: data, an error, a new deadline, Close.
	changed chan struct{}
	// out is the server's data not yet delivered; closeAt, when set, is
	// when the raw connection is closed, after out is drained.
	out     []chunk
	closeAt time.Time
	outErr  error
	wake    chan struct{} // signals the writer goroutine (capacity 1)
	// rawClosed is set when the raw connection was closed under the
	// wrapper (the reset fault closes it directly, for an immediate RST).
	rawClosed bool
	// Flight accounting for round trips.
	lastDir int
	inEOF   bool // the current client flight ended with the client closing
}

func newWANConn(raw net.Conn, ln *wanListener) *wanConn {
	c := &wanConn{
		raw:     raw,
		ln:      ln,
		half:    ln.rtt / 2,
		firstAt: time.Now().Add(ln.rtt),
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
	go c.pump()
	go c.writer()
	return c
}

// notifyLocked wakes waiting Reads; c.mu is held.
func (c *wanConn) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *wanConn) pump() {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.raw.Read(buf)
		now := time.Now()
		at := now
		if at.Before(c.firstAt) {
			at = c.firstAt
		}
		at = at.Add(c.half)
		c.mu.Lock()
		if n > 0 {
			c.in = append(c.in, chunk{data: append([]byte(nil), buf[:n]...), at: at})
			if c.lastDir != dirIn {
				c.lastDir, c.inEOF = dirIn, false
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				c.rawClosed = true
				c.signalWriter()
			}
			c.inErr, c.inErrAt = err, at
			if c.lastDir != dirIn {
				c.lastDir = dirIn
			}
			c.inEOF = true
		}
		c.notifyLocked()
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Read returns client data once it is due, honouring the read deadline.
func (c *wanConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.closed {
			return 0, net.ErrClosed
		}
		now := time.Now()
		if !c.deadline.IsZero() && !now.Before(c.deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		var due time.Time
		switch {
		case len(c.in) > 0:
			h := &c.in[0]
			if !now.Before(h.at) {
				n := copy(p, h.data)
				h.data = h.data[n:]
				if len(h.data) == 0 {
					c.in[0] = chunk{}
					c.in = c.in[1:]
				}
				return n, nil
			}
			due = h.at
		case c.inErr != nil:
			if !now.Before(c.inErrAt) {
				return 0, c.inErr
			}
			due = c.inErrAt
		}
		if !c.deadline.IsZero() && (due.IsZero() || c.deadline.Before(due)) {
			due = c.deadline
		}
		ch := c.changed
		c.mu.Unlock()
		if due.IsZero() {
			<-ch
		} else {
			t := time.NewTimer(time.Until(due))
			select {
			case <-ch:
			case <-t.C:
			}
			t.Stop()
		}
		c.mu.Lock()
	}
}

// Write queues p for delivery RTT/2 from now and returns at once.
func (c *wanConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.outErr != nil {
		return 0, c.outErr
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.lastDir == dirIn && !c.inEOF {
		c.ln.roundTrips.Add(1)
	}
	c.lastDir = dirOut
	c.out = append(c.out, chunk{data: append([]byte(nil), p...), at: time.Now().Add(c.half)})
	c.signalWriter()
	return len(p), nil
}

func (c *wanConn) signalWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *wanConn) writer() {
	for {
		c.mu.Lock()
		var next chunk
		have := len(c.out) > 0
		if have {
			next = c.out[0]
		}
		closeAt := c.closeAt
		rawClosed := c.rawClosed
		c.mu.Unlock()
		switch {
		case rawClosed:
			c.raw.Close()
			return
		case have:
			if d := time.Until(next.at); d > 0 {
				time.Sleep(d)
			}
			_, err := c.raw.Write(next.data)
			c.mu.Lock()
			c.out[0] = chunk{}
			c.out = c.out[1:]
			if err != nil && c.outErr == nil {
				c.outErr = err
			}
			c.mu.Unlock()
		case !closeAt.IsZero():
			if d := time.Until(closeAt); d > 0 {
				time.Sleep(d)
			}
			c.raw.Close()
			return
		default:
			<-c.wake
		}
	}
}

// Close closes the connection for the server at once; the client sees the
// close RTT/2 later, after the data written before it.
func (c *wanConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	c.closeAt = time.Now().Add(c.half)
	c.notifyLocked()
	c.signalWriter()
	return nil
}

// NetConn returns the raw connection (for SO_LINGER: the reset fault).
func (c *wanConn) NetConn() net.Conn { return c.raw }

func (c *wanConn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *wanConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// SetDeadline sets the read deadline; writes never block, so the write
// deadline has nothing to bound.
func (c *wanConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

func (c *wanConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	c.notifyLocked()
	return nil
}

func (c *wanConn) SetWriteDeadline(time.Time) error { return nil }
