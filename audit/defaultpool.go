package audit

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path/filepath"

	"golang.org/x/tools/go/analysis"
)

// DefaultPool reports, as a hint, a shared Transport left at the default
// MaxIdleConnsPerHost in a package that sends requests concurrently.
var DefaultPool = &analysis.Analyzer{
	Name: "defaultpool",
	Doc: `hint at a shared http.Transport whose idle pool is too small for its concurrency

What it finds: a Transport made once and shared (a package variable, a struct field,
a value returned by a constructor, or one Transport used for many requests) when the
package never sets MaxIdleConnsPerHost, while the same package sends requests from
several goroutines (a go statement, errgroup.Group.Go or sync.WaitGroup.Go whose
function sends requests, directly or through the package's own functions).

Why it breaks reuse: MaxIdleConnsPerHost defaults to 2 (http.DefaultMaxIdleConnsPerHost).
With more than 2 requests in flight to one host, connections that finish while 2 are
already idle are closed, and the next burst dials new ones: the pool churns.

Fix: set MaxIdleConnsPerHost (and MaxIdleConns, which bounds all hosts) to at least
the expected concurrency per host. This is a hint: a package that never sends more
than 2 concurrent requests to one host does not need it.`,
	Run: runDefaultPool,
}

func runDefaultPool(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	if ix.setsMaxIdleConnsPerHost() {
		return nil, nil
	}
	fanout := ix.concurrentSend()
	if !fanout.IsValid() {
		return nil, nil
	}
	ig := newIgnores(pass)
	at := pass.Fset.Position(fanout)
	where := fmt.Sprintf("%s:%d", filepath.Base(at.Filename), at.Line)
	for _, site := range ix.creationSites() {
		if !isTransportCreation(pass.TypesInfo, site) {
			continue // a call to a factory: the factory's own Transport is the one reported
		}
		if keepAlivesDisabled(pass.TypesInfo, site) {
			continue // no idle pool to size: disablekeepalives reports it
		}
		if fn := ix.enclosingFunc(site); fn != nil && !isInit(fn) {
			fl := ix.follow(site)
			shared := fl.kept || (fl.sendPos.IsValid() && fl.repeated)
			if !shared || fl.sendsOnce() {
				continue // per call: newtransport's business
			}
		}
		ig.report(site.Pos(), "hint: shared http.Transport keeps MaxIdleConnsPerHost at the default (2) while this package sends requests concurrently (%s): beyond 2 in flight per host, finished connections are closed and new ones dialled; set MaxIdleConnsPerHost to the expected concurrency", where)
	}
	return nil, nil
}

// setsMaxIdleConnsPerHost reports whether the package mentions the
// http.Transport.MaxIdleConnsPerHost field anywhere.
func (ix *index) setsMaxIdleConnsPerHost() bool {
	for id, obj := range ix.pass.TypesInfo.Uses {
		if id.Name == "MaxIdleConnsPerHost" && obj.Pkg() != nil && obj.Pkg().Path() == "net/http" {
			return true
		}
	}
	return false
}

// concurrentSend returns the position of the first goroutine launch in the package
// whose function sends requests, or token.NoPos.
func (ix *index) concurrentSend() token.Pos {
	info := ix.pass.TypesInfo
	senders := ix.senders()
	sends := func(fun ast.Expr) bool {
		switch f := ast.Unparen(fun).(type) {
		case *ast.FuncLit:
			return ix.containsSend(f.Body, senders)
		case *ast.Ident:
			fn, _ := info.Uses[f].(*types.Func)
			return senders[fn]
		case *ast.SelectorExpr:
			fn, _ := info.Uses[f.Sel].(*types.Func)
			return senders[fn]
		}
		return false
	}
	first := token.NoPos
	note := func(pos token.Pos) {
		if !first.IsValid() || pos < first {
			first = pos
		}
	}
	for _, f := range ix.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				if sends(n.Call.Fun) {
					note(n.Pos())
				}
			case *ast.CallExpr:
				fn := calleeFunc(info, n)
				if (isMethod(fn, "golang.org/x/sync/errgroup", "Group", "Go") ||
					isMethod(fn, "sync", "WaitGroup", "Go")) && len(n.Args) == 1 && sends(n.Args[0]) {
					note(n.Pos())
				}
			}
			return true
		})
	}
	return first
}

// senders returns the package's functions that send requests through a Client or
// Transport, directly or through other functions of the package.
func (ix *index) senders() map[*types.Func]bool {
	info := ix.pass.TypesInfo
	decls := make(map[*types.Func]*ast.FuncDecl)
	for _, f := range ix.pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				if fn, ok := info.Defs[fd.Name].(*types.Func); ok {
					decls[fn] = fd
				}
			}
		}
	}
	senders := make(map[*types.Func]bool)
	for changed := true; changed; {
		changed = false
		for fn, fd := range decls {
			if !senders[fn] && ix.containsSend(fd.Body, senders) {
				senders[fn] = true
				changed = true
			}
		}
	}
	return senders
}

// containsSend reports whether n sends a request or calls one of senders.
func (ix *index) containsSend(n ast.Node, senders map[*types.Func]bool) bool {
	info := ix.pass.TypesInfo
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if found {
			return false
		}
		if call, ok := n.(*ast.CallExpr); ok {
			if sendReceiver(info, call) != nil {
				found = true
			} else if fn := calleeFunc(info, call); fn != nil && senders[fn.Origin()] {
				found = true
			}
		}
		return !found
	})
	return found
}

// keepAlivesDisabled reports whether e is a Transport literal with DisableKeepAlives
// set to a constant true.
func keepAlivesDisabled(info *types.Info, e ast.Expr) bool {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return false
	}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "DisableKeepAlives" {
			tv := info.Types[kv.Value]
			return tv.Value != nil && tv.Value.Kind() == constant.Bool && constant.BoolVal(tv.Value)
		}
	}
	return false
}
