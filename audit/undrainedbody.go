package audit

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"net/http"
	"slices"

	"golang.org/x/tools/go/analysis"
)

// UndrainedBody reports response bodies closed before they were read to EOF, or never
// closed.
var UndrainedBody = &analysis.Analyzer{
	Name: "undrainedbody",
	Doc: `report an http.Response body closed without being drained, or never closed

What it finds, within one function: a response from a call returning
(*http.Response, error) whose Body is closed but never read to EOF (io.ReadAll and
io.Copy drain it; json.NewDecoder(resp.Body).Decode alone does not), or whose Body is
neither closed nor drained, or a response discarded with _.

Why it breaks reuse: an HTTP/1.1 connection goes back to the pool only once its
response body has been read to EOF. Closing a body with bytes left makes the Transport
close the connection, and a body never closed keeps the connection busy for ever, so
the next request dials a new one.

Fix: drain before closing, e.g.
	defer func() { io.Copy(io.Discard, resp.Body); resp.Body.Close() }()
A response or body handed to another function, returned or stored counts as handled
and is not reported; nor are responses to HEAD requests made with Client.Head.`,
	Run: runUndrainedBody,
}

// bodyUse is what a function does with one response variable.
type bodyUse struct {
	handled  bool      // handed on, stored, read another way: not ours to judge
	drained  bool      // read to EOF
	decoded  bool      // read by a json or xml Decoder, which may stop before EOF
	closePos token.Pos // first Body.Close call
}

func runUndrainedBody(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ig := newIgnores(pass)
	info := pass.TypesInfo

	type respVar struct {
		first  token.Pos // the first assignment from a request
		onlyHD bool      // every assignment is from a Head call
	}
	vars := make(map[types.Object]*respVar)
	var order []types.Object

	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			var lhs []ast.Expr
			var rhs []ast.Expr
			switch n := n.(type) {
			case *ast.AssignStmt:
				lhs, rhs = n.Lhs, n.Rhs
			case *ast.ValueSpec:
				for _, id := range n.Names {
					lhs = append(lhs, id)
				}
				rhs = n.Values
			default:
				return true
			}
			if len(rhs) != 1 || len(lhs) < 2 {
				return true
			}
			call, ok := ast.Unparen(rhs[0]).(*ast.CallExpr)
			if !ok || !returnsResponseFirst(info, call) {
				return true
			}
			head := ix.isHeadCall(call)
			id, ok := ast.Unparen(lhs[0]).(*ast.Ident)
			if !ok {
				return true // stored in a field or element: handled elsewhere
			}
			if id.Name == "_" {
				if !head {
					ig.report(call.Pos(), "response discarded with _: its body is never closed, so the connection never goes back to the pool; keep the response, drain and close its body")
				}
				return true
			}
			obj := info.ObjectOf(id)
			if obj == nil || !isLocal(obj) || ix.isResult(obj) {
				return true
			}
			rv := vars[obj]
			if rv == nil {
				rv = &respVar{first: call.Pos(), onlyHD: true}
				vars[obj] = rv
				order = append(order, obj)
			}
			rv.onlyHD = rv.onlyHD && head
			return true
		})
	}

	for _, obj := range order {
		rv := vars[obj]
		if rv.onlyHD {
			continue
		}
		u := ix.bodyUses(obj)
		switch {
		case u.handled || u.drained:
		case u.closePos.IsValid() && u.decoded:
			ig.report(u.closePos, "response body closed after a Decoder read it, without draining it to EOF: the Transport closes the connection instead of reusing it; drain with io.Copy(io.Discard, resp.Body) before Close")
		case u.closePos.IsValid():
			ig.report(u.closePos, "response body closed without being read to EOF: the Transport closes the connection instead of reusing it; drain with io.Copy(io.Discard, resp.Body) before Close")
		default:
			ig.report(rv.first, "response body is never closed or drained: the connection never goes back to the pool; drain and close it, e.g. defer resp.Body.Close() after io.Copy(io.Discard, resp.Body)")
		}
	}
	return nil, nil
}

// bodyUses classifies every use of the response variable obj.
func (ix *index) bodyUses(obj types.Object) bodyUse {
	var u bodyUse
	for _, id := range ix.uses[obj] {
		v := ix.valueOf(id)
		switch p := ix.parent(v).(type) {
		case *ast.AssignStmt:
			if assignedTo(p, v) != nil {
				u.handled = true // copied to another variable
			}
			// Otherwise resp is being assigned to: not a use of its value.
		case *ast.BinaryExpr:
			// resp != nil
		case *ast.SelectorExpr:
			switch p.Sel.Name {
			case "Body":
				ix.classifyBody(p, &u)
			case "Write":
				u.handled = true // writes the body out, reading it to EOF
			}
		default:
			u.handled = true // returned, stored, sent, ...
		}
	}
	return u
}

