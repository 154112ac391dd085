// Package execution is the service under test: a Go client of a Piston-style
// code-execution API (POST {base}/api/v2/execute), built with one of several
// client strategies whose only difference is how HTTP clients and their
// connection pools are created and shared.
package execution

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ExecutePath is the API path of the execute endpoint.
const ExecutePath = "/api/v2/execute"

// RequestIDHeader carries a request's id; a mock that echoes it lets the
// caller prove that a response belongs to its request.
const RequestIDHeader = "X-Request-Id"

// File is one source file of a Request.
type File struct {
	Name    string `json:"name,omitempty"`
	Content string `json:"content"`
}

// Request is the body of POST /api/v2/execute.
type Request struct {
	// ID, when set, is sent in the X-Request-Id header (not in the body).
	ID       string   `json:"-"`
	Language string   `json:"language"`
	Version  string   `json:"version"`
	Files    []File   `json:"files"`
	Stdin    string   `json:"stdin,omitempty"`
	Args     []string `json:"args,omitempty"`
}

// Stage is the outcome of one stage (compile or run) of an execution.
type Stage struct {
	Stdout string  `json:"stdout"`
	Stderr string  `json:"stderr"`
	Code   *int    `json:"code"`
	Signal *string `json:"signal"`
	Output string  `json:"output"`
}

// Result is the response body of a successful execute call.
type Result struct {
	Language string `json:"language"`
	Version  string `json:"version"`
	Run      Stage  `json:"run"`
	// RequestID is the X-Request-Id header the server answered with.
	RequestID string `json:"-"`
}

// StatusError is returned when the API answers with a non-2xx status.
type StatusError struct {
	Code       int
	RetryAfter string // the Retry-After header, if any
	Message    string // the "message" field of a JSON error body, if any
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("execute: HTTP %d", e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter != "" {
		s += " (retry after " + e.RetryAfter + ")"
	}
	return s
}

// ErrBodyTooLarge is returned when a response body exceeds Options.MaxResponseBytes.
var ErrBodyTooLarge = errors.New("execute: response body too large")

// ErrRequestTooLarge is returned when an encoded request exceeds Options.MaxRequestBytes.
var ErrRequestTooLarge = errors.New("execute: request body too large")

// ErrClosed is returned by Execute after Close.
var ErrClosed = errors.New("execute: service closed")

// Strategy names how a Service creates and shares its HTTP clients.
type Strategy string

// The client strategies. PerRequest and Singleton are the two sides of the
// refactor poolbench measures; the others show how reuse is lost or half-kept.
const (
	// PerRequest builds a new http.Client with a new http.Transport for every
	// call and closes its idle connections afterwards: every call pays a TCP
	// and a TLS handshake.
	PerRequest Strategy = "per-request"
	// Singleton shares one client for the service's life, its pool sized for
	// the concurrency, released by Close.
	Singleton Strategy = "singleton"
	// SingletonDefaultPool shares one client left on Go's default
	// MaxIdleConnsPerHost (2): under concurrency above 2 it churns
	// connections.
	SingletonDefaultPool Strategy = "singleton-default-pool"
	// PerRequestLeaky builds a new client per call and never closes it: the
	// idle connection of every call stays open until Close.
	PerRequestLeaky Strategy = "per-request-leaky"
	// PerRequestResume builds a new client per call that shares one TLS
	// session cache: a new TCP connection every time, but resumed TLS.
	PerRequestResume Strategy = "per-request-resume"
)

// Strategies lists every strategy, in the order they are documented.
var Strategies = []Strategy{PerRequest, Singleton, SingletonDefaultPool, PerRequestLeaky, PerRequestResume}

// ParseStrategy returns the Strategy named s, or an error naming the known ones.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range Strategies {
		if string(st) == s {
			return st, nil
		}
	}
	names := make([]string, len(Strategies))
	for i, st := range Strategies {
		names[i] = string(st)
	}
	return "", fmt.Errorf("unknown client mode %q (known: %s)", s, strings.Join(names, ", "))
}

