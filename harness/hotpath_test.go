package harness

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// cannedClient answers each request id with a result built beforehand, so
// that it allocates nothing itself: what a worker allocates around it is
// the harness's own cost.
type cannedClient struct{ answers map[string]execution.Result }

func (c cannedClient) Execute(_ context.Context, req execution.Request) (execution.Result, error) {
	return c.answers[req.ID], nil
}
func (cannedClient) CloseIdleConnections() {}
func (cannedClient) Close() error          { return nil }

// TestHotPathAllocations pins the harness's share of the per-request
// budget (issue 6: at most 2 allocations beyond the client): a worker
// sending through a client that allocates nothing allocates exactly the
// request's id (strconv.Itoa) and the default payload's file list, and
// nothing for the trace, the check, the histograms or the accounting.
func TestHotPathAllocations(t *testing.T) {
	const first, n = 1000, 200 // ids of 4 digits: strconv.Itoa allocates
	answers := map[string]execution.Result{}
	for i := first; i < first+n; i++ {
		req := DefaultPayload(i)
		req.ID = strconv.Itoa(i)
		answers[req.ID] = execution.Result{RequestID: req.ID, Run: execution.Stage{Stdout: mockserver.Output(req)}}
	}
	svc := cannedClient{answers}
	w := newWorker(0, 1, n, time.Now())
	check := newChecker(Config{CheckOutput: true})
	ctx, cancel := w.context(context.Background())
	defer cancel()
	i := first
	allocs := testing.AllocsPerRun(n-1, func() {
		start := time.Now()
		end := w.send(ctx, svc, DefaultPayload, check, i, start)
		recordClamped(w.latency, end.Sub(start))
		i++
	})
	if w.ok != int64(n) || len(w.errors) != 0 {
		t.Fatalf("ok = %d of %d, errors %v: the canned answers must all check", w.ok, n, w.errors)
	}
	if allocs != 2 {
		t.Errorf("a request allocates %v times in the harness, want 2 (its id and its payload)", allocs)
	}
}
