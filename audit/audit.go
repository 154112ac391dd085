package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"go/token"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"
)

// Analyzers is every poolbench analyzer, in the order their findings are documented.
var Analyzers = []*analysis.Analyzer{NewTransport, DisableKeepAlives, UndrainedBody, DefaultPool}

// Severities of findings.
const (
	// SeverityWarning marks a pattern that defeats connection reuse.
	SeverityWarning = "warning"
	// SeverityHint marks a pattern that may defeat reuse depending on the load.
	SeverityHint = "hint"
)

// Severity returns the severity of the findings of the named analyzer.
func Severity(analyzer string) string {
	if analyzer == DefaultPool.Name {
		return SeverityHint
	}
	return SeverityWarning
}

// Finding is one diagnostic of one analyzer, with its position resolved.
type Finding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Analyzer string `json:"analyzer"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// String formats f like go vet: file:line:col: [analyzer] message.
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: [%s] %s", f.File, f.Line, f.Col, f.Analyzer, f.Message)
}

// ErrNoPackages is returned by Run when the patterns match no package.
var ErrNoPackages = errors.New("no packages matched")

// LoadError is returned by Run when packages cannot be listed, parsed or type-checked:
// the analyzers need well-typed code.
type LoadError struct {
	// Errors holds one line per package error, as go/packages reports it.
	Errors []string
}

// Error reports the first errors.
func (e *LoadError) Error() string {
	const max = 10
	errs := e.Errors
	more := ""
	if len(errs) > max {
		more = fmt.Sprintf("\n\t(and %d more)", len(errs)-max)
		errs = errs[:max]
	}
	return "cannot load packages:\n\t" + strings.Join(errs, "\n\t") + more
}

// Run loads the packages matching patterns (go list syntax, resolved in dir; "" is
// the current directory), including their tests as go vet does, runs [Analyzers] on
// them and returns the findings sorted by file, line and column, each once. File
// names are absolute.
func Run(ctx context.Context, dir string, patterns []string) ([]Finding, error) {
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	cfg := &packages.Config{
		Context: ctx,
		Dir:     dir,
		Mode:    packages.LoadSyntax | packages.NeedModule,
		Tests:   true,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, &LoadError{Errors: []string{err.Error()}}
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%w %s", ErrNoPackages, strings.Join(patterns, " "))
	}
	var loadErrs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			loadErrs = append(loadErrs, e.Error())
		}
	})
	if len(loadErrs) > 0 {
		slices.Sort(loadErrs)
		return nil, &LoadError{Errors: slices.Compact(loadErrs)}
	}

	graph, err := checker.Analyze(Analyzers, pkgs, nil)
	if err != nil {
		return nil, err
	}
	var findings []Finding
	seen := make(map[Finding]bool) // a package and its test variant share files
	for act := range graph.All() {
		if !act.IsRoot {
			continue
		}
		if act.Err != nil {
			return nil, fmt.Errorf("%s: %w", act, act.Err)
		}
		fset := act.Package.Fset
		for _, d := range act.Diagnostics {
			f := finding(fset, act.Analyzer.Name, d)
			if !seen[f] {
				seen[f] = true
				findings = append(findings, f)
			}
		}
	}
	slices.SortFunc(findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Analyzer, b.Analyzer),
			cmp.Compare(a.Message, b.Message))
	})
	return findings, nil
}

func finding(fset *token.FileSet, analyzer string, d analysis.Diagnostic) Finding {
	p := fset.Position(d.Pos)
	return Finding{
		File:     p.Filename,
		Line:     p.Line,
		Col:      p.Column,
		Analyzer: analyzer,
		Message:  d.Message,
		Severity: Severity(analyzer),
	}
}
