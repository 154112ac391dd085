package audit

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// poolFlow says where a new connection pool (a Transport, or a Client or RoundTripper
// built on it) goes inside the function that makes it.
type poolFlow struct {
	// sendPos is the first request sent through the pool, if any.
	sendPos token.Pos
	// repeated is set when some request is sent from a loop or closure that does not
	// also make the pool: the pool then serves several requests and is reused.
	repeated bool
	// kept is set when the pool outlives the call: stored in a field, a package
	// variable, a collection or a channel, handed to another function, or returned.
	kept bool
}

// sendsOnce reports whether the function makes the pool only to send through it once
// per call: the shape of a Transport per request.
func (fl poolFlow) sendsOnce() bool { return fl.sendPos.IsValid() && !fl.repeated }

// follow tracks the value made by creation through local variables, Client literals,
// Client.Transport assignments and RoundTripper wrappers, within the package.
func (ix *index) follow(creation ast.Expr) poolFlow {
	info := ix.pass.TypesInfo
	// Loops and closures around the creation repeat the creation too: only those
	// between it and a send make the send reuse the pool.
	around := make(map[ast.Node]bool)
	for p := ix.parents[creation]; p != nil; p = ix.parents[p] {
		around[p] = true
	}
	var fl poolFlow
	seen := make(map[types.Object]bool)
	work := []ast.Expr{creation}

	var into func(lhs ast.Expr)
	into = func(lhs ast.Expr) {
		switch l := ast.Unparen(lhs).(type) {
		case *ast.Ident:
			if l.Name == "_" {
				return
			}
			obj := info.ObjectOf(l)
			if obj == nil {
				return
			}
			if !isLocal(obj) || ix.isResult(obj) {
				fl.kept = true
				return
			}
			if seen[obj] {
				return
			}
			seen[obj] = true
			for _, u := range ix.uses[obj] {
				work = append(work, u)
			}
		case *ast.SelectorExpr:
			// c.Transport = t on a local Client carries the pool into c.
			if l.Sel.Name == "Transport" && isHTTP(info.TypeOf(l.X), "Client") {
				if id, ok := ast.Unparen(l.X).(*ast.Ident); ok && isLocal(info.ObjectOf(id)) {
					into(id)
					return
				}
			}
			fl.kept = true
		default:
			fl.kept = true
		}
	}

	for len(work) > 0 {
		e := work[len(work)-1]
		work = work[:len(work)-1]
		v := ix.valueOf(e)
		switch p := ix.parent(v).(type) {
		case *ast.KeyValueExpr:
			if p.Value != v {
				break
			}
			lit, _ := ix.parent(p).(*ast.CompositeLit)
			if lit != nil && isHTTP(info.TypeOf(lit), "Client") {
				work = append(work, lit)
			} else {
				fl.kept = true
			}
		case *ast.CompositeLit: // an element of a slice, array or map literal
			fl.kept = true
		case *ast.AssignStmt, *ast.ValueSpec:
			for _, lhs := range ix.carriersAssigned(p, v) {
				into(lhs)
			}
		case *ast.ReturnStmt:
			fl.kept = true
		case *ast.SendStmt:
			if p.Value == v {
				fl.kept = true
			}
		case *ast.SelectorExpr:
			call, ok := ix.parent(p).(*ast.CallExpr)
			if ok && ast.Unparen(call.Fun) == p && sendReceiver(info, call) != nil {
				ix.noteSend(&fl, around, call)
			}
		case *ast.CallExpr:
			if !slices.Contains(p.Args, v) {
				break
			}
			if id, ok := ast.Unparen(p.Fun).(*ast.Ident); ok {
				if _, ok := info.Uses[id].(*types.Builtin); ok {
					fl.kept = true // append, copy into a collection
					break
				}
			}
			switch {
			case hasResponseResult(info, p):
				ix.noteSend(&fl, around, p) // a helper that sends with the client it is given
			case isPoolCarrierType(info.TypeOf(p)):
				work = append(work, p) // a RoundTripper wrapping the pool
			default:
				fl.kept = true
			}
		}
	}
	return fl
}

