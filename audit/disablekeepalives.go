package audit

import (
	"go/ast"
	"go/constant"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// DisableKeepAlives reports http.Transport.DisableKeepAlives set to true outside tests.
var DisableKeepAlives = &analysis.Analyzer{
	Name: "disablekeepalives",
	Doc: `report DisableKeepAlives: true on an http.Transport outside _test.go files

What it finds: a Transport literal with DisableKeepAlives: true, or an assignment
t.DisableKeepAlives = true, with a constant true value, in a non-test file.

Why it breaks reuse: with keep-alives disabled the client sends "Connection: close"
and closes the connection after each response, so every request pays a new TCP
connection and TLS handshake, and sockets pile up in TIME_WAIT.

Fix: remove the setting. To bound idle connections use IdleConnTimeout,
MaxIdleConnsPerHost or Transport.CloseIdleConnections instead. Tests may disable
keep-alives freely; a deliberate production use takes a //poolbench:ignore comment.`,
	Run: runDisableKeepAlives,
}

func runDisableKeepAlives(pass *analysis.Pass) (any, error) {
	info := pass.TypesInfo
	ig := newIgnores(pass)
	isTrue := func(e ast.Expr) bool {
		tv, ok := info.Types[e]
		return ok && tv.Value != nil && tv.Value.Kind() == constant.Bool && constant.BoolVal(tv.Value)
	}
	isField := func(id *ast.Ident) bool {
		obj := info.ObjectOf(id)
		return obj != nil && obj.Name() == "DisableKeepAlives" && obj.Pkg() != nil && obj.Pkg().Path() == "net/http"
	}
	const msg = "DisableKeepAlives: true closes every connection after one request, so nothing is reused and each request pays a new TCP and TLS handshake; remove it (bound idle connections with IdleConnTimeout or MaxIdleConnsPerHost instead)"
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && isField(id) && isTrue(n.Value) {
					ig.report(n.Pos(), msg)
				}
			case *ast.AssignStmt:
				if len(n.Lhs) != len(n.Rhs) {
					break
				}
				for i, lhs := range n.Lhs {
					if sel, ok := ast.Unparen(lhs).(*ast.SelectorExpr); ok && isField(sel.Sel) && isTrue(n.Rhs[i]) {
						ig.report(n.Pos(), msg)
					}
				}
			}
			return true
		})
	}
	return nil, nil
}
