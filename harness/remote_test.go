package harness

import (
	"context"
	"testing"

	"github.com/poolbench/poolbench/mockserver"
)

// Server counts read over HTTP equal the in-process ones: the stats
// client's own connection is not counted in the measured modes.
func TestRemoteStatsExcludesItself(t *testing.T) {
	t.Parallel()
	const n, c = 40, 4
	srv := startMock(t, mockserver.Config{})
	rs := NewRemoteStats(srv.URL, srv.ClientTLSConfig())
	defer rs.Close()
	if err := rs.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := mockConfig(srv, n, c, "per-request", "singleton")
	cfg.Server = rs
	res := runAll(t, cfg)
	for _, m := range res.Modes {
		if m.Server == nil {
			t.Fatalf("%s: no server counts", m.Mode)
		}
		if got, want := m.Server.Connections, m.Client.Dials; got != want {
			t.Errorf("%s: server connections %d, client dials %d", m.Mode, got, want)
		}
		if got, want := m.Server.Requests, int64(n); got != want {
			t.Errorf("%s: server requests %d, want %d", m.Mode, got, want)
		}
	}
	if got, want := res.Modes[0].Server.Connections, int64(n); got != want {
		t.Errorf("per-request: server connections %d, want %d", got, want)
	}
}

// A target without poolbench's /stats is detected by the probe.
func TestRemoteStatsProbeRefusesOthers(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{})
	rs := NewRemoteStats(srv.URL+"/api/v2/runtimes?", srv.ClientTLSConfig())
	defer rs.Close()
	if err := rs.Probe(context.Background()); err == nil {
		t.Error("probe accepted a URL without stats")
	}
}
