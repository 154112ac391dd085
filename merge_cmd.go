package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/poolbench/poolbench/reports"
)

func init() {
	commands["merge"] = command{"merge the reports of a run's shards into one, losslessly", runMerge}
}

func runMerge(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("merge", "merge A.json B.json ... -o OUT.json [--format table|markdown|json|html]", stdout)
	out := fs.String("o", "", "write the merged report (JSON) to `file`; required")
	format := fs.String("format", "table", "also print the merged report on stdout in this `format` (table, markdown, json, html, benchstat; none: print nothing)")
	if err := fs.parse(interspersed(fs, args), 1<<20); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() < 1 {
		return usageError("merge: want the report files of the shards (see poolbench merge --help)")
	}
	if *out == "" {
		return usageError("merge: -o OUT.json is required")
	}
	var f reports.Format
	if *format != "none" {
		var err error
		if f, err = reports.ParseFormat(*format); err != nil {
			return usageError("merge: --format: %v", err)
		}
	}
	var rs []*reports.Report
	for _, path := range fs.Args() {
		r, err := loadReport(path)
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	merged, warnings, err := reports.Merge(rs, fs.Args())
	if err != nil {
		return usageError("%v", err) // the inputs do not belong together
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "poolbench: merge:", w)
	}
	if err := writeOutput(stdout, *out, func(w io.Writer) error { return reports.WriteJSON(w, merged) }); err != nil {
		return err
	}
	if f == "" {
		return nil
	}
	return reports.Render(stdout, merged, f)
}

// interspersed moves flags (with their values) before the positional
// arguments, so "merge a.json b.json -o out.json" parses as the synopsis
// shows: the flag package stops at the first positional argument. A flag
// takes the next argument as its value unless it is boolean or written
// -flag=value.
func interspersed(fs *flagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			fl := fs.Lookup(name)
			if fl == nil { // unknown: parse reports it
				continue
			}
			if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

// parseShard parses --shard i/n: shard i (1-based) of n.
func parseShard(s string) (*reports.Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%q: want i/n, e.g. 1/4 (shard i of n, counted from 1)", s)
	}
	if n < 1 || n > 10000 || i < 1 || i > n {
		return nil, fmt.Errorf("%q: want 1 <= i <= n <= 10000", s)
	}
	return &reports.Shard{Index: i, Count: n}, nil
}

// shardShare is shard sh's part of total: total/n, the first total%n
// shards one more, so the shards' parts add up to total exactly.
func shardShare(total int, sh *reports.Shard) int {
	share := total / sh.Count
	if sh.Index <= total%sh.Count {
		share++
	}
	return share
}
