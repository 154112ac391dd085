package harness

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// barrierClient holds requests first-C+1..first, the last C to start, until
// all C are inside Execute: every worker then has exactly one request in
// flight. The last to arrive cancels the run, and the client counts the
// requests that start after that.
type barrierClient struct {
	*execution.Service
	first, c int64
	cancel   context.CancelFunc

	started      atomic.Int64
	cancelled    atomic.Bool
	afterCancel  atomic.Int64
	arrived      sync.WaitGroup
	releaseOnce  sync.Once
	release      chan struct{}
	inFlightDone atomic.Int64 // of the held requests, how many came back
}

func (b *barrierClient) Execute(ctx context.Context, req execution.Request) (execution.Result, error) {
	if b.cancelled.Load() {
		b.afterCancel.Add(1)
	}
	n := b.started.Add(1)
	if n > b.first-b.c && n <= b.first {
		b.arrived.Done()
		if n == b.first {
			b.arrived.Wait()
			b.cancel()
			b.cancelled.Store(true)
			b.releaseOnce.Do(func() { close(b.release) })
		}
		<-b.release
		defer b.inFlightDone.Add(1)
	}
	return b.Service.Execute(ctx, req)
}

// TestCancelGrace cancels a run while each of its C workers has one request
// in flight, and checks that no request starts after the cancel, that the
// in-flight ones finish when the server answers within the grace period
// and are cancelled when it does not, and that all are accounted for.
func TestCancelGrace(t *testing.T) {
	t.Parallel()
	const c = 3
	for _, tc := range []struct {
		name    string
		latency time.Duration
		grace   time.Duration
		first   int64 // cancel when request #first starts
		// wantOK of the sent requests, the rest cancelled.
		wantOK int64
	}{
		{name: "in-flight finish within grace", latency: 20 * time.Millisecond, grace: 30 * time.Second, first: 4 * c, wantOK: 4 * c},
		{name: "grace expires", latency: 20 * time.Second, grace: 50 * time.Millisecond, first: c, wantOK: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startMock(t, mockserver.Config{Latency: mockserver.Latency{Fixed: tc.latency}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := mockConfig(srv, 1000, c, "singleton")
			cfg.Grace = tc.grace
			cfg.Timeout = time.Minute
			var bc *barrierClient
			cfg.Clients = map[string]ClientFactory{"singleton": func(o execution.Options) (Client, error) {
				o.Strategy = execution.Singleton
				svc, err := execution.New(o)
				if err != nil {
					return nil, err
				}
				bc = &barrierClient{Service: svc, first: tc.first, c: c, cancel: cancel, release: make(chan struct{})}
				bc.arrived.Add(c)
				return bc, nil
			}}
			res, err := Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Partial || len(res.Modes) != 1 || !res.Modes[0].Partial {
				t.Fatalf("partial %v with %d modes, want one partial mode", res.Partial, len(res.Modes))
			}
			m := res.Modes[0]
			if got, want := bc.afterCancel.Load(), int64(0); got != want {
				t.Errorf("%d requests started after the cancel, want %d", got, want)
			}
			if got, want := m.Requests, tc.first; got != want {
				t.Errorf("sent %d, want %d (the %d in flight at the cancel included)", got, want, c)
			}
			if got, want := bc.inFlightDone.Load(), int64(c); got != want {
				t.Errorf("%d of the %d in-flight requests returned", got, want)
			}
			if got, want := m.OK, tc.wantOK; got != want {
				t.Errorf("ok = %d, want %d", got, want)
			}
			wantErrs := map[string]int64{}
			if n := tc.first - tc.wantOK; n > 0 {
				wantErrs[KindCanceled] = n
			}
			if got := m.Errors; !equalCounts(got, wantErrs) {
				t.Errorf("errors = %v, want %v", got, wantErrs)
			}
			if got, want := m.OK+m.Failed(), m.Requests; got != want {
				t.Errorf("ok %d + failed %d != sent %d", m.OK, m.Failed(), want)
			}
			if m.Server == nil {
				t.Fatal("no server counts")
			}
			// A request cancelled by the end of the grace period may not
			// have reached the server yet.
			if got, want := m.Server.Requests, m.Requests; got > want || (tc.wantOK == tc.first && got != want) {
				t.Errorf("server saw %d requests, client sent %d", got, want)
			}
		})
	}
}