// Options configures a Service. The zero value is not usable: BaseURL is
// required. Fields left zero take the values of DefaultOptions.
type Options struct {
	// BaseURL is the API's scheme, host and port, e.g. https://127.0.0.1:8443.
	BaseURL string
	// Strategy selects how clients are built and shared. Default Singleton.
	Strategy Strategy
	// TLSConfig is cloned into every Transport. Set RootCAs to trust a
	// server's CA; InsecureSkipVerify is honoured but never defaulted.
	TLSConfig *tls.Config
	// PoolSize is MaxIdleConnsPerHost (and MaxIdleConns) of the singleton
	// strategies' pool; set it to the concurrency. SingletonDefaultPool
	// ignores it on purpose. Default 8.
	PoolSize int
	// Timeout bounds one call, from dial to the end of the body. Default 30s.
	Timeout time.Duration
	// HTTP2 lets the Transport negotiate HTTP/2 over TLS. Default false:
	// HTTP/1.1 only, one request per connection at a time.
	HTTP2 bool
	// DisableKeepAlives closes every connection after one request.
	DisableKeepAlives bool
	// MaxRequestBytes caps the encoded request body. Default 1 MiB.
	MaxRequestBytes int64
	// MaxResponseBytes caps the response body read. Default 4 MiB.
	MaxResponseBytes int64
	// NewTransport builds a Transport from the options' template. Tests
	// inject it to count constructions; nil means return the template.
	NewTransport func(template *http.Transport) http.RoundTripper
}

// DefaultOptions holds the defaults that zero Options fields take.
var DefaultOptions = Options{
	Strategy:         Singleton,
	PoolSize:         8,
	Timeout:          30 * time.Second,
	MaxRequestBytes:  1 << 20,
	MaxResponseBytes: 4 << 20,
}

// Service is a client of the execution API. It is safe for concurrent use.
type Service struct {
	opts     Options
	endpoint string
	sessions tls.ClientSessionCache // shared by PerRequestResume clients

	// shared is the one client of the singleton strategies, built in New so
	// that the per-call path takes no lock.
	shared  *http.Client
	closed  atomic.Bool
	clients atomic.Int64 // clients built

	// body is the last request encoded, kept so that a caller sending
	// the same program over and over encodes it once (see encode).
	body atomic.Pointer[encoded]

	mu     sync.Mutex // guards leaked and failed
	leaked []*http.Client
	// failed holds the per-request clients whose call failed: over
	// HTTP/2 a cancelled stream keeps its connection busy for a moment
	// after the call returns (until the server acknowledges the reset), so
	// the call's own CloseIdleConnections misses it and nothing else would
	// ever close it. CloseIdleConnections and Close close them.
	failed []*http.Client
}

// New returns a Service for opts. It builds no connection until the first call.
func New(opts Options) (*Service, error) {
	if opts.BaseURL == "" {
		return nil, errors.New("execution: BaseURL is required")
	}
	if !strings.HasPrefix(opts.BaseURL, "http://") && !strings.HasPrefix(opts.BaseURL, "https://") {
		return nil, fmt.Errorf("execution: BaseURL %q: want an http:// or https:// URL", opts.BaseURL)
	}
	if opts.Strategy == "" {
		opts.Strategy = DefaultOptions.Strategy
	}
	if _, err := ParseStrategy(string(opts.Strategy)); err != nil {
		return nil, fmt.Errorf("execution: %w", err)
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = DefaultOptions.PoolSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultOptions.Timeout
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultOptions.MaxRequestBytes
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultOptions.MaxResponseBytes
	}
	s := &Service{opts: opts, endpoint: strings.TrimSuffix(opts.BaseURL, "/") + ExecutePath}
	switch opts.Strategy {
	case PerRequestResume:
		s.sessions = tls.NewLRUClientSessionCache(64)
	case Singleton, SingletonDefaultPool:
		s.shared = s.newClient()
	}
	return s, nil
}

// Strategy returns the service's client strategy.
func (s *Service) Strategy() Strategy { return s.opts.Strategy }

