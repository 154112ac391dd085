// Package mockserver is an httptest TLS server that emulates a Piston-style
// execution API (POST /api/v2/execute) and counts, on the server side, what
// the clients under test cost it: accepted connections, TLS handshakes,
// resumed sessions and requests.
//
// Its answers are deterministic: the run output names the request's id and a
// hash of the submitted code (see Output), so a client can prove that a
// response belongs to its request.
package mockserver

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/execution"
)

// Config configures a Server. The zero value serves HTTP/1.1 over TLS 1.3 on
// 127.0.0.1 with no added latency and no faults.
type Config struct {
	// Addr is the listen address. Default "127.0.0.1:0". Only loopback
	// addresses are accepted unless AllowNonLoopback is set.
	Addr string
	// AllowNonLoopback lets Addr name a non-loopback address.
	AllowNonLoopback bool
	// Latency is the service time added to every execute request.
	Latency Latency
	// Faults injects failures into a deterministic share of the requests.
	Faults Faults
	// IdleTimeout closes keep-alive connections idle for longer. 0: never.
	IdleTimeout time.Duration
	// MaxRequestsPerConn closes an HTTP/1.1 connection after it has served
	// that many requests (the last one answers "Connection: close"). 0: no limit.
	MaxRequestsPerConn int
	// HTTP2 offers h2 in ALPN (and http/1.1 as a fallback).
	HTTP2 bool
	// TLSVersion is the highest TLS version offered: tls.VersionTLS12 or
	// tls.VersionTLS13 (the default).
	TLSVersion uint16
	// MaxBodyBytes caps a request body; a larger one is answered 413. Default 1 MiB.
	MaxBodyBytes int64
	// Seed makes latency samples reproducible. Requests are numbered in
	// arrival order; sample n depends only on Seed and n.
	Seed uint64
	// Certificate is the server certificate; nil generates one (NewCertificate).
	Certificate *tls.Certificate
	// CAPEM is the PEM of the CA that signed Certificate; required with it.
	CAPEM []byte
	// RTT, if more than 0, emulates a network round trip of RTT between
	// every client and the server on its listener (see wan.go): a request
	// on a kept-alive connection costs 1 RTT more, a new TLS 1.3
	// connection 2 more, a new TLS 1.2 connection 3 more. At most MaxRTT.
	RTT time.Duration
}

// Stats are the server's own counts, as read by Server.Stats or GET /stats.
type Stats struct {
	// Connections is the number of TCP connections accepted.
	Connections int64 `json:"connections"`
	// TLSHandshakes is the number of TLS handshakes completed: the client
	// accepted the server's certificate and finished the handshake.
	TLSHandshakes int64 `json:"tls_handshakes"`
	// Resumed is the number of those handshakes that resumed a session.
	Resumed int64 `json:"resumed"`
	// Requests is the number of requests to the execute endpoint.
	Requests int64 `json:"requests"`
	// Open is the number of connections open now.
	Open int64 `json:"open_connections"`
	// Faults counts injected faults by kind.
	Faults map[string]int64 `json:"faults,omitempty"`
}

// Server is a running mock of the execution API.
type Server struct {
	// URL is the base URL, e.g. https://127.0.0.1:40123.
	URL string
	// CAPEM is the PEM-encoded CA certificate that clients must trust.
	CAPEM []byte

	cfg    Config
	hs     *httptest.Server
	caPool *x509.CertPool
	wan    *wanListener // nil without Config.RTT

	connections atomic.Int64
	handshakes  atomic.Int64
	resumed     atomic.Int64
	requests    atomic.Int64
	open        atomic.Int64
	faults      [numFaultKinds]atomic.Int64
	// counted holds the open connections whose handshake is counted
	// (net.Conn → struct{}), so each is counted once.
	counted sync.Map

	closeOnce sync.Once
}

type connKey struct{}

// connInfo is per-connection state, reached from a request through its context.
type connInfo struct {
	served atomic.Int64 // requests served on this connection
}

// NewServer starts and returns a Server for cfg.
func NewServer(cfg Config) (*Server, error) {
	s, err := NewUnstartedServer(cfg)
	if err != nil {
		return nil, err
	}
	s.Start()
	return s, nil
}

