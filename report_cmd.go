package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/poolbench/poolbench/reports"
)

func init() {
	commands["report"] = command{"re-render a saved report.json: table, markdown, json, html or benchstat", runReport}
}

func runReport(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("report", "report FILE.json [--format table|markdown|json|html|benchstat] [-o FILE]", stdout)
	format := fs.String("format", "table", "output `format`: table (the comparison), markdown (the whole report), json, html (one self-contained page) or benchstat (Go benchmark lines)")
	out := fs.String("o", "", "write to `file` (atomically) instead of stdout")
	if err := fs.parse(interspersed(fs, args), 1); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		return usageError("report: want one report file (see poolbench report --help)")
	}
	f, err := reports.ParseFormat(*format)
	if err != nil {
		return usageError("report: --format: %v", err)
	}
	r, err := loadReport(fs.Arg(0))
	if err != nil {
		return err
	}
	render := func(w io.Writer) error {
		if f == reports.FormatMarkdown {
			return reports.WriteMarkdown(w, r)
		}
		return reports.Render(w, r, f)
	}
	return writeOutput(stdout, *out, render)
}

// loadReport reads and decodes a report file; a file that is missing or
// not a v1 report is bad input (exit 2).
func loadReport(path string) (*reports.Report, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, usageError("%v", err)
	}
	defer fh.Close()
	r, err := reports.ReadJSON(fh)
	if err != nil {
		return nil, usageError("%s: %v", path, err)
	}
	return r, nil
}

// writeOutput renders to stdout, or to path atomically: a rendering error
// leaves no file behind.
func writeOutput(stdout io.Writer, path string, render func(io.Writer) error) error {
	if path == "" || path == "-" {
		return render(stdout)
	}
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if err := reports.WriteFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	return nil
}
