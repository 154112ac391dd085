package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/mockserver"
	"github.com/poolbench/poolbench/reports"
	"github.com/poolbench/poolbench/scenarios"
)

func init() {
	commands["run"] = command{"run a scenario in each client mode and print the comparison", runRun}
}

// runFlags are the flags shared by run and gate.
type runFlags struct {
	scenario string
	modes    string
	n, c     int
	duration time.Duration
	timeout  time.Duration
	format   string
	out      string
	force    bool
	rate     float64
	rtt      time.Duration
	warmup   time.Duration
	cpuprof  string
	remote   remoteFlags
	publish  publishFlags
}

func addRunFlags(fs *flagSet) *runFlags {
	f := &runFlags{}
	fs.StringVar(&f.scenario, "scenario", scenarios.Default, "catalog scenario `name` (see poolbench scenarios), or a scenario file (a path ending .yaml or .yml, or containing a slash)")
	fs.StringVar(&f.modes, "modes", "", "comma-separated client `modes` to compare; the first is the baseline (default: the scenario's)")
	fs.IntVar(&f.n, "n", 0, "requests per mode (default: the scenario's)")
	fs.IntVar(&f.c, "c", 0, "concurrency: workers with one request in flight each (default: the scenario's)")
	fs.DurationVar(&f.duration, "duration", 0, "stop each mode after this `duration` (with -n: whichever comes first)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "per-request `timeout`")
	fs.StringVar(&f.format, "format", "table", "output `format`: table, markdown or json")
	fs.StringVar(&f.out, "out", "", "write the report bundle into `dir`: report.json, report.md, <mode>.hgrm, latency.svg/.png, connections.svg")
	fs.BoolVar(&f.force, "force", false, "let --out write into a non-empty directory")
	fs.Float64Var(&f.rate, "rate", 0, "open model: send `R` requests/s on a fixed schedule whatever the responses (needs -n or --duration; latency is corrected for coordinated omission)")
	fs.DurationVar(&f.rtt, "rtt", 0, "emulate a network round trip of `D` on the mock's listener (e.g. 25ms)")
	fs.DurationVar(&f.warmup, "warmup", 0, "send requests for `D` before each mode and leave them out of its results (measure a warm pool)")
	fs.StringVar(&f.cpuprof, "cpuprofile", "", "write a CPU profile of poolbench itself to `file` (go tool pprof): where the client's time goes")
	addRemoteFlags(fs, &f.remote)
	addPublishFlags(fs, &f.publish)
	return f
}

// maxTimeout bounds --timeout.
const maxTimeout = time.Hour

// runOptions is a validated run: everything the CLI learnt from flags.
type runOptions struct {
	scenario scenarios.Scenario
	// remote is the external target (--target); nil: the in-process mock.
	remote  *remoteOptions
	timeout time.Duration
	format  reports.Format
	out     string
	force   bool
	cpuprof string
	publish publishOptions
}

// flagSet is a flag.FlagSet that reports errors to the caller instead of
// printing them, so a bad flag becomes one line and exit 2, and prints its
// help to stdout only when asked.
type flagSet struct {
	*flag.FlagSet
	help func()
}

func newFlagSet(name, synopsis string, stdout io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // flag calls it on every error; parse prints help
	return &flagSet{FlagSet: fs, help: func() {
		fmt.Fprintf(stdout, "Usage: poolbench %s\n\nFlags:\n", synopsis)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}}
}

// parse parses args; -h prints help and returns flag.ErrHelp, any other
// problem is a usage error. Positional arguments are refused unless
// maxArgs allows them.
func (fs *flagSet) parse(args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return err
		}
		return usageError("%s: %v (see poolbench %s --help)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > maxArgs {
		return usageError("%s: unexpected argument %q (see poolbench %s --help)", fs.Name(), fs.Arg(maxArgs), fs.Name())
	}
	return nil
}

