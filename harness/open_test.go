package harness

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/poolbench/poolbench/mockserver"
)

// A server slower than C/rate makes every worker fall behind its schedule
// after its first slot, by construction: with C = 2 at 200 req/s each worker
// owns a slot every 10 ms, but each request takes 40 ms, so slot k of a
// worker is sent about 30·k ms late. Everything is still sent (no duration),
// latency from the intended time is at least latency from the actual send.
func TestOpenModelFallsBehind(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{Latency: mockserver.Latency{Fixed: 40 * time.Millisecond}})
	const n, c = 12, 2
	cfg := mockConfig(srv, n, c, "singleton")
	cfg.Rate = 200
	m := runOne(t, cfg)
	if got, want := m.Requests, int64(n); got != want {
		t.Errorf("sent = %d, want %d", got, want)
	}
	if got, want := m.OK, int64(n); got != want {
		t.Errorf("ok = %d, want %d", got, want)
	}
	if got, want := m.Intended, int64(n); got != want {
		t.Errorf("intended = %d, want %d", got, want)
	}
	if m.Dropped != 0 {
		t.Errorf("dropped = %d, want 0 without a duration", m.Dropped)
	}
	// Every slot after a worker's first is at least 25 ms late.
	if m.Late < n-c || m.Late > n {
		t.Errorf("late = %d, want %d..%d", m.Late, n-c, n)
	}
	if m.MaxLag < 100*time.Millisecond {
		t.Errorf("max lag = %v, want at least 100ms (the last slot: 5·40 − 5·10 ms)", m.MaxLag)
	}
	if m.LatencyUncorrected == nil {
		t.Fatal("no uncorrected histogram")
	}
	if got, want := m.LatencyUncorrected.TotalCount(), int64(n); got != want {
		t.Errorf("uncorrected count = %d, want %d", got, want)
	}
	if got, want := m.Latency.TotalCount(), int64(n); got != want {
		t.Errorf("corrected count = %d, want %d", got, want)
	}
	cp50, up50 := m.Latency.ValueAtQuantile(50), m.LatencyUncorrected.ValueAtQuantile(50)
	if cp50 < up50 {
		t.Errorf("corrected p50 %dµs < uncorrected p50 %dµs", cp50, up50)
	}
	// The corrected maximum includes the lag of the last slot.
	if got, lim := m.Latency.Max(), m.LatencyUncorrected.Max()+(100*time.Millisecond).Microseconds(); got < lim {
		t.Errorf("corrected max %dµs, want at least uncorrected max + 100ms = %dµs", got, lim)
	}
	if !hasWarning(m, "open model: ") {
		t.Errorf("no late warning in %q", m.Warnings)
	}
	if got, want := m.Server.Requests, int64(n); got != want {
		t.Errorf("server requests = %d, want %d", got, want)
	}
}

// The schedule is kept: the last slot is not sent before its intended time,
// so the mode lasts at least (N−1)/rate, and N requests are sent.
func TestOpenModeKeepsSchedule(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{})
	const n, c, rate = 20, 4, 100.0
	cfg := mockConfig(srv, n, c, "singleton")
	cfg.Rate = rate
	m := runOne(t, cfg)
	if got, want := m.Requests, int64(n); got != want {
		t.Errorf("sent = %d, want %d", got, want)
	}
	if got, want := m.OK, int64(n); got != want {
		t.Errorf("ok = %d, want %d", got, want)
	}
	if min := intendedOffset(n-1, rate); m.Duration < min {
		t.Errorf("mode took %v, less than the last slot's intended time %v", m.Duration, min)
	}
	if m.Server.Connections > c {
		t.Errorf("server connections = %d, want at most %d", m.Server.Connections, c)
	}
}

