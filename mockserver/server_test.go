package mockserver

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
)

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func client(s *Server) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: s.ClientTLSConfig()}, Timeout: 10 * time.Second}
}

// drain reads a body to its end and closes it, so the connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	s := start(t, Config{MaxBodyBytes: 256})
	c := client(s)
	defer c.CloseIdleConnections()
	for _, tc := range []struct {
		name, method, path, body string
		wantCode                 int
		wantMsg                  string
		wantAllow                string
	}{
		{"bad json", "POST", execution.ExecutePath, `{"language":`, 400, "invalid JSON body: unexpected EOF", ""},
		{"unknown field", "POST", execution.ExecutePath, `{"lang":"py"}`, 400, `invalid JSON body: json: unknown field "lang"`, ""},
		{"missing fields", "POST", execution.ExecutePath, `{"language":"python"}`, 400, "missing required field(s): version, files", ""},
		{"empty file", "POST", execution.ExecutePath, `{"language":"python","version":"3","files":[{"content":""}]}`, 400, "files[0].content is empty", ""},
		{"trailing data", "POST", execution.ExecutePath, `{"language":"python","version":"3","files":[{"content":"x"}]} {}`, 400, "invalid JSON body: data after the object", ""},
		{"too large", "POST", execution.ExecutePath, `{"language":"` + strings.Repeat("x", 300) + `"}`, 413, "request body larger than 256 bytes", ""},
		{"wrong method", "GET", execution.ExecutePath, "", 405, "method not allowed; use POST", "POST"},
		{"unknown path", "GET", "/api/v1/execute", "", 404, "no such endpoint: /api/v1/execute", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer drain(resp)
			if got := resp.StatusCode; got != tc.wantCode {
				t.Errorf("status = %d, want %d", got, tc.wantCode)
			}
			var body struct{ Message string }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("error body is not JSON: %v", err)
			}
			if body.Message != tc.wantMsg {
				t.Errorf("message = %q, want %q", body.Message, tc.wantMsg)
			}
			if got := resp.Header.Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
		})
	}
}

func TestAnswerProvesItsRequest(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	c := client(s)
	defer c.CloseIdleConnections()
	body := `{"language":"python","version":"3.12.0","files":[{"name":"a.py","content":"print(2)"}],"stdin":"in","args":["x"]}`
	req, _ := http.NewRequest("POST", s.URL+execution.ExecutePath, strings.NewReader(body))
	req.Header.Set(execution.RequestIDHeader, "req-42")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer drain(resp)
	var res execution.Result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	want := Output(execution.Request{ID: "req-42", Files: []execution.File{{Name: "a.py", Content: "print(2)"}}, Stdin: "in", Args: []string{"x"}})
	if res.Run.Stdout != want || res.Run.Output != want {
		t.Errorf("stdout %q, output %q, want %q", res.Run.Stdout, res.Run.Output, want)
	}
	if !strings.HasPrefix(want, "id=req-42 sha256=") {
		t.Errorf("Output = %q, want it to name the id", want)
	}
	if got := resp.Header.Get(execution.RequestIDHeader); got != "req-42" {
		t.Errorf("X-Request-Id = %q", got)
	}
	if res.Language != "python" || res.Version != "3.12.0" || res.Run.Code == nil || *res.Run.Code != 0 {
		t.Errorf("result = %+v", res)
	}
	// A different program gives a different hash: the answer is bound to the code.
	other := Output(execution.Request{ID: "req-42", Files: []execution.File{{Name: "a.py", Content: "print(3)"}}, Stdin: "in", Args: []string{"x"}})
	if other == want {
		t.Error("Output does not depend on the code")
	}
}

