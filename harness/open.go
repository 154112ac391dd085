package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/poolbench/poolbench/execution"
)

// The open model (Config.Rate > 0) sends on a fixed schedule whatever the
// responses, as wrk2 does: request i is intended at epoch + i/Rate.
//
// Schedule. There is no dispatcher and no shared queue: worker w of C owns
// the intended slots w, w+C, w+2C, ... and keeps its own schedule, so each
// worker runs at Rate/C and the request path takes no lock, channel or
// atomic shared with another worker (the same fixed-share layout as the
// closed model). A worker sleeps until its next slot; when its previous
// request is still in flight at that time it is behind, and it sends the
// next request as soon as that one returns. At most C requests are in
// flight. The price of having no dispatcher: a worker that is behind cannot
// hand its slot to an idle one, so with very uneven service times a send can
// be late while another worker waits; that send was late all the same, and
// it is counted as such.
//
// Latency. Latency is measured from the intended send time (corrected for
// coordinated omission: a slow response delays the sends after it, and that
// wait is part of what a user at the given rate would see);
// LatencyUncorrected is measured from the actual send. When nothing is late
// the two agree to within timer jitter.
//
// Late and dropped. A send whose actual time is more than LateThreshold
// (default DefaultLateThreshold) after its intended time is late. When a
// Duration bounds the mode, intended sends whose time falls inside the
// duration but which the worker could not make before the duration ended
// (it was behind) are dropped: never sent, counted in Dropped, never in
// Requests. With only a request count, every intended send is made, late if
// need be, and Dropped is 0; the mode then lasts longer than N/Rate (at
// most N/C × Timeout). Both counts are reported as warnings when not zero.

// DefaultLateThreshold is the lateness beyond which a send counts as late:
// well above timer wake-up jitter on an idle machine (tens of µs), well
// below any round trip poolbench is meant to show.
const DefaultLateThreshold = time.Millisecond

// MaxRate bounds Config.Rate, in requests per second.
const MaxRate = 1_000_000

// validateOpen checks the open-model fields of c.
func (c *Config) validateOpen() []error {
	var errs []error
	if math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) || c.Rate < 0 || c.Rate > MaxRate {
		errs = append(errs, fmt.Errorf("rate %v: want 0 (closed model) or more than 0 and at most %d requests/s", c.Rate, MaxRate))
	}
	if c.LateThreshold < 0 {
		errs = append(errs, errors.New("negative late threshold"))
	}
	if c.Rate > 0 {
		for _, m := range c.Modes {
			if _, ok := c.Runners[m]; !ok && (m == ModeHey || m == ModeHeyNoKeepAlive) && c.runner(m) != nil {
				errs = append(errs, fmt.Errorf("mode %s: hey is a closed-model reference; it cannot run the open model (rate)", m))
			}
		}
	}
	if c.Rate == 0 && c.LateThreshold != 0 {
		errs = append(errs, errors.New("late threshold given without a rate (it applies to the open model)"))
	}
	return errs
}

// intendedOffset is when slot i is intended, after the mode's epoch.
func intendedOffset(i int, rate float64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / rate)
}

// openQuota returns the number of slots the open model schedules: those
// intended before the duration ends (when one is set), at most quota.
func openQuota(cfg Config, quota int) int {
	if cfg.Duration <= 0 {
		return quota
	}
	n := int(math.Min(math.Ceil(cfg.Duration.Seconds()*cfg.Rate), float64(quota)))
	for n > 0 && intendedOffset(n-1, cfg.Rate) >= cfg.Duration {
		n--
	}
	for n < quota && intendedOffset(n, cfg.Rate) < cfg.Duration {
		n++
	}
	return n
}

// openState is one worker's open-model state; like the rest of a worker,
// only that worker writes it.
type openState struct {
	rate      float64
	threshold time.Duration
	// uncorrected is latency from the actual send (µs).
	uncorrected   *hdrhistogram.Histogram
	late, dropped int64
	maxLag        time.Duration
}

func newOpenState(cfg Config) *openState {
	th := cfg.LateThreshold
	if th == 0 {
		th = DefaultLateThreshold
	}
	return &openState{rate: cfg.Rate, threshold: th, uncorrected: NewHistogram()}
}

// runOpen is the open-model loop of worker w: its slots index, index+stride,
// ... each sent at its intended time or, when the worker is behind, as soon
// as it is free.
func (w *worker) runOpen(stop, reqCtx context.Context, svc Client, payload func(int) execution.Request, check *checker, deadline time.Time) {
	ctx, cancel := w.context(reqCtx)
	defer cancel()
	o := w.open
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for k := 0; k < w.share; k++ {
		if stop.Err() != nil {
			return
		}
		i := w.index + k*w.stride
		intended := w.tr.epoch.Add(intendedOffset(i, o.rate))
		if d := time.Until(intended); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-stop.Done():
				return
			}
		}
		start := time.Now()
		if !deadline.IsZero() && !start.Before(deadline) {
			// Every remaining slot of this worker was intended inside the
			// duration (openQuota), and none can be sent now.
			o.dropped += int64(w.share - k)
			return
		}
		lag := start.Sub(intended)
		if lag > o.threshold {
			o.late++
		}
		o.maxLag = max(o.maxLag, lag)
		end := w.send(ctx, svc, payload, check, i, start)
		recordClamped(w.latency, end.Sub(intended))
		recordClamped(o.uncorrected, end.Sub(start))
	}
}

// mergeOpen adds the workers' open-model counts to mr and names lateness
// and drops in its warnings, so they are never hidden.
func mergeOpen(mr *ModeResult, cfg Config, quota int, workers []*worker) {
	mr.Rate = cfg.Rate
	mr.Intended = int64(quota)
	mr.LatencyUncorrected = NewHistogram()
	th := DefaultLateThreshold
	for _, wk := range workers {
		o := wk.open
		th = o.threshold
		mr.Late += o.late
		mr.Dropped += o.dropped
		mr.MaxLag = max(mr.MaxLag, o.maxLag)
		mr.LatencyUncorrected.Merge(o.uncorrected)
	}
	if mr.Late > 0 {
		mr.Warnings = append(mr.Warnings, fmt.Sprintf(
			"open model: %d of %d sends were late (more than %v after their intended time, at most %v): the client fell behind %g req/s with %d workers; latency counts from the intended time (corrected), latency_uncorrected from the actual send",
			mr.Late, mr.Requests, th, mr.MaxLag.Round(time.Microsecond), cfg.Rate, cfg.Concurrency))
	}
	if mr.Dropped > 0 {
		mr.Warnings = append(mr.Warnings, fmt.Sprintf(
			"open model: %d of %d intended sends were dropped (never sent: the duration ended while the client was behind schedule)",
			mr.Dropped, mr.Intended))
	}
}