// noteSend records a request sent by call through a pool whose creation is enclosed
// by the nodes in around.
func (ix *index) noteSend(fl *poolFlow, around map[ast.Node]bool, call *ast.CallExpr) {
	if !fl.sendPos.IsValid() || call.Pos() < fl.sendPos {
		fl.sendPos = call.Pos()
	}
	child := ast.Node(call)
	for p := ix.parents[call]; p != nil && !around[p]; child, p = p, ix.parents[p] {
		switch p := p.(type) {
		case *ast.FuncLit:
			fl.repeated = true
		case *ast.ForStmt:
			if child == p.Body {
				fl.repeated = true
			}
		case *ast.RangeStmt:
			if child == p.Body {
				fl.repeated = true
			}
		}
	}
}

// isResult reports whether obj is a named result of its function: assigning to it
// returns the value.
func (ix *index) isResult(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	if !ok {
		return false
	}
	return v.Kind() == types.ResultVar
}

// creationSites lists every expression in the package that makes a new connection
// pool: Transport literals, new(http.Transport), Transport.Clone, and calls to the
// package's own factories (functions that return a pool they made).
func (ix *index) creationSites() []ast.Expr {
	info := ix.pass.TypesInfo
	var direct []ast.Expr
	var calls []*ast.CallExpr
	for _, f := range ix.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit, *ast.CallExpr:
				if isTransportCreation(info, n.(ast.Expr)) {
					direct = append(direct, n.(ast.Expr))
				} else if c, ok := n.(*ast.CallExpr); ok && returnsCarrier(info, c) {
					calls = append(calls, c)
				}
			}
			return true
		})
	}

	factories := make(map[*types.Func]bool)
	markFactory := func(e ast.Expr) bool {
		decl, ok := ix.enclosingFunc(e).(*ast.FuncDecl)
		if !ok {
			return false
		}
		fn, _ := info.Defs[decl.Name].(*types.Func)
		if fn == nil || factories[fn] || !ix.returnsValue(e) {
			return false
		}
		factories[fn] = true
		return true
	}
	for _, e := range direct {
		markFactory(e)
	}
	sites := direct
	for changed := true; changed; {
		changed = false
		for _, c := range calls {
			if fn := calleeFunc(info, c); fn != nil && factories[fn] && !slices.Contains(sites, ast.Expr(c)) {
				sites = append(sites, c)
				if markFactory(c) {
					changed = true
				}
			}
		}
	}
	return sites
}

// returnsValue reports whether the pool made by e is returned by its enclosing
// function, directly or through a local variable or Client literal.
func (ix *index) returnsValue(e ast.Expr) bool {
	info := ix.pass.TypesInfo
	seen := make(map[types.Object]bool)
	work := []ast.Expr{e}
	for len(work) > 0 {
		e := work[len(work)-1]
		work = work[:len(work)-1]
		v := ix.valueOf(e)
		switch p := ix.parent(v).(type) {
		case *ast.ReturnStmt:
			if ix.enclosingFunc(p) == ix.enclosingFunc(e) {
				return true
			}
		case *ast.KeyValueExpr:
			if lit, ok := ix.parent(p).(*ast.CompositeLit); ok && p.Value == v && isHTTP(info.TypeOf(lit), "Client") {
				work = append(work, lit)
			}
		case *ast.CallExpr:
			if slices.Contains(p.Args, v) && isPoolCarrierType(info.TypeOf(p)) {
				work = append(work, p)
			}
		case *ast.AssignStmt, *ast.ValueSpec:
			for _, lhs := range ix.carriersAssigned(p, v) {
				id, ok := lhs.(*ast.Ident)
				if !ok {
					continue
				}
				obj := info.ObjectOf(id)
				if obj == nil || !isLocal(obj) || seen[obj] {
					continue
				}
				if ix.isResult(obj) {
					return true
				}
				seen[obj] = true
				for _, u := range ix.uses[obj] {
					work = append(work, u)
				}
			}
		}
	}
	return false
}