func TestCountsAndStatsEndpoint(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	post := func(c *http.Client) {
		t.Helper()
		resp, err := c.Post(s.URL+execution.ExecutePath, "application/json",
			strings.NewReader(`{"language":"python","version":"3","files":[{"content":"x"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Three requests on one kept-alive connection, then one on a new client.
	c1 := client(s)
	for i := 0; i < 3; i++ {
		post(c1)
	}
	c1.CloseIdleConnections()
	c2 := client(s)
	post(c2)
	c2.CloseIdleConnections()

	st := s.Stats()
	if st.Connections != 2 || st.TLSHandshakes != 2 || st.Requests != 4 || st.Resumed != 0 {
		t.Errorf("stats = %+v, want 2 connections, 2 handshakes, 4 requests, 0 resumed", st)
	}
	// GET /stats is served but not counted as an execute request.
	c3 := client(s)
	defer c3.CloseIdleConnections()
	resp, err := c3.Get(s.URL + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	var over Stats
	json.NewDecoder(resp.Body).Decode(&over)
	drain(resp)
	if over.Requests != 4 || over.Connections != 3 {
		t.Errorf("GET /stats = %+v, want 4 requests over 3 connections", over)
	}
	resp, err = c3.Post(s.URL+"/stats/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if st := s.Stats(); st.Requests != 0 || st.Connections != 0 || st.TLSHandshakes != 0 {
		t.Errorf("after reset: %+v", st)
	}
}

func TestSessionResumptionCounted(t *testing.T) {
	t.Parallel()
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		s := start(t, Config{TLSVersion: v})
		cfg := s.ClientTLSConfig()
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		for i := 0; i < 3; i++ {
			// A new client per connection on purpose: the point is resumption.
			//poolbench:ignore newtransport each iteration must dial and resume a session
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
			resp, err := c.Get(s.URL + "/stats")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if got := resp.TLS.Version; got != v {
				t.Errorf("negotiated %#x, want %#x", got, v)
			}
			c.CloseIdleConnections()
		}
		if st := s.Stats(); st.TLSHandshakes != 3 || st.Resumed != 2 {
			t.Errorf("TLS %#x: stats = %+v, want 3 handshakes, 2 resumed", v, st)
		}
	}
}

func TestMaxRequestsPerConn(t *testing.T) {
	t.Parallel()
	s := start(t, Config{MaxRequestsPerConn: 3})
	c := client(s)
	defer c.CloseIdleConnections()
	for i := 0; i < 10; i++ {
		resp, err := c.Post(s.URL+execution.ExecutePath, "application/json",
			bytes.NewReader([]byte(`{"language":"python","version":"3","files":[{"content":"x"}]}`)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Sequential requests: a new connection every 3, so ceil(10/3) = 4.
	if got, want := s.Stats().Connections, int64(4); got != want {
		t.Errorf("connections = %d, want %d", got, want)
	}
}

func TestFaultsAreExactAndCounted(t *testing.T) {
	t.Parallel()
	f := Faults{ServerError: 0.1, TooMany: 0.05, Reset: 0.05, CloseMidBody: 0.05}
	got := f.Count(1000)
	want := map[string]int64{"server_error": 100, "too_many_requests": 50, "reset": 50, "close_mid_body": 50}
	for k, v := range want {
		if d := got[k] - v; d < -2 || d > 2 {
			t.Errorf("%s: %d of 1000, want %d ± 2", k, got[k], v)
		}
	}
	// The same N always gives the same counts.
	again := f.Count(1000)
	for k := range got {
		if got[k] != again[k] {
			t.Errorf("%s: %d then %d", k, got[k], again[k])
		}
	}

	s := start(t, Config{Faults: f})
	c := client(s)
	defer c.CloseIdleConnections()
	codes := map[int]int64{}
	var transportErrs int64
	const n = 200
	for i := 0; i < n; i++ {
		resp, err := c.Post(s.URL+execution.ExecutePath, "application/json",
			strings.NewReader(`{"language":"python","version":"3","files":[{"content":"x"}]}`))
		if err != nil {
			transportErrs++
			continue
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			transportErrs++
			continue
		}
		codes[resp.StatusCode]++
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("429 Retry-After = %q, want 1", resp.Header.Get("Retry-After"))
		}
	}
	wantN := f.Count(n)
	if codes[500] != wantN["server_error"] || codes[429] != wantN["too_many_requests"] {
		t.Errorf("codes = %v, want %d×500 and %d×429", codes, wantN["server_error"], wantN["too_many_requests"])
	}
	if got, want := transportErrs, wantN["reset"]+wantN["close_mid_body"]; got != want {
		t.Errorf("transport errors = %d, want %d (resets + closes)", got, want)
	}
	st := s.Stats()
	for k, v := range wantN {
		if st.Faults[k] != v {
			t.Errorf("server fault count %s = %d, want %d", k, st.Faults[k], v)
		}
	}
}

func TestLatencyModels(t *testing.T) {
	t.Parallel()
	if got := (Latency{Fixed: 5 * time.Millisecond}).Sample(1, 7); got != 5*time.Millisecond {
		t.Errorf("fixed = %v", got)
	}
	u := Latency{Model: "uniform", Min: time.Millisecond, Max: 3 * time.Millisecond}
	for n := uint64(1); n < 500; n++ {
		if d := u.Sample(9, n); d < u.Min || d > u.Max {
			t.Fatalf("uniform sample %d = %v out of range", n, d)
		}
		if u.Sample(9, n) != u.Sample(9, n) {
			t.Fatalf("uniform sample %d not reproducible", n)
		}
	}
	l := Latency{Model: "lognormal", Median: 10 * time.Millisecond, Sigma: 0.5}
	below := 0
	for n := uint64(1); n <= 1000; n++ {
		if l.Sample(3, n) < l.Median {
			below++
		}
	}
	if below < 450 || below > 550 {
		t.Errorf("lognormal: %d of 1000 below the median, want about 500", below)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Addr: "10.1.2.3:0"},
		{Addr: "0.0.0.0:0"},
		{Addr: "nonsense"},
		{TLSVersion: tls.VersionTLS10},
		{MaxRequestsPerConn: -1},
		{Latency: Latency{Model: "gamma"}},
		{Latency: Latency{Model: "uniform", Min: 2, Max: 1}},
		{Faults: Faults{ServerError: 0.7, Reset: 0.5}},
		{Faults: Faults{Reset: -0.1}},
	} {
		if _, err := NewUnstartedServer(cfg); err == nil {
			t.Errorf("NewUnstartedServer(%+v) = nil error, want one", cfg)
		}
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	s.Close()
	s.Close()
	resp, err := client(s).Get(s.URL + "/stats")
	if err == nil {
		drain(resp)
		t.Error("server still answers after Close")
	}
}