// NewUnstartedServer returns a Server for cfg, listening but not serving,
// so a caller can adjust it (e.g. wrap its listener) before Start.
func NewUnstartedServer(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.TLSVersion == 0 {
		cfg.TLSVersion = tls.VersionTLS13
	}
	s := &Server{cfg: cfg}
	if cfg.Certificate == nil {
		cert, caPEM, err := NewCertificate()
		if err != nil {
			return nil, err
		}
		cfg.Certificate, cfg.CAPEM = &cert, caPEM
	}
	s.CAPEM = cfg.CAPEM
	s.caPool = x509.NewCertPool()
	if !s.caPool.AppendCertsFromPEM(cfg.CAPEM) {
		return nil, errors.New("mockserver: CAPEM holds no certificate")
	}

	hs := httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	if cfg.Addr != "" {
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("mockserver: listen on %s: %w", cfg.Addr, err)
		}
		hs.Listener.Close()
		hs.Listener = ln
	}
	if cfg.RTT > 0 {
		s.wan = newWANListener(hs.Listener, cfg.RTT)
		hs.Listener = s.wan
	}
	hs.EnableHTTP2 = cfg.HTTP2
	protos := []string{"http/1.1"}
	if cfg.HTTP2 {
		protos = []string{"h2", "http/1.1"}
	}
	hs.TLS = &tls.Config{
		Certificates: []tls.Certificate{*cfg.Certificate},
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   cfg.TLSVersion,
		NextProtos:   protos,
	}
	hs.Config.IdleTimeout = cfg.IdleTimeout
	hs.Config.ReadHeaderTimeout = 30 * time.Second
	hs.Config.ErrorLog = discardLog
	hs.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, &connInfo{})
	}
	hs.Config.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.connections.Add(1)
			s.open.Add(1)
		case http.StateActive:
			s.countHandshake(c, false)
		case http.StateClosed, http.StateHijacked:
			s.countHandshake(c, true)
			s.open.Add(-1)
		}
	}
	s.hs = hs
	return s, nil
}

// countHandshake counts c's TLS handshake once, when the connection first
// carries a request or, for one that never does (a pool's spare dial),
// when it ends. Only a completed handshake counts: the server has read the
// client's Finished, so the client accepted the certificate. (A
// VerifyConnection hook would also count handshakes the client rejected:
// in TLS 1.3 the server calls it before the client has answered.)
func (s *Server) countHandshake(c net.Conn, last bool) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return
	}
	_, seen := s.counted.LoadOrStore(c, struct{}{})
	if last {
		s.counted.Delete(c)
	}
	if seen {
		return
	}
	if cs := tc.ConnectionState(); cs.HandshakeComplete {
		s.handshakes.Add(1)
		if cs.DidResume {
			s.resumed.Add(1)
		}
	}
}

func (c *Config) validate() error {
	if c.Addr != "" && !c.AllowNonLoopback {
		host, _, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return fmt.Errorf("mockserver: address %q: %w", c.Addr, err)
		}
		if host != "localhost" {
			ip := net.ParseIP(host)
			if ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("mockserver: address %q is not loopback (127.0.0.0/8, ::1, localhost)", c.Addr)
			}
		}
	}
	if c.TLSVersion != 0 && c.TLSVersion != tls.VersionTLS12 && c.TLSVersion != tls.VersionTLS13 {
		return fmt.Errorf("mockserver: TLS version %#x: want TLS 1.2 or 1.3", c.TLSVersion)
	}
	if c.RTT < 0 || c.RTT > MaxRTT {
		return fmt.Errorf("mockserver: round-trip time %v: want 0..%v", c.RTT, MaxRTT)
	}
	if c.MaxRequestsPerConn < 0 || c.IdleTimeout < 0 {
		return errors.New("mockserver: negative keep-alive limit")
	}
	if c.Certificate != nil && len(c.CAPEM) == 0 {
		return errors.New("mockserver: Certificate given without CAPEM")
	}
	if err := c.Latency.validate(); err != nil {
		return err
	}
	return c.Faults.validate()
}

// Listener returns the server's listener, to be wrapped before Start.
func (s *Server) Listener() net.Listener { return s.hs.Listener }

