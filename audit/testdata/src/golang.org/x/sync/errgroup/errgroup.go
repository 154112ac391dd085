// Package errgroup is a stub of golang.org/x/sync/errgroup for the analyzer tests.
package errgroup

// Group is a stub.
type Group struct{}

// Go is a stub.
func (g *Group) Go(f func() error) {}

// Wait is a stub.
func (g *Group) Wait() error { return nil }