// options validates the flags against each other and the scenario. Every
// check happens before anything runs.
func (f *runFlags) options(fs *flagSet) (runOptions, error) {
	name := fs.Name()
	sc, err := scenarios.Load(f.scenario)
	if err != nil {
		var se *scenarios.Error
		if errors.As(err, &se) {
			return runOptions{}, usageError("%v", err) // file:line:col first
		}
		return runOptions{}, usageError("%s: --scenario: %v", name, err)
	}
	w := &sc.Workload
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["n"] {
		if f.n < 1 || f.n > harness.MaxRequests {
			return runOptions{}, usageError("%s: -n %d: want 1..%d requests", name, f.n, harness.MaxRequests)
		}
		w.Requests = f.n
	}
	if set["c"] {
		if f.c < 1 || f.c > harness.MaxConcurrency {
			return runOptions{}, usageError("%s: -c %d: want 1..%d workers", name, f.c, harness.MaxConcurrency)
		}
		w.Concurrency = f.c
	}
	if set["duration"] {
		if f.duration <= 0 || f.duration > harness.MaxDuration {
			return runOptions{}, usageError("%s: --duration %v: want more than 0 and at most %v", name, f.duration, harness.MaxDuration)
		}
		w.Duration = f.duration
		if !set["n"] {
			w.Requests = 0 // the duration rules, up to harness.DurationRequestCap
		}
	}
	if set["rate"] {
		if f.rate <= 0 || f.rate > harness.MaxRate || f.rate != f.rate {
			return runOptions{}, usageError("%s: --rate %v: want more than 0 and at most %d requests/s", name, f.rate, harness.MaxRate)
		}
		if !set["n"] && !set["duration"] {
			return runOptions{}, usageError("%s: --rate needs -n or --duration to bound the run", name)
		}
		w.Model, w.Rate = scenarios.Open, f.rate
		if !set["n"] {
			w.Requests = 0
		}
		if !set["duration"] && w.Duration > 0 && set["n"] {
			w.Duration = 0 // -n rules
		}
	}
	if set["warmup"] {
		if f.warmup < 0 || f.warmup > harness.MaxDuration {
			return runOptions{}, usageError("%s: --warmup %v: want 0..%v", name, f.warmup, harness.MaxDuration)
		}
		w.Warmup = f.warmup
	}
	if set["rtt"] {
		if f.rtt < 0 || f.rtt > mockserver.MaxRTT {
			return runOptions{}, usageError("%s: --rtt %v: want 0..%v", name, f.rtt, mockserver.MaxRTT)
		}
		sc.Network.RTT = f.rtt
	}
	pub, err := f.publish.options(name, set, &sc, f.out != "")
	if err != nil {
		return runOptions{}, err
	}
	if w.Model == scenarios.Closed && w.Requests > 0 && w.Concurrency > w.Requests {
		return runOptions{}, usageError("%s: -c %d is more than the %d requests (-n)", name, w.Concurrency, w.Requests)
	}
	if set["modes"] {
		if sc.Modes, err = scenarios.ParseModes(f.modes); err != nil {
			return runOptions{}, usageError("%s: --modes: %v", name, err)
		}
	}
	// The flags may have made the scenario inconsistent (e.g. -n on an
	// open-model scenario bound by its duration is fine, a negative
	// anything is not): check the whole of it once more.
	if err := sc.Validate(); err != nil {
		return runOptions{}, usageError("%s: %v", name, err)
	}
	// A request may not outlast the longest run: a stalled server then
	// still ends the run in bounded time (at most -n × --timeout).
	if f.timeout <= 0 || f.timeout > maxTimeout {
		return runOptions{}, usageError("%s: --timeout %v: want more than 0 and at most %v", name, f.timeout, maxTimeout)
	}
	remote, err := f.remote.options(name, set)
	if err != nil {
		return runOptions{}, err
	}
	if remote != nil && set["rtt"] {
		return runOptions{}, usageError("%s: --rtt emulates a round trip on the in-process mock; with --target, give it to poolbench serve", name)
	}
	format, err := reports.ParseFormat(f.format)
	if err != nil {
		return runOptions{}, usageError("%s: --format: %v", name, err)
	}
	if f.out != "" {
		if err := reports.CheckOutDir(f.out, f.force); err != nil {
			return runOptions{}, usageError("%s: --out: %v", name, err)
		}
	}
	if f.cpuprof != "" {
		if err := checkWritable(f.cpuprof); err != nil {
			return runOptions{}, usageError("%s: --cpuprofile: %v", name, err)
		}
	}
	return runOptions{scenario: sc, remote: remote, timeout: f.timeout, format: format, out: f.out, force: f.force, cpuprof: f.cpuprof, publish: pub}, nil
}

