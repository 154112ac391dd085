package mockserver

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"
)

var discardLog = log.New(io.Discard, "", 0)

// FaultKind is a failure the mock can inject into one response.
type FaultKind int

// The fault kinds, in the order Faults.Pick assigns them.
const (
	FaultNone         FaultKind = iota
	FaultServerError            // 500 with a JSON error body
	FaultTooMany                // 429 with Retry-After
	FaultReset                  // connection reset (RST) before any answer
	FaultSlowBody               // half the body, a pause, the rest
	FaultCloseMidBody           // half the body, then the connection closes
	numFaultKinds
)

var faultNames = [numFaultKinds]string{"none", "server_error", "too_many_requests", "reset", "slow_body", "close_mid_body"}

// String returns the fault's name as used in Stats.Faults.
func (k FaultKind) String() string {
	if k < 0 || k >= numFaultKinds {
		return "FaultKind(" + strconv.Itoa(int(k)) + ")"
	}
	return faultNames[k]
}

// Faults gives, for each kind, the share of requests (0..1) that get it.
type Faults struct {
	ServerError  float64 `json:"server_error,omitempty"`
	TooMany      float64 `json:"too_many_requests,omitempty"`
	Reset        float64 `json:"reset,omitempty"`
	SlowBody     float64 `json:"slow_body,omitempty"`
	CloseMidBody float64 `json:"close_mid_body,omitempty"`
	// RetryAfter is the Retry-After of 429 answers, whole seconds. Default 1s.
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	// SlowBodyDelay is the pause in a slow body. Default 2s.
	SlowBodyDelay time.Duration `json:"slow_body_delay,omitempty"`
}

func (f Faults) shares() [numFaultKinds]float64 {
	return [numFaultKinds]float64{0, f.ServerError, f.TooMany, f.Reset, f.SlowBody, f.CloseMidBody}
}

func (f Faults) validate() error {
	var sum float64
	for k, p := range f.shares() {
		if p < 0 || p > 1 || math.IsNaN(p) {
			return fmt.Errorf("mockserver: fault share %s = %v: want 0..1", FaultKind(k), p)
		}
		sum += p
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("mockserver: fault shares add up to %v > 1", sum)
	}
	if f.RetryAfter < 0 || f.SlowBodyDelay < 0 {
		return errors.New("mockserver: negative fault delay")
	}
	return nil
}

// Active reports whether any fault has a non-zero share.
func (f Faults) Active() bool {
	for _, p := range f.shares() {
		if p > 0 {
			return true
		}
	}
	return false
}

// Pick returns the fault of request n (1-based). It spreads each kind evenly
// over the sequence (a Weyl sequence, frac(n·φ)), so the first N requests
// carry each kind N·share times give or take a couple, and the same N always
// gives the same counts: a test can compute them with Count.
func (f Faults) Pick(n uint64) FaultKind {
	if !f.Active() {
		return FaultNone
	}
	const phi = 0.6180339887498949
	u := math.Mod(float64(n)*phi, 1)
	var cum float64
	for k, p := range f.shares() {
		if k == 0 {
			continue
		}
		cum += p
		if u < cum {
			return FaultKind(k)
		}
	}
	return FaultNone
}

// Count returns how many of requests 1..n get each fault kind, by name.
func (f Faults) Count(n uint64) map[string]int64 {
	m := map[string]int64{}
	for i := uint64(1); i <= n; i++ {
		if k := f.Pick(i); k != FaultNone {
			m[k.String()]++
		}
	}
	return m
}

// apply writes the response body under fault k.
func (f Faults) apply(k FaultKind, w http.ResponseWriter, r *http.Request, body []byte) {
	switch k {
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, "injected fault: internal error")
	case FaultTooMany:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		writeError(w, http.StatusTooManyRequests, "injected fault: rate limited")
	case FaultReset:
		reset(w)
	case FaultSlowBody:
		d := f.SlowBodyDelay
		if d <= 0 {
			d = 2 * time.Second
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		half := len(body) / 2
		w.Write(body[:half])
		http.NewResponseController(w).Flush()
		t := time.NewTimer(d)
		select {
		case <-t.C:
			w.Write(body[half:])
		case <-r.Context().Done():
			t.Stop()
		}
	case FaultCloseMidBody:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		http.NewResponseController(w).Flush()
		// Aborting the handler closes the connection (HTTP/1.1) or resets
		// the stream (HTTP/2) with the body cut short.
		panic(http.ErrAbortHandler)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}

// reset closes the connection with SO_LINGER 0, so the client reads a TCP
// RST instead of an answer. It closes the TCP connection under the TLS one:
// closing the *tls.Conn would first send a close_notify alert, which the
// client reads as a clean EOF before the RST arrives. HTTP/2 cannot hijack;
// there the stream is reset.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := underlyingTCP(conn); ok {
		tc.SetLinger(0)
		tc.Close()
		return
	}
	conn.Close()
}

func underlyingTCP(c net.Conn) (*net.TCPConn, bool) {
	for {
		switch v := c.(type) {
		case *net.TCPConn:
			return v, true
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil, false
		}
	}
}