// SetListener replaces the listener (e.g. with a delaying one); only before Start.
func (s *Server) SetListener(ln net.Listener) { s.hs.Listener = ln }

// Start starts serving TLS.
func (s *Server) Start() {
	s.hs.StartTLS()
	s.URL = s.hs.URL
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.hs.Listener.Addr().String() }

// Close shuts the server down and closes every connection. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(s.hs.Close)
}

// CloseClientConnections closes every open connection, idle or not.
func (s *Server) CloseClientConnections() { s.hs.CloseClientConnections() }

// ClientTLSConfig returns a TLS config that trusts the server's CA and
// verifies its certificate.
func (s *Server) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.caPool, MinVersion: tls.VersionTLS12}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Connections:   s.connections.Load(),
		TLSHandshakes: s.handshakes.Load(),
		Resumed:       s.resumed.Load(),
		Requests:      s.requests.Load(),
		Open:          s.open.Load(),
	}
	for k := range s.faults {
		if n := s.faults[k].Load(); n > 0 {
			if st.Faults == nil {
				st.Faults = map[string]int64{}
			}
			st.Faults[FaultKind(k).String()] = n
		}
	}
	return st
}

// ResetStats zeroes the counters (open connections stay counted) and the
// request numbering, so a new run sees the same fault and latency sequence.
func (s *Server) ResetStats() {
	s.connections.Store(0)
	s.handshakes.Store(0)
	s.resumed.Store(0)
	s.requests.Store(0)
	for k := range s.faults {
		s.faults[k].Store(0)
	}
}

// Output is the run output the mock answers for a request with id and the
// given files, stdin and args: it names the id and a hash of the code, so
// the response provably belongs to its request.
func Output(req execution.Request) string {
	return "id=" + req.ID + " sha256=" + CodeHash(req) + "\n"
}

// CodeHash is the part of Output that depends on the code, stdin and args
// (not the id): the first 8 bytes of a SHA-256, in hex. A checker that sends
// the same program many times computes it once.
func CodeHash(req execution.Request) string {
	h := sha256.New()
	for _, f := range req.Files {
		io.WriteString(h, f.Name)
		h.Write([]byte{0})
		io.WriteString(h, f.Content)
		h.Write([]byte{0})
	}
	io.WriteString(h, req.Stdin)
	for _, a := range req.Args {
		h.Write([]byte{0})
		io.WriteString(h, a)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// MatchesOutput reports whether stdout is Output(req) for a request with
// this id whose code hashes to codeHash, without building the string.
func MatchesOutput(stdout, id, codeHash string) bool {
	const pre, mid = "id=", " sha256="
	if len(stdout) != len(pre)+len(id)+len(mid)+len(codeHash)+1 {
		return false
	}
	rest, ok := strings.CutPrefix(stdout, pre)
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, id)
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, mid)
	// The length check above makes both slices safe.
	return ok && rest[:len(codeHash)] == codeHash && rest[len(codeHash):] == "\n"
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case execution.ExecutePath:
		s.serveExecute(w, r)
	case "/api/v2/runtimes":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, http.MethodGet)
			return
		}
		writeJSON(w, http.StatusOK, []map[string]any{{"language": "python", "version": "3.12.0", "aliases": []string{"py"}}})
	case "/stats":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, http.MethodGet)
			return
		}
		writeJSON(w, http.StatusOK, s.Stats())
	case "/stats/reset":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodPost)
			return
		}
		s.ResetStats()
		writeJSON(w, http.StatusOK, s.Stats())
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	}
}

