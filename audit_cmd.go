package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/poolbench/poolbench/audit"
)

func init() {
	commands["audit"] = command{"find code that defeats connection reuse, statically (like go vet)", runAudit}
}

// auditFindingsError reports that the audit found something: the process exits 1.
type auditFindingsError struct{ n int }

func (e auditFindingsError) Error() string { return fmt.Sprintf("audit: %d findings", e.n) }

// ExitCode makes findings exit 1, like a failed gate.
func (auditFindingsError) ExitCode() int { return 1 }

// runAudit is `poolbench audit [--format text|json] [packages]`.
func runAudit(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output `format`: text (file:line:col: [analyzer] message) or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: poolbench audit [--format text|json] [packages]   (default ./...)")
		fmt.Fprintln(fs.Output(), "\nReports code that defeats HTTP connection reuse. Analyzers:")
		for _, a := range audit.Analyzers {
			summary, _, _ := strings.Cut(a.Doc, "\n")
			fmt.Fprintf(fs.Output(), "  %-18s %s\n", a.Name, summary)
		}
		fmt.Fprintln(fs.Output(), "\nSilence a finding with //poolbench:ignore <analyzer> <reason> on its line or the line above.")
		fmt.Fprintln(fs.Output(), "Exit codes: 0 clean, 1 findings, 2 bad input.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: audit: %v", errUsage, err)
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("%w: audit: --format must be text or json, not %q", errUsage, *format)
	}

	findings, err := audit.Run(ctx, "", fs.Args())
	var loadErr *audit.LoadError
	switch {
	case errors.As(err, &loadErr), errors.Is(err, audit.ErrNoPackages):
		return fmt.Errorf("%w: audit: %v", errUsage, err)
	case err != nil:
		return fmt.Errorf("audit: %w", err)
	}

	if cwd, err := os.Getwd(); err == nil {
		for i, f := range findings {
			if rel, err := filepath.Rel(cwd, f.File); err == nil && !strings.HasPrefix(rel, "..") {
				findings[i].File = rel
			}
		}
	}
	if *format == "json" {
		if findings == nil {
			findings = []audit.Finding{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(findings); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			if _, err := fmt.Fprintln(stdout, f); err != nil {
				return err
			}
		}
	}
	if len(findings) > 0 {
		return auditFindingsError{len(findings)}
	}
	return nil
}