// classifyBody records what is done with one resp.Body expression.
func (ix *index) classifyBody(body *ast.SelectorExpr, u *bodyUse) {
	info := ix.pass.TypesInfo
	switch p := ix.parent(body).(type) {
	case *ast.SelectorExpr: // resp.Body.Method
		call, ok := ix.parent(p).(*ast.CallExpr)
		if p.Sel.Name == "Close" && ok && ast.Unparen(call.Fun) == p {
			if !u.closePos.IsValid() || call.Pos() < u.closePos {
				u.closePos = call.Pos()
			}
			return
		}
		u.handled = true // Read and the like: a reader we cannot follow
	case *ast.CallExpr:
		fn := calleeFunc(info, p)
		switch {
		case isFunc(fn, "io", "ReadAll", "Copy", "CopyBuffer") || isFunc(fn, "io/ioutil", "ReadAll"):
			u.drained = true
		case isFunc(fn, "encoding/json", "NewDecoder") || isFunc(fn, "encoding/xml", "NewDecoder"):
			u.decoded = true
		default:
			u.handled = true
		}
	case *ast.BinaryExpr:
		// resp.Body != nil
	case *ast.AssignStmt:
		if assignedTo(p, body) != nil {
			u.handled = true
		}
		// resp.Body = wrapper(resp.Body): the wrapper call is handled above.
	default:
		u.handled = true
	}
}

// returnsResponseFirst reports whether call returns (*http.Response, ...).
func returnsResponseFirst(info *types.Info, call *ast.CallExpr) bool {
	t, ok := info.TypeOf(call).(*types.Tuple)
	return ok && t.Len() >= 2 && isPointerToHTTP(t.At(0).Type(), "Response")
}

// isHeadCall reports whether call sends a HEAD request: http.Head, Client.Head, or
// Client.Do / RoundTrip of a request built in the function by http.NewRequest or
// NewRequestWithContext with the constant method HEAD. The response to a HEAD request
// has no body, and its connection is reused without reading anything.
func (ix *index) isHeadCall(call *ast.CallExpr) bool {
	info := ix.pass.TypesInfo
	fn := calleeFunc(info, call)
	switch {
	case isFunc(fn, "net/http", "Head") || isMethod(fn, "net/http", "Client", "Head"):
		return true
	case isMethod(fn, "net/http", "Client", "Do") || isMethod(fn, "net/http", "Transport", "RoundTrip") ||
		isMethod(fn, "net/http", "RoundTripper", "RoundTrip"):
	default:
		return false
	}
	if len(call.Args) != 1 {
		return false
	}
	id, ok := ast.Unparen(call.Args[0]).(*ast.Ident)
	if !ok {
		return false
	}
	obj := info.ObjectOf(id)
	if obj == nil || !isLocal(obj) {
		return false
	}
	// Every assignment to the request must build a HEAD request.
	var lhs []*ast.Ident
	if d := ix.defs[obj]; d != nil {
		lhs = append(lhs, d)
	}
	for _, u := range ix.uses[obj] {
		if a, ok := ix.parent(u).(*ast.AssignStmt); ok && slices.Contains(a.Lhs, ast.Expr(u)) {
			lhs = append(lhs, u)
		}
	}
	if len(lhs) == 0 {
		return false
	}
	for _, l := range lhs {
		var rhs []ast.Expr
		switch p := ix.parent(l).(type) {
		case *ast.AssignStmt:
			rhs = p.Rhs
		case *ast.ValueSpec:
			rhs = p.Values
		}
		if len(rhs) != 1 {
			return false
		}
		req, ok := ast.Unparen(rhs[0]).(*ast.CallExpr)
		if !ok {
			return false
		}
		method := -1
		switch fn := calleeFunc(info, req); {
		case isFunc(fn, "net/http", "NewRequest"):
			method = 0
		case isFunc(fn, "net/http", "NewRequestWithContext"):
			method = 1
		}
		if method < 0 || len(req.Args) <= method {
			return false
		}
		tv := info.Types[req.Args[method]]
		if tv.Value == nil || tv.Value.Kind() != constant.String || constant.StringVal(tv.Value) != http.MethodHead {
			return false
		}
	}
	return true
}
