package scenarios

import (
	"context"
	"testing"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/mockserver"
)

// Every catalog scenario, shrunk to a few requests, runs through Configs
// against the mock it describes, and its counts hold: nothing lost, a new
// connection per request where the mode makes one, the singleton within
// its pool (one connection over HTTP/2).
func TestCatalogRuns(t *testing.T) {
	t.Parallel()
	const n, maxC = 24, 4
	for _, sc := range Catalog() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			w := &sc.Workload
			w.Concurrency = min(w.Concurrency, maxC)
			w.Requests = n
			if w.Model == Open {
				w.Rate = 400 // the schedule, not the rate, is under test here
			}
			if err := sc.Validate(); err != nil {
				t.Fatal(err)
			}
			srvCfg, cfg := sc.Configs()
			srv, err := mockserver.NewServer(srvCfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			cfg.BaseURL = srv.URL
			cfg.TLSConfig = srv.ClientTLSConfig()
			cfg.Server = harness.InProcess(srv)
			res, err := harness.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(res.Modes), len(sc.Modes); got != want {
				t.Fatalf("%d modes ran, want %d", got, want)
			}
			faulty := srvCfg.Faults.Active()
			for _, m := range res.Modes {
				if got := m.Requests; got != n {
					t.Errorf("%s: sent %d, want %d", m.Mode, got, n)
				}
				if got := m.OK + m.Failed(); got != m.Requests {
					t.Errorf("%s: ok %d + failed %d != sent %d", m.Mode, m.OK, m.Failed(), m.Requests)
				}
				if m.Server == nil {
					t.Fatalf("%s: no server counts", m.Mode)
				}
				if got := m.Server.Requests; got != n {
					t.Errorf("%s: server requests %d, want %d", m.Mode, got, n)
				}
				if !faulty && m.OK != n {
					t.Errorf("%s: ok %d, want %d (errors %v)", m.Mode, m.OK, n, m.Errors)
				}
				switch m.Mode {
				case "per-request", "per-request-leaky", "per-request-resume", "hey-no-keepalive":
					if got := m.Client.Dials; got != n {
						t.Errorf("%s: dials %d, want %d", m.Mode, got, n)
					}
				case "singleton":
					limit := int64(w.Concurrency)
					if sc.HTTP2() {
						limit = 1
					}
					if got := m.Client.Dials; !faulty && got > limit {
						t.Errorf("%s: dials %d, want at most %d", m.Mode, got, limit)
					}
				}
			}
		})
	}
}
