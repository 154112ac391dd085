package audit

import (
	"golang.org/x/tools/go/analysis"
)

// NewTransport reports a new http.Transport made per call.
var NewTransport = &analysis.Analyzer{
	Name: "newtransport",
	Doc: `report a new http.Transport (a new connection pool) made per call

What it finds: &http.Transport{...}, http.Transport{}, new(http.Transport) or
(*http.Transport).Clone() made inside a function that also sends a request through it
(client.Do/Get/Post/Head/PostForm, Transport.RoundTrip), inside a loop, or inside an
HTTP handler (func(http.ResponseWriter, *http.Request)). Calls to the package's own
functions that return such a fresh Transport (or a Client built on one) count too.

Why it breaks reuse: the Transport is the connection pool. A new one per call starts
empty, so every request dials a new TCP connection and does a new TLS handshake, and
the old pool's idle connections linger until they time out.

Fix: build the Transport (and the Client around it) once, in a constructor, a package
variable or init, and share it. An http.Client{} without its own Transport uses the
shared http.DefaultTransport and is not reported; nor is a Transport that is stored,
returned, handed to another function, or used for several requests in a loop.`,
	Run: runNewTransport,
}

func runNewTransport(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ig := newIgnores(pass)
	for _, site := range ix.creationSites() {
		fn := ix.enclosingFunc(site)
		if fn == nil || isInit(fn) {
			continue // made once, at package initialisation
		}
		fl := ix.follow(site)
		what := ix.describe(site)
		switch {
		case fl.sendsOnce() && !ix.runsOnce(fn):
			ig.report(site.Pos(), "%s in a function that also sends a request through it: every call opens a new connection pool, so no connection is reused; make the Transport once (constructor, package variable or init) and share it", what)
		case fl.kept || fl.sendPos.IsValid() && !ix.inLoop(site):
			// Stored, returned, handed on, or reused for several requests.
		case ix.inLoop(site):
			ig.report(site.Pos(), "%s inside a loop: every iteration opens a new connection pool, so no connection is reused; make the Transport once, before the loop, and share it", what)
		case ix.isHandler(fn):
			ig.report(site.Pos(), "%s inside an HTTP handler: every incoming request opens a new outbound connection pool; make the Transport once, when the server is built, and share it", what)
		}
	}
	return nil, nil
}
