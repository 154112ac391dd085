package harness

import (
	"fmt"
	"slices"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// checker proves that a response belongs to its request.
type checker struct{ output bool }

func newChecker(cfg Config) *checker { return &checker{output: cfg.CheckOutput} }

// check returns an error wrapping errMismatch when res was not the answer
// to req: the echoed id and the hash of the code must both match.
func (c *checker) check(req execution.Request, res execution.Result) error {
	if !c.output {
		return nil
	}
	if res.RequestID != req.ID {
		return fmt.Errorf("%w: request id %q answered as %q", errMismatch, req.ID, res.RequestID)
	}
	if want := mockserver.Output(req); res.Run.Stdout != want {
		return fmt.Errorf("%w: request %s: stdout %q, want %q", errMismatch, req.ID, res.Run.Stdout, want)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
