package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"github.com/poolbench/poolbench/reports"
)

func init() {
	commands["compare"] = command{"compare two saved runs: deltas per mode and metric, with significance", runCompare}
}

func runCompare(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("compare", "compare OLD.json NEW.json [--format table|markdown|json|benchstat] [--alpha P]", stdout)
	format := fs.String("format", "table", "output `format`: table, markdown, json, or benchstat (both runs as Go benchmark lines, labelled run: old / run: new; see docs/reports.md)")
	alpha := fs.Float64("alpha", reports.DefaultAlpha, "significance `level` of the latency test")
	if err := fs.parse(interspersed(fs, args), 2); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 2 {
		return usageError("compare: want two report files, OLD.json NEW.json (see poolbench compare --help)")
	}
	f, err := reports.ParseFormat(*format)
	if err != nil || f == reports.FormatHTML {
		return usageError("compare: --format %q: want table, markdown, json or benchstat", *format)
	}
	if !(*alpha > 0 && *alpha < 1) {
		return usageError("compare: --alpha %v: want a level between 0 and 1", *alpha)
	}
	old, err := loadReport(fs.Arg(0))
	if err != nil {
		return err
	}
	cur, err := loadReport(fs.Arg(1))
	if err != nil {
		return err
	}
	if f == reports.FormatBenchstat {
		if err := reports.WriteBenchstat(stdout, old, [][2]string{{"run", "old"}}); err != nil {
			return err
		}
		return reports.WriteBenchstat(stdout, cur, [][2]string{{"run", "new"}})
	}
	d, err := reports.CompareRuns(old, cur, *alpha)
	if err != nil {
		return err
	}
	return reports.WriteRunDiff(stdout, d, f)
}
