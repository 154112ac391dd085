package main

import (
	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/reports"
	"github.com/poolbench/poolbench/scenarios"
)

// publishFlags are run's flags for publishing and distributing runs:
// sharding, the per-request CSV and the progress display.
type publishFlags struct {
	shard       string
	quiet       bool
	requestsCSV bool
	csvMax      int
}

// DefaultCSVMax bounds requests.csv per mode unless --csv-max says otherwise.
const DefaultCSVMax = 100_000

func addPublishFlags(fs *flagSet, f *publishFlags) {
	fs.StringVar(&f.shard, "shard", "", "run shard `i/n` of the scenario (1 <= i <= n): 1/n of the requests (-n) and of the rate (--rate), C workers; merge the shards' reports with poolbench merge")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bars on stderr (they are drawn only when stderr is a terminal)")
	fs.BoolVar(&f.requestsCSV, "requests-csv", false, "with --out, also write requests.csv: one row per request, at most --csv-max per mode")
	fs.IntVar(&f.csvMax, "csv-max", DefaultCSVMax, "most `rows` per mode in requests.csv")
}

// publishOptions are validated publishFlags.
type publishOptions struct {
	shard          *reports.Shard
	quiet          bool
	recordRequests int
	// progress, set by run once its stderr is known, draws the bars.
	progress *progress
}

// options validates the flags and applies the shard to sc: shard i of n
// sends its share of N (the shares add up to N exactly) and 1/n of the
// rate. A duration-bound run keeps its duration: every shard runs for it.
func (f *publishFlags) options(name string, set map[string]bool, sc *scenarios.Scenario, out bool) (publishOptions, error) {
	o := publishOptions{quiet: f.quiet}
	if set["csv-max"] && (f.csvMax < 1 || f.csvMax > harness.MaxRecordedRequests) {
		return o, usageError("%s: --csv-max %d: want 1..%d rows per mode", name, f.csvMax, harness.MaxRecordedRequests)
	}
	if set["csv-max"] && !f.requestsCSV {
		return o, usageError("%s: --csv-max needs --requests-csv", name)
	}
	if f.requestsCSV {
		if !out {
			return o, usageError("%s: --requests-csv needs --out DIR (requests.csv is written into the bundle)", name)
		}
		o.recordRequests = f.csvMax
	}
	if !set["shard"] {
		return o, nil
	}
	sh, err := parseShard(f.shard)
	if err != nil {
		return o, usageError("%s: --shard %v", name, err)
	}
	w := &sc.Workload
	if w.Requests > 0 {
		total := w.Requests
		w.Requests = shardShare(total, sh)
		if w.Requests == 0 {
			return o, usageError("%s: --shard %d/%d: %d requests leave shard %d none", name, sh.Index, sh.Count, total, sh.Index)
		}
	}
	if w.Rate > 0 {
		w.Rate /= float64(sh.Count)
	}
	o.shard = sh
	return o, nil
}

// configure sets the harness's per-request records and progress.
func (o *publishOptions) configure(cfg *harness.Config) {
	cfg.RecordRequests = o.recordRequests
	if p := o.progress; p != nil {
		if prev := cfg.OnProgress; prev != nil {
			cfg.OnProgress = func(mode string, done, total int64) { prev(mode, done, total); p.update(mode, done, total) }
		} else {
			cfg.OnProgress = p.update
		}
	}
}
