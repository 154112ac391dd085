package audit

import (
	"fmt"
	"go/token"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// directive is the comment prefix that silences a finding.
const directive = "//poolbench:ignore"

// ignores holds, for one analyzer and package, the lines that carry a
// poolbench:ignore directive naming it.
type ignores struct {
	pass *analysis.Pass
	// lines maps file name and line to whether the directive there gave a reason.
	lines map[string]map[int]bool
}

func newIgnores(pass *analysis.Pass) *ignores {
	ig := &ignores{pass: pass, lines: make(map[string]map[int]bool)}
	for _, f := range pass.Files {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				rest, ok := strings.CutPrefix(c.Text, directive)
				if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
					continue
				}
				fields := strings.Fields(rest)
				if len(fields) == 0 || !slices.Contains(strings.Split(fields[0], ","), pass.Analyzer.Name) {
					continue
				}
				pos := pass.Fset.Position(c.Pos())
				if ig.lines[pos.Filename] == nil {
					ig.lines[pos.Filename] = make(map[int]bool)
				}
				ig.lines[pos.Filename][pos.Line] = len(fields) > 1
			}
		}
	}
	return ig
}

// report reports a finding at pos unless a directive with a reason on that line or
// the line above silences it.
func (ig *ignores) report(pos token.Pos, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p := ig.pass.Fset.Position(pos)
	for _, line := range []int{p.Line, p.Line - 1} {
		hasReason, ok := ig.lines[p.Filename][line]
		if !ok {
			continue
		}
		if hasReason {
			return
		}
		msg += " (" + directive + " needs a reason after the analyzer name)"
		break
	}
	ig.pass.Report(analysis.Diagnostic{Pos: pos, Category: ig.pass.Analyzer.Name, Message: msg})
}
