package audit

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// isNamed reports whether t, or the type t points to, is the named type pkgPath.name.
func isNamed(t types.Type, pkgPath, name string) bool {
	if t == nil {
		return false
	}
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	n, ok := t.(*types.Named)
	if !ok {
		return false
	}
	obj := n.Obj()
	return obj.Pkg() != nil && obj.Pkg().Path() == pkgPath && obj.Name() == name
}

// isHTTP reports whether t, or the type t points to, is net/http.name.
func isHTTP(t types.Type, name string) bool { return isNamed(t, "net/http", name) }

// isPointerTo reports whether t is *net/http.name.
func isPointerToHTTP(t types.Type, name string) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && isHTTP(p.Elem(), name)
}

// isMethod reports whether fn is one of the named methods of pkgPath.typeName.
func isMethod(fn *types.Func, pkgPath, typeName string, names ...string) bool {
	if fn == nil || !slices.Contains(names, fn.Name()) {
		return false
	}
	recv := fn.Signature().Recv()
	return recv != nil && isNamed(recv.Type(), pkgPath, typeName)
}

// isFunc reports whether fn is the package-level function pkgPath.name.
func isFunc(fn *types.Func, pkgPath string, names ...string) bool {
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == pkgPath &&
		fn.Signature().Recv() == nil && slices.Contains(names, fn.Name())
}

// calleeFunc returns the function or method a call statically calls, or nil.
func calleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return fn
}

// sendReceiver returns the client or transport a call sends an HTTP request through
// (the x of x.Do(req), x.Get(url), x.RoundTrip(req), ...), or nil if the call sends
// nothing. Package-level http.Get and friends send through http.DefaultClient, whose
// Transport is shared, so they are not sends through a new pool.
func sendReceiver(info *types.Info, call *ast.CallExpr) ast.Expr {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	if s := info.Selections[sel]; s == nil || s.Kind() != types.MethodVal {
		return nil
	}
	fn, _ := info.Uses[sel.Sel].(*types.Func)
	if isMethod(fn, "net/http", "Client", "Do", "Get", "Post", "PostForm", "Head") ||
		isMethod(fn, "net/http", "Transport", "RoundTrip") ||
		isMethod(fn, "net/http", "RoundTripper", "RoundTrip") {
		return sel.X
	}
	return nil
}

// isTransportCreation reports whether e makes a new http.Transport, that is a new
// connection pool: a composite literal, new(http.Transport) or (*http.Transport).Clone.
func isTransportCreation(info *types.Info, e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.CompositeLit:
		return isHTTP(info.TypeOf(e), "Transport") && !isPointerToHTTP(info.TypeOf(e), "Transport")
	case *ast.CallExpr:
		if id, ok := ast.Unparen(e.Fun).(*ast.Ident); ok && len(e.Args) == 1 {
			if b, ok := info.Uses[id].(*types.Builtin); ok && b.Name() == "new" {
				return isHTTP(info.TypeOf(e.Args[0]), "Transport")
			}
		}
		return isMethod(calleeFunc(info, e), "net/http", "Transport", "Clone")
	}
	return false
}

// index holds what the analyzers need to walk a package's syntax upwards and to find
// every use of a variable.
type index struct {
	pass    *analysis.Pass
	parents map[ast.Node]ast.Node
	uses    map[types.Object][]*ast.Ident
	defs    map[types.Object]*ast.Ident
}

func newIndex(pass *analysis.Pass) *index {
	ix := &index{
		pass:    pass,
		parents: make(map[ast.Node]ast.Node),
		uses:    make(map[types.Object][]*ast.Ident),
		defs:    make(map[types.Object]*ast.Ident),
	}
	for _, f := range pass.Files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			if len(stack) > 0 {
				ix.parents[n] = stack[len(stack)-1]
			}
			stack = append(stack, n)
			return true
		})
	}
	for id, obj := range pass.TypesInfo.Uses {
		ix.uses[obj] = append(ix.uses[obj], id)
	}
	for id, obj := range pass.TypesInfo.Defs {
		if obj != nil {
			ix.defs[obj] = id
		}
	}
	return ix
}

// parent returns the closest enclosing node of n that is not a parenthesis.
func (ix *index) parent(n ast.Node) ast.Node {
	p := ix.parents[n]
	for {
		if _, ok := p.(*ast.ParenExpr); !ok {
			return p
		}
		p = ix.parents[p]
	}
}

// valueOf climbs from e through parentheses and address-of operators to the
// outermost expression that still denotes the same value (or a pointer to it).
func (ix *index) valueOf(e ast.Expr) ast.Expr {
	for {
		switch p := ix.parents[e].(type) {
		case *ast.ParenExpr:
			e = p
		case *ast.UnaryExpr:
			if p.Op != token.AND {
				return e
			}
			e = p
		default:
			return e
		}
	}
}

// enclosingFunc returns the innermost *ast.FuncDecl or *ast.FuncLit around n, or nil
// at package level.
func (ix *index) enclosingFunc(n ast.Node) ast.Node {
	for p := ix.parents[n]; p != nil; p = ix.parents[p] {
		switch p.(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return p
		}
	}
	return nil
}

// inLoop reports whether n sits in the body of a for or range loop of its innermost
// enclosing function.
func (ix *index) inLoop(n ast.Node) bool {
	child := n
	for p := ix.parents[n]; p != nil; child, p = p, ix.parents[p] {
		switch p := p.(type) {
		case *ast.FuncDecl, *ast.FuncLit:
			return false
		case *ast.ForStmt:
			if child == p.Body {
				return true
			}
		case *ast.RangeStmt:
			if child == p.Body {
				return true
			}
		}
	}
	return false
}

// funcSignature returns the signature of a *ast.FuncDecl or *ast.FuncLit.
func (ix *index) funcSignature(fn ast.Node) *types.Signature {
	switch fn := fn.(type) {
	case *ast.FuncDecl:
		if obj, ok := ix.pass.TypesInfo.Defs[fn.Name].(*types.Func); ok {
			return obj.Signature()
		}
	case *ast.FuncLit:
		if sig, ok := ix.pass.TypesInfo.TypeOf(fn).(*types.Signature); ok {
			return sig
		}
	}
	return nil
}

// isHandler reports whether fn has the shape of an HTTP handler:
// func(http.ResponseWriter, *http.Request).
func (ix *index) isHandler(fn ast.Node) bool {
	sig := ix.funcSignature(fn)
	if sig == nil || sig.Params().Len() != 2 {
		return false
	}
	return isHTTP(sig.Params().At(0).Type(), "ResponseWriter") &&
		isPointerToHTTP(sig.Params().At(1).Type(), "Request")
}

// isLocal reports whether obj is a variable declared inside a function.
func isLocal(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	if !ok || v.IsField() || v.Pkg() == nil {
		return false
	}
	return v.Parent() != nil && v.Parent() != v.Pkg().Scope()
}

// hasResponseResult reports whether a call's results include an *http.Response.
func hasResponseResult(info *types.Info, call *ast.CallExpr) bool {
	switch t := info.TypeOf(call).(type) {
	case *types.Tuple:
		for v := range t.Variables() {
			if isPointerToHTTP(v.Type(), "Response") {
				return true
			}
		}
	default:
		return t != nil && isPointerToHTTP(t, "Response")
	}
	return false
}

// isPoolCarrierType reports whether t can carry a connection pool: a Transport, a
// Client or a RoundTripper.
func isPoolCarrierType(t types.Type) bool {
	return isHTTP(t, "Transport") || isHTTP(t, "Client") || isHTTP(t, "RoundTripper")
}
