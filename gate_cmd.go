package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/poolbench/poolbench/gate"
	"github.com/poolbench/poolbench/reports"
	"github.com/poolbench/poolbench/scenarios"
)

func init() {
	commands["gate"] = command{"run a scenario (or read a report) and fail unless its thresholds hold", runGate}
}

// gateFailed is the error of a gate whose checks did not all pass: exit 1.
type gateFailed struct{ summary string }

func (e *gateFailed) Error() string { return "gate " + e.summary }

// ExitCode returns 1: a check failed (bad input is 2).
func (e *gateFailed) ExitCode() int { return 1 }

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, "; ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// gateFlags are the flags gate adds to run's.
type gateFlags struct {
	report      string
	thresholds  listFlag
	baseline    string
	regressions listFlag
	junit       string
}

// gateOptions is a validated gate: the run (unless a report is read) and
// everything to check it against.
type gateOptions struct {
	run        runOptions
	report     *reports.Report // read from --report; nil: run
	thresholds []*gate.Threshold
	baseline   *reports.Report
	tolerances gate.Tolerances
	junit      string
	summary    string // $GITHUB_STEP_SUMMARY
}

func runGate(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("gate", "gate [run flags] [--report FILE] [--threshold EXPR]... [--baseline FILE [--max-regression METRIC=TOL]...] [--junit FILE]", stdout)
	f := addRunFlags(fs)
	g := &gateFlags{}
	fs.StringVar(&g.report, "report", "", "gate a saved report.json `file` instead of running")
	fs.Var(&g.thresholds, "threshold", "a check, e.g. 'singleton.dials <= concurrency' (repeatable; see docs/gate.md); added to the scenario's thresholds")
	fs.StringVar(&g.baseline, "baseline", "", "fail when a count got worse than in this saved report.json `file` (timings: see --max-regression)")
	fs.Var(&g.regressions, "max-regression", "let a baseline metric get worse by `METRIC=TOL`: p99=10%, p99=2ms, dials=2, singleton.p50=5% (repeatable; counts default to exact)")
	fs.StringVar(&g.junit, "junit", "", "write the checks as JUnit XML to `file`")
	if err := fs.parse(args, 0); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	opts, err := g.options(fs, f)
	if err != nil {
		return err
	}
	return gateRun(ctx, stdout, opts)
}

// options validates every flag and reads every input file before anything
// runs, so bad input costs no run and writes nothing.
func (g *gateFlags) options(fs *flagSet, f *runFlags) (gateOptions, error) {
	run, err := f.options(fs)
	if err != nil {
		return gateOptions{}, err
	}
	opts := gateOptions{run: run, tolerances: gate.Tolerances{}, junit: g.junit, summary: os.Getenv("GITHUB_STEP_SUMMARY")}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	sc := run.scenario
	if g.report != "" {
		// The workload flags describe a run; with a report there is none.
		for _, name := range runOnlyFlags() {
			if set[name] {
				return gateOptions{}, usageError("gate: --%s applies to a run, not to --report", name)
			}
		}
		if opts.report, err = readReport(g.report); err != nil {
			return gateOptions{}, usageError("gate: --report: %v", err)
		}
		if opts.report.Partial {
			return gateOptions{}, usageError("gate: --report %s: the run was stopped before it finished; a gate needs a complete run", g.report)
		}
		if !set["scenario"] {
			// The report's own scenario, if the catalog knows it.
			var err error
			if sc, err = scenarios.Lookup(opts.report.Scenario.Name); err != nil {
				sc = scenarios.Scenario{Name: opts.report.Scenario.Name}
			}
		}
	}
	scenarioExprs := sc.Thresholds
	if len(scenarioExprs) == 0 && sc.Name == scenarios.Default {
		scenarioExprs = gate.DefaultThresholds
	}
	for i, e := range scenarioExprs {
		t, err := gate.Parse(e)
		if err != nil {
			return gateOptions{}, usageError("gate: scenario %s: thresholds[%d]: %v", sc.Name, i, err)
		}
		t.Source, t.Optional = "scenario", true
		opts.thresholds = append(opts.thresholds, t)
	}
	for _, e := range g.thresholds {
		t, err := gate.Parse(e)
		if err != nil {
			return gateOptions{}, usageError("gate: --threshold: %v", err)
		}
		t.Source = "flag"
		opts.thresholds = append(opts.thresholds, t)
	}
	for _, s := range g.regressions {
		if err := opts.tolerances.Parse(s); err != nil {
			return gateOptions{}, usageError("gate: --max-regression: %v", err)
		}
	}
	if len(g.regressions) > 0 && g.baseline == "" {
		return gateOptions{}, usageError("gate: --max-regression needs --baseline")
	}
	if g.baseline != "" {
		if opts.baseline, err = readReport(g.baseline); err != nil {
			return gateOptions{}, usageError("gate: --baseline: %v", err)
		}
	}
	if len(opts.thresholds) == 0 && opts.baseline == nil {
		return gateOptions{}, usageError("gate: nothing to check: scenario %s has no thresholds; give --threshold or --baseline", sc.Name)
	}
	if g.junit != "" {
		if err := checkWritable(g.junit); err != nil {
			return gateOptions{}, usageError("gate: --junit: %v", err)
		}
	}
	return opts, nil
}