// describe names what a creation site makes, for messages.
func (ix *index) describe(e ast.Expr) string {
	info := ix.pass.TypesInfo
	switch e := e.(type) {
	case *ast.CompositeLit:
		return "new http.Transport"
	case *ast.CallExpr:
		fn := calleeFunc(info, e)
		switch {
		case fn == nil:
			return "new(http.Transport)"
		case isMethod(fn, "net/http", "Transport", "Clone"):
			return "http.Transport.Clone()"
		default:
			return "call to " + fn.Name() + " (which makes a new http.Transport)"
		}
	}
	return "new http.Transport"
}

// isInit reports whether fn is a package init function.
func isInit(fn ast.Node) bool {
	d, ok := fn.(*ast.FuncDecl)
	return ok && d.Recv == nil && d.Name.Name == "init"
}

// assignedTo returns the left-hand side that the value v, a right-hand side of the
// assignment or declaration p, is assigned to, or nil.
func assignedTo(p ast.Node, v ast.Expr) ast.Expr {
	switch p := p.(type) {
	case *ast.AssignStmt:
		if i := slices.Index(p.Rhs, v); i >= 0 && len(p.Lhs) == len(p.Rhs) {
			return p.Lhs[i]
		}
	case *ast.ValueSpec:
		if i := slices.Index(p.Values, v); i >= 0 && len(p.Names) == len(p.Values) {
			return p.Names[i]
		}
	}
	return nil
}

// carriersAssigned returns the left-hand sides that receive the pool carried by v,
// a right-hand side of the assignment or declaration p: the matching one, or, for
// c, release, err := f(), each one whose type can carry a pool.
func (ix *index) carriersAssigned(p ast.Node, v ast.Expr) []ast.Expr {
	if lhs := assignedTo(p, v); lhs != nil {
		return []ast.Expr{lhs}
	}
	var lhs, rhs []ast.Expr
	switch p := p.(type) {
	case *ast.AssignStmt:
		lhs, rhs = p.Lhs, p.Rhs
	case *ast.ValueSpec:
		for _, id := range p.Names {
			lhs = append(lhs, id)
		}
		rhs = p.Values
	}
	if len(rhs) != 1 || rhs[0] != v || len(lhs) < 2 {
		return nil
	}
	tuple, ok := ix.pass.TypesInfo.TypeOf(v).(*types.Tuple)
	if !ok || tuple.Len() != len(lhs) {
		return nil
	}
	var out []ast.Expr
	for i := range tuple.Len() {
		if isPoolCarrierType(tuple.At(i).Type()) {
			out = append(out, lhs[i])
		}
	}
	return out
}

// returnsCarrier reports whether a call's result, or one of its results, can carry
// a pool.
func returnsCarrier(info *types.Info, call *ast.CallExpr) bool {
	if t, ok := info.TypeOf(call).(*types.Tuple); ok {
		for v := range t.Variables() {
			if isPoolCarrierType(v.Type()) {
				return true
			}
		}
		return false
	}
	return isPoolCarrierType(info.TypeOf(call))
}

// runsOnce reports whether fn runs once per process or test, not once per request:
// main.main, or a top-level Test, Benchmark, Fuzz or Example function of a _test.go
// file.
func (ix *index) runsOnce(fn ast.Node) bool {
	d, ok := fn.(*ast.FuncDecl)
	if !ok || d.Recv != nil {
		return false
	}
	if d.Name.Name == "main" && ix.pass.Pkg.Name() == "main" {
		return true
	}
	if !strings.HasSuffix(ix.pass.Fset.File(d.Pos()).Name(), "_test.go") {
		return false
	}
	for _, prefix := range []string{"Test", "Benchmark", "Fuzz", "Example"} {
		if strings.HasPrefix(d.Name.Name, prefix) {
			return true
		}
	}
	return false
}
