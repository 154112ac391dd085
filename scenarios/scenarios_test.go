package scenarios

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
)

func TestCatalog(t *testing.T) {
	t.Parallel()
	cat := Catalog()
	var names []string
	for _, sc := range cat {
		t.Run(sc.Name, func(t *testing.T) {
			if err := sc.Validate(); err != nil {
				t.Fatalf("catalog scenario does not validate:\n%v", err)
			}
			if sc.Description == "" {
				t.Error("no description")
			}
			got, err := Lookup(sc.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, sc) {
				t.Errorf("Lookup(%q) = %+v, want %+v", sc.Name, got, sc)
			}
		})
		if slices.Contains(names, sc.Name) {
			t.Errorf("scenario %q is listed twice", sc.Name)
		}
		names = append(names, sc.Name)
	}
	// The list, at least.
	for _, want := range []string{"quick", "steady", "burst", "wan", "churn", "server-limits", "faults", "h2", "tls12"} {
		if !slices.Contains(names, want) {
			t.Errorf("catalog lacks %q", want)
		}
	}
	if got, want := names[0], Default; got != want {
		t.Errorf("first scenario = %q, want the default %q", got, want)
	}
}

// The catalog entries hold the settings their descriptions promise.
func TestCatalogShapes(t *testing.T) {
	t.Parallel()
	get := func(name string) Scenario {
		sc, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	quick := get("quick")
	if got, want := quick.Workload, (Workload{Model: Closed, Requests: 2000, Concurrency: 8}); got != want {
		t.Errorf("quick workload = %+v, want %+v", got, want)
	}
	if got, want := quick.Modes, []string{"per-request", "singleton"}; !slices.Equal(got, want) {
		t.Errorf("quick modes = %q, want %q", got, want)
	}
	wantThresholds := []string{
		"per-request.errors == 0",
		"singleton.errors == 0",
		"per-request.dials == requests",
		"singleton.pool_rejected == 0",
		"singleton.dials <= concurrency + singleton.closed_after_use",
		"singleton.tls_handshakes <= concurrency + singleton.closed_after_use",
		"singleton.reuse_ratio >= 0.99",
	}
	if got := quick.Thresholds; !slices.Equal(got, wantThresholds) {
		t.Errorf("quick thresholds = %q, want %q", got, wantThresholds)
	}
	if sc := get("steady"); sc.Workload.Model != Open || sc.Workload.Rate <= 0 {
		t.Errorf("steady is not an open-model scenario: %+v", sc.Workload)
	}
	if got, want := get("wan").Network.RTT, 25*time.Millisecond; got != want {
		t.Errorf("wan rtt = %v, want %v", got, want)
	}
	churn := get("churn")
	if got, want := churn.Workload.Concurrency, 32; got != want {
		t.Errorf("churn concurrency = %d, want %d", got, want)
	}
	if got, want := churn.Modes[0], string(execution.SingletonDefaultPool); got != want {
		t.Errorf("churn baseline = %q, want %q", got, want)
	}
	limits := get("server-limits").Server
	if limits.MaxRequestsPerConn != 100 || limits.IdleTimeout != time.Second {
		t.Errorf("server-limits server = %+v, want 100 requests per connection and a 1s idle timeout", limits)
	}
	if f := get("faults").Server.Faults; f.ServerErrorPercent == 0 || f.TooManyRequestsPercent == 0 || f.ResetPercent == 0 || f.SlowBodyPercent == 0 || f.CloseMidResponsePercent == 0 {
		t.Errorf("faults lacks a fault kind: %+v", f)
	}
	if !get("h2").HTTP2() {
		t.Error("h2 does not speak HTTP/2")
	}
	if got, want := get("tls12").Protocol.TLS, TLS12; got != want {
		t.Errorf("tls12 TLS = %q, want %q", got, want)
	}
}

func TestLookupUnknown(t *testing.T) {
	t.Parallel()
	_, err := Lookup("nope")
	if err == nil || !strings.Contains(err.Error(), `unknown scenario "nope" (known: quick, `) {
		t.Errorf("Lookup(nope) = %v, want an error naming the known scenarios", err)
	}
}

// Every catalog scenario written as YAML reads back to itself.
func TestYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	for _, sc := range Catalog() {
		t.Run(sc.Name, func(t *testing.T) {
			b, err := sc.YAML()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(sc.Name+".yaml", b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if !reflect.DeepEqual(got, sc) {
				t.Errorf("round trip:\ngot  %+v\nwant %+v\n%s", got, sc, b)
			}
		})
	}
}

func TestIsFile(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]bool{
		"quick": false, "server-limits": false, "my.yaml": true, "my.yml": true,
		"./quick": true, "dir/x": true, "/abs/path.yaml": true,
	} {
		if got := IsFile(ref); got != want {
			t.Errorf("IsFile(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	sc, err := Load("testdata/wan-tls12.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Scenario{
		Name:        "wan-tls12",
		Description: "25ms round trip, TLS 1.2, per-request against singleton",
		Workload:    Workload{Model: Closed, Requests: 200, Concurrency: 4},
		Network:     Network{RTT: 25 * time.Millisecond},
		Server: Server{
			Latency:     Latency{Model: LatencyLognormal, Median: 2 * time.Millisecond, Sigma: 0.5},
			IdleTimeout: 30 * time.Second,
			Faults:      Faults{ServerErrorPercent: 0.5, TooManyRequestsPercent: 0.5, RetryAfter: 2 * time.Second},
		},
		Protocol:   Protocol{HTTP: HTTP1, TLS: TLS12},
		Modes:      []string{"per-request", "singleton"},
		Thresholds: []string{"per-request.dials == requests", "singleton.dials <= concurrency"},
	}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", sc, want)
	}
}

// A file that says little gets the documented defaults, and its file name.
func TestDefaults(t *testing.T) {
	t.Parallel()
	sc, err := LoadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Scenario{
		Name:     "minimal",
		Workload: Workload{Model: Closed, Requests: DefaultRequests, Concurrency: DefaultConcurrency},
		Server:   Server{Latency: Latency{Model: LatencyFixed}},
		Protocol: Protocol{HTTP: HTTP1, TLS: TLS13},
		Modes:    []string{"singleton"},
	}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("LoadFile =\n%+v\nwant\n%+v", sc, want)
	}
	open, err := LoadFile("testdata/open.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The open model has no default request count: its duration rules.
	if got, want := open.Workload, (Workload{Model: Open, Rate: 150, Duration: 2 * time.Second, Concurrency: 16}); got != want {
		t.Errorf("open workload = %+v, want %+v", got, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/nope.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileBytes)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadFile(big) = %v, want a size error", err)
	}
}

// Bad files: each error names the file, line and column of the value at
// fault and says what is wrong; validation lists every problem at once,
// in file order.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	const knownModes = "(known: per-request, singleton, singleton-default-pool, per-request-leaky, per-request-resume, hey, hey-no-keepalive)"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown field", "workload:\n  requests: 100\n  concurrency: 4\n  reqs: 5\n",
			[]string{`bad.yaml:4:3: workload: unknown field "reqs" (known: model, requests, concurrency, duration, rate, warmup)`}},
		{"unknown top-level field", "name: x\nmode: [singleton]\n",
			[]string{`bad.yaml:2:1: unknown field "mode" (known: name, description, workload, network, server, protocol, modes, thresholds)`}},
		{"wrong type", "workload:\n  requests: lots\n",
			[]string{`bad.yaml:2:13: workload.requests: want an integer, got "lots"`}},
		{"list for a mapping", "workload:\n  - 5\n",
			[]string{`bad.yaml:2:3: workload: want a mapping (key: value lines), got a list`}},
		{"scalar for a list", "modes: per-request\n",
			[]string{`bad.yaml:1:8: modes: want a list, got a string`}},
		{"negative seed", "server:\n  seed: -1\n",
			[]string{`bad.yaml:2:9: server.seed: -1 is out of range for a non-negative integer`}},
		{"negative rate", "workload:\n  model: open\n  rate: -5\n  duration: 1s\n",
			[]string{`bad.yaml:3:9: workload.rate: -5: want more than 0 and at most 1000000 requests/s`}},
		{"rate with the closed model", "workload:\n  requests: 100\n  rate: 50\n",
			[]string{`bad.yaml:3:9: workload.rate: 50: a rate is for the open model; set workload.model: open, or drop the rate`}},
		{"open model without rate or bound", "workload:\n  model: open\n",
			[]string{
				`bad.yaml:1:1: workload.rate: the open model needs a rate (requests per second)`,
				`bad.yaml:1:1: workload.duration: the open model needs a duration or a number of requests`,
			}},
		{"unknown mode", "modes: [per-request, singletn]\n",
			[]string{`bad.yaml:1:22: modes[1]: unknown client mode "singletn" ` + knownModes}},
		{"duplicate mode", "modes:\n  - singleton\n  - singleton\n",
			[]string{`bad.yaml:3:5: modes[1]: "singleton" is listed twice (also modes[0])`}},
		{"concurrency above requests", "workload:\n  requests: 4\n  concurrency: 8\n",
			[]string{`bad.yaml:3:16: workload.concurrency: 8 is more than the 4 requests: some workers would send nothing`}},
		{"negative concurrency", "workload:\n  concurrency: -1\n",
			[]string{`bad.yaml:2:16: workload.concurrency: -1: want 1..10000`}},
		{"duration without unit", "workload:\n  duration: 5\n",
			[]string{`bad.yaml:2:13: workload.duration: 5 has no unit (want e.g. 5s or 5ms)`}},
		{"bad duration", "network:\n  rtt: fast\n",
			[]string{`bad.yaml:2:8: network.rtt: "fast" is not a duration (want e.g. 250ms, 2s, 1m30s)`}},
		{"every bad duration at once", "network:\n  rtt: 3\nworkload:\n  warmup: soon\n",
			[]string{
				`bad.yaml:2:8: network.rtt: 3 has no unit (want e.g. 3s or 3ms)`,
				`bad.yaml:4:11: workload.warmup: "soon" is not a duration (want e.g. 250ms, 2s, 1m30s)`,
			}},
		{"negative warm-up", "workload:\n  warmup: -1s\n",
			[]string{`bad.yaml:2:11: workload.warmup: -1s: want 0..24h0m0s`}},
		{"rtt too long", "network:\n  rtt: 1h\n",
			[]string{`bad.yaml:2:8: network.rtt: 1h0m0s: want 0..10s`}},
		{"h2 with a request limit", "server:\n  max_requests_per_conn: 100\nprotocol:\n  http: http2\n",
			[]string{`bad.yaml:2:26: server.max_requests_per_conn: the mock enforces it on HTTP/1.1 only, and protocol.http is http2`}},
		{"fractional retry-after", "server:\n  faults:\n    retry_after: 1500ms\n",
			[]string{`bad.yaml:3:18: server.faults.retry_after: 1.5s: want whole seconds, 0 or more (Retry-After has no fractions)`}},
		{"faults above 100%", "server:\n  faults:\n    reset_percent: 60\n    slow_body_percent: 50\n",
			[]string{`bad.yaml:2:3: server.faults: the percentages add up to 110, more than 100`}},
		{"empty threshold", "thresholds:\n  - ''\n",
			[]string{`bad.yaml:2:5: thresholds[0]: empty threshold`}},
		{"tls version", "protocol:\n  tls: true\n",
			[]string{`bad.yaml:2:8: protocol.tls: "true": want "1.2" or "1.3"`}},
		{"everything at once",
			"workload:\n  model: closed\n  rate: -3\n  requests: 2\n  concurrency: 9\nprotocol:\n  tls: 1.1\n  http: spdy\nmodes: [hey, nope]\nserver:\n  faults:\n    reset_percent: 150\n  latency:\n    model: uniform\n    min: 5ms\n    max: 1ms\n    median: 3ms\n",
			[]string{
				`bad.yaml:3:9: workload.rate: -3: a rate is for the open model; set workload.model: open, or drop the rate`,
				`bad.yaml:5:16: workload.concurrency: 9 is more than the 2 requests: some workers would send nothing`,
				`bad.yaml:7:8: protocol.tls: "1.1": want "1.2" or "1.3"`,
				`bad.yaml:8:9: protocol.http: "spdy": want http1 or http2`,
				`bad.yaml:9:14: modes[1]: unknown client mode "nope" ` + knownModes,
				`bad.yaml:12:20: server.faults.reset_percent: 150: want a percentage, 0..100`,
				`bad.yaml:13:3: server.latency: uniform wants 0 <= min <= max, got min 5ms, max 1ms`,
				`bad.yaml:17:13: server.latency.median: only for the lognormal model (model is uniform)`,
			}},
		{"syntax error", "name: [x\n",
			[]string{`bad.yaml:1:7: sequence end token ']' not found`}},
		{"duplicate key", "name: a\nname: b\n",
			[]string{`bad.yaml:2:1: mapping key "name" already defined at [1:1]`}},
		{"two documents", "name: a\n---\nname: b\n",
			[]string{`bad.yaml:2:1: a second YAML document: a scenario file holds one`}},
		{"empty file", "", []string{`bad.yaml:1:1: no scenario: the file is empty`}},
		{"comments only", "# nothing\n", []string{`bad.yaml:1:1: no scenario: the file is empty`}},
		{"a list", "- a\n", []string{`bad.yaml:1:1: want a mapping (key: value lines), got a list`}},
		{"tag", "name: !!str x\n", []string{`bad.yaml:1:7: name: a YAML tag: scenario files take plain values`}},
		// go-yaml panicked decoding this one (FuzzParse).
		{"bare tag", "modes:\n  ! 000000000", []string{`bad.yaml:2:3: modes: a YAML tag: scenario files take plain values`}},
		{"anchor", "name: &x a\ndescription: *x\n", []string{
			`bad.yaml:1:7: name: a YAML anchor: scenario files take plain values`,
			`bad.yaml:2:14: description: a YAML alias: scenario files take plain values`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.src))
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %v, want an *Error", err)
			}
			if got, want := err.Error(), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("Parse error:\n%s\nwant:\n%s", got, want)
			}
			for _, p := range se.Problems {
				if p.Line < 1 || p.Col < 1 {
					t.Errorf("problem %q has no position", p)
				}
			}
		})
	}
}

