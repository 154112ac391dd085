// Package audit finds HTTP client code that defeats connection reuse, before it runs.
//
// It is a set of [golang.org/x/tools/go/analysis] analyzers, listed in [Analyzers]:
//
//   - newtransport: a new http.Transport (a new connection pool) made per call: in a
//     function that also sends requests with it, in a loop, or in an HTTP handler.
//   - disablekeepalives: DisableKeepAlives set to true outside tests.
//   - undrainedbody: a response body closed before it was read to EOF, or never closed.
//   - defaultpool (a hint): a shared Transport left at Go's default MaxIdleConnsPerHost
//     (2) in a package that sends requests from several goroutines.
//
// The analyzers are deliberately intra-procedural and conservative: a value handed to
// another function, stored or returned counts as handled, because a false positive
// in a CI gate costs more than a missed finding.
//
// # Suppression
//
// A finding is silenced by a comment on the line above it or on the same line:
//
//	//poolbench:ignore newtransport per-request client is the measured baseline
//
// The first word names the analyzer (several may be given, comma separated), the rest
// is the reason, which is required: a directive without a reason does not suppress and
// the finding says so.
//
// # Drivers
//
// [Run] loads packages with golang.org/x/tools/go/packages and returns [Finding]s; the
// poolbench CLI uses it for `poolbench audit`. The cmd/poolbench-vet binary wraps the
// same analyzers for `go vet -vettool`.
package audit