// With a duration, intended sends the client cannot make before it ends are
// dropped and counted, never hidden: 20 slots in 200 ms at 100 req/s, one
// worker, 30 ms per request, so at most 7 sends start in time.
func TestOpenModelDropsAtDeadline(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{Latency: mockserver.Latency{Fixed: 30 * time.Millisecond}})
	cfg := mockConfig(srv, 0, 1, "singleton")
	cfg.Rate = 100
	cfg.Duration = 200 * time.Millisecond
	m := runOne(t, cfg)
	if got, want := m.Intended, int64(20); got != want {
		t.Errorf("intended = %d, want %d", got, want)
	}
	if got, want := m.Requests+m.Dropped, m.Intended; got != want {
		t.Errorf("sent %d + dropped %d = %d, want intended %d", m.Requests, m.Dropped, got, want)
	}
	if m.Requests > 7 || m.Dropped < 13 {
		t.Errorf("sent %d, dropped %d: want at most 7 sent and at least 13 dropped", m.Requests, m.Dropped)
	}
	found := false
	for _, w := range m.Warnings {
		if strings.Contains(w, "dropped") {
			found = true
		}
	}
	if !found {
		t.Errorf("no dropped warning in %q", m.Warnings)
	}
}

func TestOpenQuota(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		rate  float64
		d     time.Duration
		quota int
		want  int
	}{
		{"no duration", 100, 0, 50, 50},
		{"exact", 100, time.Second, DurationRequestCap, 100},
		{"fraction", 3, time.Second, DurationRequestCap, 3},
		{"rounds up", 3, 1100 * time.Millisecond, DurationRequestCap, 4},
		{"n rules", 1000, time.Second, 10, 10},
		{"slow", 0.5, time.Second, DurationRequestCap, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := openQuota(Config{Rate: tc.rate, Duration: tc.d}, tc.quota)
			if got != tc.want {
				t.Errorf("openQuota = %d, want %d", got, tc.want)
			}
			// By definition: every slot below it is inside the duration.
			if tc.d > 0 && got > 0 && intendedOffset(got-1, tc.rate) >= tc.d {
				t.Errorf("slot %d at %v is outside %v", got-1, intendedOffset(got-1, tc.rate), tc.d)
			}
		})
	}
}

func TestValidateOpen(t *testing.T) {
	t.Parallel()
	base := Config{BaseURL: "https://127.0.0.1:1", Modes: []string{"singleton"}, Requests: 10, Concurrency: 2, Rate: 50}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"negative", func(c *Config) { c.Rate = -1 }, "rate -1"},
		{"nan", func(c *Config) { c.Rate = math.NaN() }, "rate NaN"},
		{"inf", func(c *Config) { c.Rate = math.Inf(1) }, "rate +Inf"},
		{"too high", func(c *Config) { c.Rate = 2e6 }, "rate 2e+06"},
		{"threshold without rate", func(c *Config) { c.Rate = 0; c.LateThreshold = time.Second }, "late threshold given without a rate"},
		{"negative threshold", func(c *Config) { c.LateThreshold = -1 }, "negative late threshold"},
		{"hey open", func(c *Config) { c.Modes = []string{"hey"} }, "mode hey: hey is a closed-model reference"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkValidate(t, base, tc.mod, tc.want) })
	}
}

// Cancelling an open-model run stops the schedule at once.
func TestOpenModelCancel(t *testing.T) {
	t.Parallel()
	srv := startMock(t, mockserver.Config{})
	cfg := mockConfig(srv, 1000, 2, "singleton")
	cfg.Rate = 100 // 10 s of schedule
	ctx, cancel := context.WithCancel(context.Background())
	cfg.OnProgress = func(_ string, done, _ int64) {
		if done >= 5 {
			cancel()
		}
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Modes[0]
	if !m.Partial || !res.Partial {
		t.Error("not partial")
	}
	if m.Requests >= 1000 {
		t.Errorf("sent %d: cancel did not stop the schedule", m.Requests)
	}
	if got := m.OK + m.Failed(); got != m.Requests {
		t.Errorf("ok %d + failed %d != sent %d", m.OK, m.Failed(), m.Requests)
	}
}