// A scenario built in code (the catalog, flags applied) is validated the
// same way, without positions.
func TestValidateInCode(t *testing.T) {
	t.Parallel()
	sc, err := Lookup("quick")
	if err != nil {
		t.Fatal(err)
	}
	sc.Workload.Concurrency = 0
	sc.Modes = append(sc.Modes, "bogus")
	err = sc.Validate()
	want := "scenario quick: workload.concurrency: 0: want 1..10000\n" +
		`scenario quick: modes[2]: unknown client mode "bogus" (known: per-request, singleton, singleton-default-pool, per-request-leaky, per-request-resume, hey, hey-no-keepalive)`
	if err == nil || err.Error() != want {
		t.Errorf("Validate =\n%v\nwant\n%s", err, want)
	}
}

func TestParseModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "per-request, singleton", want: []string{"per-request", "singleton"}},
		{in: "hey,hey-no-keepalive,singleton", want: []string{"hey", "hey-no-keepalive", "singleton"}},
		{in: "singleton,nope", wantErr: `unknown client mode "nope"`},
		{in: "singleton,singleton", wantErr: `mode "singleton" is listed twice`},
		{in: "", wantErr: `unknown client mode ""`},
	}
	for _, tc := range tests {
		got, err := ParseModes(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseModes(%q) = %v, want error %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseModes(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// Configs maps every field to the server's or the harness's setting.
func TestConfigs(t *testing.T) {
	t.Parallel()
	sc, err := Load("testdata/wan-tls12.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc.Server.MaxRequestsPerConn = 100
	sc.Server.Seed = 7
	sc.Server.Faults = Faults{ServerErrorPercent: 1, TooManyRequestsPercent: 2, ResetPercent: 3, SlowBodyPercent: 4, CloseMidResponsePercent: 5, RetryAfter: 3 * time.Second, SlowBodyDelay: time.Second}
	srv, run := sc.Configs()
	if got, want := srv.TLSVersion, uint16(tls.VersionTLS12); got != want {
		t.Errorf("TLSVersion = %#x, want %#x", got, want)
	}
	if srv.HTTP2 || run.HTTP2 {
		t.Error("HTTP/2 on for an http1 scenario")
	}
	if got, want := srv.Latency.Model, "lognormal"; got != want {
		t.Errorf("latency model = %q, want %q", got, want)
	}
	if srv.Latency.Median != 2*time.Millisecond || srv.Latency.Sigma != 0.5 {
		t.Errorf("latency = %+v", srv.Latency)
	}
	if got, want := srv.RTT, 25*time.Millisecond; got != want {
		t.Errorf("RTT = %v, want %v", got, want)
	}
	if srv.IdleTimeout != 30*time.Second || srv.MaxRequestsPerConn != 100 || srv.Seed != 7 {
		t.Errorf("keep-alive limits or seed = %v, %d, %d", srv.IdleTimeout, srv.MaxRequestsPerConn, srv.Seed)
	}
	f := srv.Faults
	if f.ServerError != 0.01 || f.TooMany != 0.02 || f.Reset != 0.03 || f.SlowBody != 0.04 || f.CloseMidBody != 0.05 || f.RetryAfter != 3*time.Second || f.SlowBodyDelay != time.Second {
		t.Errorf("faults = %+v, want the percentages as shares", f)
	}
	if run.Requests != 200 || run.Concurrency != 4 || run.Duration != 0 || run.Rate != 0 || !run.CheckOutput {
		t.Errorf("harness config = %+v", run)
	}
	if !slices.Equal(run.Modes, sc.Modes) {
		t.Errorf("modes = %q, want %q", run.Modes, sc.Modes)
	}

	h2, err := LoadFile("testdata/open.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, run = h2.Configs()
	if !srv.HTTP2 || !run.HTTP2 {
		t.Error("HTTP/2 off for an http2 scenario")
	}
	if got, want := srv.TLSVersion, uint16(tls.VersionTLS13); got != want {
		t.Errorf("TLSVersion = %#x, want %#x", got, want)
	}
	if run.Rate != 150 || run.Duration != 2*time.Second || run.Concurrency != 16 {
		t.Errorf("open harness config = rate %v, duration %v, concurrency %d", run.Rate, run.Duration, run.Concurrency)
	}
}

// FuzzParse: no input panics the loader; what it accepts is valid and
// survives a round trip; what it refuses is an *Error.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/wan-tls12.yaml", "testdata/minimal.yaml", "testdata/open.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("workload:\n  model: open\n  rate: -5\n"))
	f.Add([]byte("modes: [a, *b]\n&b x: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("Parse error %v (%T) is not an *Error with problems", err, err)
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid scenario: %v", err)
		}
		b, err := sc.YAML()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse("fuzz.yaml", b)
		if err != nil {
			t.Fatalf("round trip: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(back, sc) {
			t.Fatalf("round trip:\ngot  %+v\nwant %+v", back, sc)
		}
	})
}