// ClientsBuilt returns how many http.Clients the service has built so far:
// the refactor's "5 calls, 5 instantiations" against "5 calls, 1".
func (s *Service) ClientsBuilt() int64 { return s.clients.Load() }

// newClient builds one client with its own Transport. All options apply to
// the template before the factory sees it, so their order never matters.
func (s *Service) newClient() *http.Client {
	t := &http.Transport{
		Proxy:                 nil, // load only ever targets the given address
		TLSClientConfig:       s.tlsConfig(),
		ForceAttemptHTTP2:     s.opts.HTTP2,
		DisableKeepAlives:     s.opts.DisableKeepAlives,
		TLSHandshakeTimeout:   s.opts.Timeout,
		ResponseHeaderTimeout: s.opts.Timeout,
		IdleConnTimeout:       90 * time.Second,
	}
	if !s.opts.HTTP2 {
		// A non-nil empty map turns HTTP/2 off even where net/http would
		// otherwise negotiate it.
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	switch s.opts.Strategy {
	case Singleton:
		// Sized for the concurrency: at most PoolSize connections, all of
		// them kept idle between calls. MaxConnsPerHost also stops the
		// pool from dialing more while its own dials are under way.
		t.MaxIdleConns = s.opts.PoolSize
		t.MaxIdleConnsPerHost = s.opts.PoolSize
		t.MaxConnsPerHost = s.opts.PoolSize
		if s.opts.HTTP2 {
			// One connection carries every request over HTTP/2. For h2,
			// MaxConnsPerHost only limits the dials under way at once:
			// with PoolSize, C concurrent first requests each dial and
			// handshake a connection of which the h2 pool keeps one and
			// closes the rest (measured: 3 to 8 dials at C = 8). With 1,
			// the first dial's connection is shared by all waiting
			// requests. The price: a server that refuses h2 gets one
			// HTTP/1.1 connection.
			t.MaxConnsPerHost = 1
		}
	case SingletonDefaultPool:
		// Go's defaults, on purpose: MaxIdleConns 100, MaxIdleConnsPerHost 2.
		t.MaxIdleConns = 100
	}
	var rt http.RoundTripper = t
	if s.opts.NewTransport != nil {
		rt = s.opts.NewTransport(t)
	}
	s.clients.Add(1)
	return &http.Client{Transport: rt, Timeout: s.opts.Timeout}
}

func (s *Service) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.opts.TLSConfig != nil {
		c = s.opts.TLSConfig.Clone()
	} else {
		c = &tls.Config{}
	}
	if s.sessions != nil {
		c.ClientSessionCache = s.sessions
	}
	if !s.opts.HTTP2 {
		c.NextProtos = []string{"http/1.1"}
	}
	return c
}

// client returns the client for one call and a release func to run after it.
func (s *Service) client() (*http.Client, func(), error) {
	if s.closed.Load() {
		return nil, nil, ErrClosed
	}
	switch s.opts.Strategy {
	case Singleton, SingletonDefaultPool:
		return s.shared, noop, nil
	case PerRequestLeaky:
		c := s.newClient()
		s.mu.Lock()
		s.leaked = append(s.leaked, c)
		s.mu.Unlock()
		return c, noop, nil
	default: // PerRequest, PerRequestResume
		c := s.newClient()
		return c, c.CloseIdleConnections, nil
	}
}

func noop() {}

