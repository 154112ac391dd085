package harness

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mockserver"
)

// hey, an independent generator, and our singleton end with server
// connection counts within C of each other; hey without keep-alives opens
// exactly one connection per request. Both count ok + errors == sent, and
// the client counts (our trace composed onto hey's) agree with the server.
func TestHeyReference(t *testing.T) {
	t.Parallel()
	const n, c = 40, 4
	srv := startMock(t, mockserver.Config{})
	cfg := mockConfig(srv, n, c, "singleton", ModeHey, ModeHeyNoKeepAlive)
	res := runAll(t, cfg)
	if got, want := len(res.Modes), 3; got != want {
		t.Fatalf("modes = %d, want %d", got, want)
	}
	single, hey, nokeep := &res.Modes[0], &res.Modes[1], &res.Modes[2]
	for _, m := range []*ModeResult{hey, nokeep} {
		if got, want := m.Requests, int64(n); got != want {
			t.Errorf("%s: sent = %d, want %d", m.Mode, got, want)
		}
		if got, want := m.OK, int64(n); got != want {
			t.Errorf("%s: ok = %d, want %d (errors %v)", m.Mode, got, want, m.Errors)
		}
		if got, want := m.Latency.TotalCount(), int64(n); got != want {
			t.Errorf("%s: histogram count = %d, want %d", m.Mode, got, want)
		}
		if !m.TLSUnverified || !hasWarning(m, "hey cannot verify TLS") {
			t.Errorf("%s: not marked as unverified TLS: %q", m.Mode, m.Warnings)
		}
		if got, want := m.Server.Requests, int64(n); got != want {
			t.Errorf("%s: server requests = %d, want %d", m.Mode, got, want)
		}
		if got, want := m.Client.Dials, m.Server.Connections; got != want {
			t.Errorf("%s: client dials %d, server connections %d", m.Mode, got, want)
		}
	}
	// Within C of each other, give or take the background dials of hey's
	// pool, which has no MaxConnsPerHost cap: a dial whose request was
	// served by a connection handed back meanwhile still completes (on a
	// loaded machine, several do). Those are the dials GotConn never
	// reported as new to the request that started them.
	background := hey.Client.Dials - hey.Client.NewConnRequests
	d := hey.Server.Connections - single.Server.Connections
	if d < -c || d > c+background {
		t.Errorf("server connections: hey %d, singleton %d: want within %d (+%d background dials of hey's uncapped pool)",
			hey.Server.Connections, single.Server.Connections, c, background)
	}
	if got, want := nokeep.Server.Connections, int64(n); got != want {
		t.Errorf("hey-no-keepalive: server connections = %d, want %d (one per request)", got, want)
	}
	if got, want := nokeep.Server.TLSHandshakes, int64(n); got != want {
		t.Errorf("hey-no-keepalive: server TLS handshakes = %d, want %d", got, want)
	}
	// Every connection hey opened was closed when the mode ended (the
	// server notices a close on its own goroutine: wait for it).
	deadline := time.Now().Add(2 * time.Second)
	for srv.Stats().Open != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := srv.Stats().Open; got != 0 {
		t.Errorf("open connections after the run = %d, want 0", got)
	}
}

// hey sends C × ⌊N/C⌋ requests and counts failures from its error
// distribution and status codes; the harness says so.
func TestHeyUnevenAndFaults(t *testing.T) {
	t.Parallel()
	const n, c = 42, 4
	srv := startMock(t, mockserver.Config{Faults: mockserver.Faults{ServerError: 0.25}})
	cfg := mockConfig(srv, n, c, ModeHey)
	m := runOne(t, cfg)
	if got, want := m.Requests, int64(40); got != want {
		t.Errorf("sent = %d, want %d", got, want)
	}
	if !hasWarning(m, "hey sends C × ⌊N/C⌋ = 40 of the 42 requests") {
		t.Errorf("no N mod C warning: %q", m.Warnings)
	}
	want := srv.Stats().Faults["server_error"]
	if got := m.Errors[KindHTTP5xx]; got != want || got == 0 {
		t.Errorf("http_5xx = %d, want the server's %d (> 0)", got, want)
	}
	if got := m.OK + m.Failed(); got != m.Requests {
		t.Errorf("ok %d + failed %d != sent %d", m.OK, m.Failed(), m.Requests)
	}
}

// hey's errors (no response at all) are counted by kind from its messages.
func TestHeyConnectionErrors(t *testing.T) {
	t.Parallel()
	const n, c = 8, 2
	cfg := Config{BaseURL: "https://" + closedAddr(t), Modes: []string{ModeHey}, Requests: n, Concurrency: c}
	res := runAll(t, cfg)
	m := &res.Modes[0]
	if got, want := m.Errors[KindRefused], int64(n); got != want {
		t.Errorf("refused = %d, want %d (errors %v)", got, want, m.Errors)
	}
	if m.OK != 0 || m.Requests != n {
		t.Errorf("ok %d sent %d, want 0 and %d", m.OK, m.Requests, n)
	}
	for _, w := range m.Warnings {
		if strings.Contains(w, "counted as") {
			t.Errorf("unexpected residual: %s", w)
		}
	}
}

func runAll(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Modes), len(cfg.Modes); got != want {
		t.Fatalf("modes = %d, want %d", got, want)
	}
	return res
}
