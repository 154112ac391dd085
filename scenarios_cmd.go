package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/poolbench/poolbench/scenarios"
)

func init() {
	commands["scenarios"] = command{"list the built-in scenarios, or print one as YAML", runScenarios}
}

// runScenarios lists the catalog, one line each, or prints the scenario
// named by its argument (a catalog name or a file) as YAML: a starting
// point for a scenario file of one's own.
func runScenarios(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("scenarios", "scenarios [NAME|FILE]", stdout)
	if err := fs.parse(args, 1); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() == 1 {
		sc, err := scenarios.Load(fs.Arg(0))
		if err != nil {
			var se *scenarios.Error
			if errors.As(err, &se) {
				return usageError("%v", err)
			}
			return usageError("scenarios: %v", err)
		}
		b, err := sc.YAML()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, sc := range scenarios.Catalog() {
		def := ""
		if sc.Name == scenarios.Default {
			def = " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s%s\n", sc.Name, sc.Description, def)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nRun one with 'poolbench run --scenario NAME'; 'poolbench scenarios NAME' prints it as YAML to start a file of your own.")
	return nil
}