func runRun(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("run", "run [--scenario NAME] [--modes a,b] [-n N] [-c C] [--duration D] [--format table|markdown|json] [--out DIR]", stdout)
	f := addRunFlags(fs)
	if err := fs.parse(args, 0); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	opts, err := f.options(fs)
	if err != nil {
		return err
	}
	opts.publish.progress = newProgress(stderr, opts.publish.quiet)
	rep, err := execute(ctx, opts)
	opts.publish.progress.finish()
	if err != nil {
		return err
	}
	return emit(stdout, rep, opts)
}

// testHookProgress, when a test sets it, receives the harness's progress
// reports (the cancellation tests send a signal once requests are done).
var testHookProgress func(mode string, done, total int64)

// execute starts the mock for the scenario, runs every mode and builds the report.
func execute(ctx context.Context, opts runOptions) (_ *reports.Report, err error) {
	stopProfile, err := startCPUProfile(opts.cpuprof)
	if err != nil {
		return nil, err
	}
	defer func() {
		if perr := stopProfile(err == nil); err == nil {
			err = perr
		}
	}()
	sc := opts.scenario
	// Configs is the one mapping from a scenario to the server's and the
	// harness's settings; only the target is filled in here.
	srvCfg, cfg := sc.Configs()
	if opts.remote != nil {
		defer targetConfig(ctx, &cfg, opts.remote)()
	} else {
		srv, err := mockserver.NewServer(srvCfg)
		if err != nil {
			return nil, fmt.Errorf("start mock server: %w", err)
		}
		defer srv.Close()
		cfg.BaseURL = srv.URL
		cfg.TLSConfig = srv.ClientTLSConfig()
		cfg.Server = harness.InProcess(srv)
	}
	cfg.Timeout = opts.timeout
	if testHookProgress != nil {
		cfg.OnProgress = testHookProgress
	}
	opts.publish.configure(&cfg)
	res, err := harness.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rsc := reports.Scenario{
		Name:        sc.Name,
		Description: sc.Description,
		Requests:    sc.Workload.Requests,
		Concurrency: sc.Workload.Concurrency,
		DurationS:   sc.Workload.Duration.Seconds(),
		Modes:       cfg.Modes,
		LatencyMS:   float64(sc.Server.Latency.Fixed) / float64(time.Millisecond),
		HTTP2:       sc.HTTP2(),
		RateRPS:     cfg.Rate,
		RTTMS:       float64(srvCfg.RTT) / float64(time.Millisecond),
		WarmupS:     cfg.Warmup.Seconds(),
	}
	if opts.remote != nil {
		rsc.Target = opts.remote.url
		rsc.LatencyMS, rsc.RTTMS = 0, 0
	}
	rep, err := reports.FromResult(rsc, res)
	if err != nil {
		return nil, err
	}
	if opts.remote != nil && opts.remote.insecure {
		rep.Insecure = true
	}
	rep.Shard = opts.publish.shard
	return rep, nil
}

// emit prints the report in the chosen format and writes the bundle.
func emit(stdout io.Writer, rep *reports.Report, opts runOptions) error {
	if err := reports.Render(stdout, rep, opts.format); err != nil {
		return err
	}
	if opts.out != "" {
		if err := reports.WriteBundle(opts.out, rep, reports.BundleOptions{Force: opts.force}); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	return nil
}