// runOnlyFlags returns the names of run's flags that shape a run: all but
// the output flags and --scenario, which also picks thresholds. A flag run
// gains later is refused with --report until it is listed here.
func runOnlyFlags() []string {
	fs := newFlagSet("gate", "", io.Discard)
	addRunFlags(fs)
	var names []string
	fs.VisitAll(func(fl *flag.Flag) {
		switch fl.Name {
		case "scenario", "format", "out", "force", "csv-max", "quiet":
		default:
			names = append(names, fl.Name)
		}
	})
	return names
}

func readReport(path string) (*reports.Report, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r, err := reports.ReadJSON(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// checkWritable fails when path's directory does not exist or path is a
// directory: found before the run, not after it.
func checkWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// gateRun runs (or takes) the report, evaluates the checks, writes every
// output and returns *gateFailed when a check failed.
func gateRun(ctx context.Context, stdout io.Writer, opts gateOptions) error {
	rep := opts.report
	if rep == nil {
		var err error
		if rep, err = execute(ctx, opts.run); err != nil {
			return err
		}
		if rep.Partial {
			// A stopped run has no verdict: its counts fall short by design.
			if err := emit(stdout, rep, opts.run); err != nil {
				return err
			}
			if cause := context.Cause(ctx); cause != nil {
				return cause
			}
			return errors.New("gate: the run was stopped before it finished: no verdict")
		}
	}
	ts := opts.thresholds
	if opts.baseline != nil {
		bl, err := gate.Baseline(opts.baseline, rep, opts.tolerances)
		if err != nil {
			return usageError("gate: --baseline: %v", err)
		}
		ts = append(ts, bl...)
	}
	v, err := gate.Evaluate(rep, ts)
	if err != nil {
		return usageError("gate: %v", err)
	}
	rep.Gate = v.Report()

	if opts.run.format == reports.FormatJSON {
		if err := reports.WriteJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		md := opts.run.format == reports.FormatMarkdown
		if err := reports.WriteTable(stdout, rep, md); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		if err := gate.WriteTable(stdout, v, md); err != nil {
			return err
		}
	}
	if opts.run.out != "" {
		if err := reports.WriteBundle(opts.run.out, rep, reports.BundleOptions{Force: opts.run.force}); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if opts.junit != "" {
		var b bytes.Buffer
		if err := gate.WriteJUnit(&b, v, "poolbench gate: "+rep.Scenario.Name); err != nil {
			return err
		}
		if err := reports.WriteFileAtomic(opts.junit, b.Bytes()); err != nil {
			return fmt.Errorf("--junit: %w", err)
		}
	}
	if opts.summary != "" {
		if err := appendStepSummary(opts.summary, rep, v); err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
		}
	}
	if !v.Passed {
		passed, failed, _ := v.Counts()
		return &gateFailed{summary: fmt.Sprintf("failed: %d of %d checks failed", failed, passed+failed)}
	}
	return nil
}

// appendStepSummary appends the verdict and the comparison as markdown to
// GitHub's job summary file.
func appendStepSummary(path string, rep *reports.Report, v *gate.Verdict) error {
	var b bytes.Buffer
	status := "PASS"
	if !v.Passed {
		status = "FAIL"
	}
	fmt.Fprintf(&b, "### poolbench gate: %s — %s\n\n", rep.Scenario.Name, status)
	if err := gate.WriteTable(&b, v, true); err != nil {
		return err
	}
	b.WriteString("\n<details><summary>Comparison</summary>\n\n")
	if err := reports.WriteTable(&b, rep, true); err != nil {
		return err
	}
	b.WriteString("\n</details>\n\n")
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fh.Write(b.Bytes()); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
