package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// TestMain fails the package's tests when any goroutine is still running
// after they finish: a transport, a listener or a worker left behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openFDs returns this process's open file descriptors and what they point to.
func openFDs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var fds []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue // the descriptor ReadDir itself used, closed since
		}
		fds = append(fds, e.Name()+" -> "+target)
	}
	slices.Sort(fds)
	return fds
}

// eventually polls cond for up to 5s: the server notices a closed
// connection on its own goroutine, a moment after the client closed it.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// TestNoLeakAfterRun runs every mode and checks that afterwards the
// process holds the same file descriptors as before (no socket of a
// client, pooled or leaked, survives the run), that the server has no
// connection open, and that no goroutine is left once the server is
// closed. It is not parallel: it counts the whole process's descriptors.
func TestNoLeakAfterRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := mockserver.NewServer(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	before := openFDs(t)
	modes := make([]string, len(execution.Strategies))
	for i, s := range execution.Strategies {
		modes[i] = string(s)
	}
	cfg := mockConfig(srv, 40, 4, modes...)
	cfg.HTTP2 = false
	res := runModesCfg(t, cfg)
	for _, m := range res.Modes {
		if got, want := m.OK, int64(40); got != want {
			t.Errorf("%s: ok = %d, want %d (errors %v)", m.Mode, got, want, m.Errors)
		}
	}
	var after []string
	if !eventually(func() bool { after = openFDs(t); return slices.Equal(after, before) }) {
		t.Errorf("open descriptors: %d before the run, %d after:\n  before %s\n  after  %s",
			len(before), len(after), strings.Join(before, ", "), strings.Join(after, ", "))
	}
	if !eventually(func() bool { return srv.Stats().Open == 0 }) {
		t.Errorf("server still has %d connections open after the run", srv.Stats().Open)
	}
	srv.Close()
}

// TestLeakyModeReportsItsLeak: per-request-leaky leaves one connection open
// per request (sequential requests, so none is shared), the result says
// exactly how many, and the harness closes them after counting.
func TestLeakyModeReportsItsLeak(t *testing.T) {
	t.Parallel()
	const n = 10
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, n, 1, string(execution.PerRequestLeaky)))
	if got, want := m.LeftOpen, int64(n); got != want {
		t.Errorf("LeftOpen = %d, want %d", got, want)
	}
	if got, want := m.ClientsBuilt, int64(n); got != want {
		t.Errorf("ClientsBuilt = %d, want %d", got, want)
	}
	if got, want := m.Client.Dials, int64(n); got != want {
		t.Errorf("dials = %d, want %d", got, want)
	}
	want := fmt.Sprintf("leak: %d connections were still open", n)
	if !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("warnings %q lack %q", m.Warnings, want)
	}
	if !eventually(func() bool { return srv.Stats().Open == 0 }) {
		t.Errorf("server still has %d connections open: the harness did not close the leaked ones", srv.Stats().Open)
	}
}

// TestSingletonPoolIsNotALeak is the leaky mode's control: a shared
// client's pooled connections are counted as open at the end of the mode
// (they are idle, not leaked: no leak warning) and closed by the harness.
func TestSingletonPoolIsNotALeak(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{})
	m := runOne(t, mockConfig(srv, 10, 1, string(execution.Singleton)))
	if got, want := m.LeftOpen, int64(1); got != want {
		t.Errorf("LeftOpen = %d, want %d (the one pooled connection)", got, want)
	}
	for _, w := range m.Warnings {
		if strings.HasPrefix(w, "leak:") {
			t.Errorf("singleton warned of a leak: %s", w)
		}
	}
	if !eventually(func() bool { return srv.Stats().Open == 0 }) {
		t.Errorf("server still has %d connections open after the run", srv.Stats().Open)
	}
}

func runModesCfg(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Modes {
		if got, want := m.OK+m.Failed(), m.Requests; got != want {
			t.Errorf("%s: ok %d + failed %d != sent %d", m.Mode, m.OK, m.Failed(), want)
		}
	}
	return res
}

// TestNoConnectionLeftAfterTimeouts: over HTTP/2 a timed-out request's
// stream is reset and its connection stays busy until the server
// acknowledges it, after the client's own CloseIdleConnections; in every
// mode the harness still leaves no connection open once Run returns (the
// per-request services keep their failed clients so they can close them).
func TestNoConnectionLeftAfterTimeouts(t *testing.T) {
	t.Parallel()
	for _, st := range execution.Strategies {
		t.Run(string(st), func(t *testing.T) {
			t.Parallel()
			srv := startMock(t, mockserver.Config{HTTP2: true, Latency: mockserver.Latency{Fixed: 5 * time.Second}})
			cfg := mockConfig(srv, 8, 2, string(st))
			cfg.HTTP2 = true
			cfg.Timeout = 300 * time.Millisecond
			m := runModesCfg(t, cfg).Modes[0]
			if got, want := m.Errors[KindTimeout], int64(8); got != want {
				t.Errorf("timeouts = %d, want %d (errors %v)", got, want, m.Errors)
			}
			if got := srv.Stats().Open; got != 0 {
				t.Errorf("server has %d connections open after Run (left open at the end of the mode: %d)", got, m.LeftOpen)
			}
		})
	}
}
