package harness

import (
	"context"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// The per-request log keeps exactly the bound (or every request when there
// are fewer), ordered by start, each request once, with the same outcome
// kinds as the counts.
func TestRecordRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		n, c, limit int
		want        int
	}{
		{"off", 60, 4, 0, 0},
		{"bounded", 60, 4, 25, 25},
		{"uneven bound", 60, 4, 7, 7},
		{"bound above n", 60, 4, 1000, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startMock(t, mockserver.Config{Faults: mockserver.Faults{ServerError: 0.2}})
			cfg := mockConfig(srv, tc.n, tc.c, "singleton")
			cfg.RecordRequests = tc.limit
			m := runOne(t, cfg)
			if got := len(m.Records); got != tc.want {
				t.Fatalf("records = %d, want %d", got, tc.want)
			}
			if tc.want == 0 {
				if m.Records != nil {
					t.Errorf("records = %v, want nil when off", m.Records)
				}
				return
			}
			seen := map[int]bool{}
			kinds := map[string]int64{}
			for i, r := range m.Records {
				if i > 0 && r.Start < m.Records[i-1].Start {
					t.Errorf("record %d starts at %v, before record %d at %v", i, r.Start, i-1, m.Records[i-1].Start)
				}
				if seen[r.Index] {
					t.Errorf("request %d recorded twice", r.Index)
				}
				seen[r.Index] = true
				if got, want := r.Index%tc.c, r.Worker; got != want {
					t.Errorf("request %d recorded by worker %d, want %d", r.Index, r.Worker, want)
				}
				if r.Latency <= 0 || r.Kind == "" {
					t.Errorf("record %+v: want a latency and a kind", r)
				}
				kinds[r.Kind]++
			}
			if tc.want == tc.n {
				if got, want := kinds["ok"], m.OK; got != want {
					t.Errorf("ok records = %d, want the ok count %d", got, want)
				}
				for k, v := range m.Errors {
					if kinds[k] != v {
						t.Errorf("%s records = %d, want %d", k, kinds[k], v)
					}
				}
			}
		})
	}
}

// nopClient answers every request at once, without a network.
type nopClient struct{}

func (nopClient) Execute(context.Context, execution.Request) (execution.Result, error) {
	return execution.Result{}, nil
}
func (nopClient) CloseIdleConnections() {}
func (nopClient) Close() error          { return nil }

// The per-request log costs the request loop no allocation: its buffers
// are allocated before the mode starts, so keeping records adds at most
// the one buffer, whatever the number of requests.
func TestRecordRequestsAllocateNothingPerRequest(t *testing.T) {
	payload := func(int) execution.Request { return execution.Request{} }
	allocs := func(share int, record bool) float64 {
		return testing.AllocsPerRun(5, func() {
			w := newWorker(0, 1, share, time.Now())
			if record {
				w.records = make([]RequestRecord, 0, share)
			}
			w.run(context.Background(), context.Background(), nopClient{}, payload, &checker{}, time.Time{})
			if record && len(w.records) != share {
				t.Fatalf("records = %d, want %d", len(w.records), share)
			}
		})
	}
	extra := func(share int) float64 {
		on, off := allocs(share, true), allocs(share, false)
		t.Logf("%d requests: %v allocations with records, %v without", share, on, off)
		return on - off
	}
	for _, share := range []int{100, 1000} {
		if got := extra(share); got > 1 {
			t.Errorf("recording %d requests adds %v allocations, want at most 1 (the buffer, none per request)", share, got)
		}
	}
}