// Execute sends req and decodes the result. A non-2xx answer is a
// *StatusError. The response body is always read to its end (up to
// MaxResponseBytes) so the connection can go back to the pool.
func (s *Service) Execute(ctx context.Context, req Request) (_ Result, err error) {
	body, err := s.encode(req)
	if err != nil {
		return Result{}, err
	}
	//poolbench:ignore newtransport the per-request strategies build a client per call on purpose: they are the baseline poolbench measures
	c, release, err := s.client()
	if err != nil {
		return Result{}, err
	}
	defer func() {
		release()
		if err != nil && (s.opts.Strategy == PerRequest || s.opts.Strategy == PerRequestResume) {
			s.mu.Lock()
			s.failed = append(s.failed, c)
			s.mu.Unlock()
		}
	}()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("execute: build request: %w", err)
	}
	// The keys are canonical already and the value slices are shared:
	// net/http only reads a request's header values, and Set or Add
	// would replace a slice, never write into it.
	hreq.Header["Content-Type"] = jsonType
	hreq.Header["Accept"] = jsonType
	if req.ID != "" {
		hreq.Header[RequestIDHeader] = []string{req.ID}
	}
	resp, err := c.Do(hreq)
	if err != nil {
		return Result{}, fmt.Errorf("execute: %w", err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp, s.opts.MaxResponseBytes)
	if err != nil {
		return Result{}, fmt.Errorf("execute: read body: %w", err)
	}
	if int64(len(data)) > s.opts.MaxResponseBytes {
		return Result{}, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, s.opts.MaxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Code: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
		var eb struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &eb) == nil {
			se.Message = eb.Message
		}
		return Result{}, se
	}
	var res Result
	if err := decodeResult(data, &res); err != nil {
		return Result{}, fmt.Errorf("execute: decode response: %w", err)
	}
	res.RequestID = resp.Header.Get(RequestIDHeader)
	return res, nil
}

var jsonType = []string{"application/json"}

// encoded is one request's fields and its JSON body.
type encoded struct {
	language, version, stdin string
	files                    []File
	args                     []string
	body                     []byte
}

// encode returns the JSON body of req. The last body encoded is kept, and
// reused while the requests that follow carry the same fields (the ID is
// not in the body): a load of one program costs one encoding, and
// comparing a few strings is cheaper than encoding them again. Bodies are
// only ever read, so callers share them.
func (s *Service) encode(req Request) ([]byte, error) {
	// Files is encoded null when nil and [] when empty; Args and Stdin
	// are omitted when empty, nil or not.
	if e := s.body.Load(); e != nil && e.language == req.Language && e.version == req.Version &&
		e.stdin == req.Stdin && (e.files == nil) == (req.Files == nil) &&
		slices.Equal(e.files, req.Files) && slices.Equal(e.args, req.Args) {
		return e.body, nil
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("execute: encode request: %w", err)
	}
	if int64(len(body)) > s.opts.MaxRequestBytes {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrRequestTooLarge, len(body), s.opts.MaxRequestBytes)
	}
	s.body.Store(&encoded{
		language: req.Language, version: req.Version, stdin: req.Stdin,
		files: slices.Clone(req.Files), args: slices.Clone(req.Args), body: body,
	})
	return body, nil
}

// readBody reads resp's body to its end, but no more than max+1 bytes
// (the caller refuses a body longer than max), into one buffer sized by
// Content-Length when it is known.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	size := int64(512)
	if cl := resp.ContentLength; cl >= 0 && cl <= max {
		size = cl + 1 // room to read the end of the body without growing
	}
	r := io.LimitReader(resp.Body, max+1)
	data := make([]byte, 0, size)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	return data, nil
}

// Leaked returns how many clients PerRequestLeaky has left open so far.
func (s *Service) Leaked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.leaked)
}

// Close releases every pooled connection the service holds. It is
// idempotent; Execute fails with ErrClosed afterwards.
func (s *Service) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// The leaked and failed clients stay listed: a connection still busy
	// now (an HTTP/2 stream being reset) is closed by a later
	// CloseIdleConnections.
	s.CloseIdleConnections()
	return nil
}

// CloseIdleConnections closes the idle connections of every client the
// service holds, without closing the service.
func (s *Service) CloseIdleConnections() {
	if s.shared != nil {
		s.shared.CloseIdleConnections()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.leaked {
		c.CloseIdleConnections()
	}
	for _, c := range s.failed {
		c.CloseIdleConnections()
	}
}

// ParseRetryAfter returns the delay of a Retry-After value given in seconds,
// and false when it is empty or not a number of seconds.
func ParseRetryAfter(v string) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}