func (s *Server) serveExecute(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	n := uint64(s.requests.Add(1))
	if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok && s.cfg.MaxRequestsPerConn > 0 && r.ProtoMajor == 1 {
		if ci.served.Add(1) >= int64(s.cfg.MaxRequestsPerConn) {
			w.Header().Set("Connection", "close")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	var req execution.Request
	if err := decodeStrict(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	req.ID = r.Header.Get(execution.RequestIDHeader)

	fault := s.cfg.Faults.Pick(n)
	if fault != FaultNone {
		s.faults[fault].Add(1)
	}
	if d := s.cfg.Latency.Sample(s.cfg.Seed, n); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client gave up. Abort rather than return: a handler
			// that returns without writing answers 200 with an empty
			// body, which a client still reading would take as an answer.
			t.Stop()
			panic(http.ErrAbortHandler)
		}
	}
	if req.ID != "" {
		w.Header().Set(execution.RequestIDHeader, req.ID)
	}
	out := Output(req)
	zero := 0
	resp, _ := json.Marshal(execution.Result{
		Language: req.Language,
		Version:  req.Version,
		Run:      execution.Stage{Stdout: out, Code: &zero, Output: out},
	})
	s.cfg.Faults.apply(fault, w, r, resp)
}

// decodeStrict decodes one JSON object with no unknown fields and checks the
// fields Piston requires.
func decodeStrict(body []byte, req *execution.Request) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	if dec.More() {
		return errors.New("invalid JSON body: data after the object")
	}
	if err := exactFieldNames(body); err != nil {
		return err
	}
	var missing []string
	if req.Language == "" {
		missing = append(missing, "language")
	}
	if req.Version == "" {
		missing = append(missing, "version")
	}
	if len(req.Files) == 0 {
		missing = append(missing, "files")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing required field(s): %s", strings.Join(missing, ", "))
	}
	for i, f := range req.Files {
		if f.Content == "" {
			return fmt.Errorf("files[%d].content is empty", i)
		}
	}
	return nil
}

// exactFieldNames refuses field names that encoding/json matched without
// regard to case ("Language", "Content"): Piston's names are
// case-sensitive, and a mock more lenient than the API would hide a
// client's bug. body is known to be one valid JSON object.
func exactFieldNames(body []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	check := func(where string, obj map[string]json.RawMessage, names ...string) error {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !slices.Contains(names, k) {
				return fmt.Errorf("invalid JSON body: unknown field %q%s (field names are case-sensitive)", k, where)
			}
		}
		return nil
	}
	if err := check("", top, "language", "version", "files", "stdin", "args"); err != nil {
		return err
	}
	var files []map[string]json.RawMessage
	if raw, ok := top["files"]; ok && json.Unmarshal(raw, &files) == nil {
		for i, f := range files {
			if err := check(fmt.Sprintf(" in files[%d]", i), f, "name", "content"); err != nil {
				return err
			}
		}
	}
	return nil
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed; use "+allow)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// Latency is the service-time model of the mock.
type Latency struct {
	// Model is "fixed" (the default when Fixed > 0), "uniform" or "lognormal".
	Model string `json:"model,omitempty"`
	// Fixed is the service time of the fixed model.
	Fixed time.Duration `json:"fixed,omitempty"`
	// Min and Max bound the uniform model.
	Min time.Duration `json:"min,omitempty"`
	Max time.Duration `json:"max,omitempty"`
	// Median and Sigma shape the lognormal model: exp(N(ln Median, Sigma)).
	Median time.Duration `json:"median,omitempty"`
	Sigma  float64       `json:"sigma,omitempty"`
}

func (l Latency) validate() error {
	switch l.Model {
	case "", "fixed":
		if l.Fixed < 0 {
			return errors.New("mockserver: negative fixed latency")
		}
	case "uniform":
		if l.Min < 0 || l.Max < l.Min {
			return fmt.Errorf("mockserver: uniform latency wants 0 <= min <= max, got %v..%v", l.Min, l.Max)
		}
	case "lognormal":
		if l.Median <= 0 || l.Sigma < 0 {
			return fmt.Errorf("mockserver: lognormal latency wants median > 0 and sigma >= 0, got %v, %v", l.Median, l.Sigma)
		}
	default:
		return fmt.Errorf("mockserver: unknown latency model %q (known: fixed, uniform, lognormal)", l.Model)
	}
	return nil
}

// Sample returns the service time of request n (1-based) under seed.
func (l Latency) Sample(seed, n uint64) time.Duration {
	switch l.Model {
	case "uniform":
		if l.Max == l.Min {
			return l.Min
		}
		r := rand.New(rand.NewPCG(seed, n))
		return l.Min + time.Duration(r.Int64N(int64(l.Max-l.Min)+1))
	case "lognormal":
		r := rand.New(rand.NewPCG(seed, n))
		return time.Duration(float64(l.Median) * math.Exp(l.Sigma*r.NormFloat64()))
	default:
		return l.Fixed
	}
}
