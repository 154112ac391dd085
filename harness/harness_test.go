package harness

import (
	"context"
	"testing"

	"github.com/poolbench/poolbench/mockserver"
)

func startMock(t *testing.T, cfg mockserver.Config) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func runModes(t *testing.T, srv *mockserver.Server, n, c int, modes ...string) *Result {
	t.Helper()
	res, err := Run(context.Background(), Config{
		BaseURL:     srv.URL,
		TLSConfig:   srv.ClientTLSConfig(),
		Modes:       modes,
		Requests:    n,
		Concurrency: c,
		CheckOutput: true,
		Server:      InProcess(srv),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSmoke(t *testing.T) {
	srv := startMock(t, mockserver.Config{})
	res := runModes(t, srv, 200, 8, "per-request", "singleton", "singleton-default-pool")
	for _, m := range res.Modes {
		t.Logf("%s: sent %d ok %d errs %v client %+v server %+v warn %q p50 %d", m.Mode, m.Requests, m.OK, m.Errors, m.Client, *m.Server, m.Warnings, m.Latency.ValueAtQuantile(50))
	}
}
