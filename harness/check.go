package harness

import (
	"fmt"
	"slices"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// checker proves that a response belongs to its request. Each worker has
// its own: it caches the hash of the last program it checked, so a worker
// sending the same program over and over hashes it once and checks each
// response without allocating.
type checker struct {
	output bool

	files []execution.File // the program whose hash is cached
	stdin string
	args  []string
	hash  string
}

func newChecker(cfg Config) *checker { return &checker{output: cfg.CheckOutput} }

// clone returns a checker with the same settings and an empty cache.
func (c *checker) clone() *checker { return &checker{output: c.output} }

// check returns an error wrapping errMismatch when res was not the answer
// to req: the echoed id and the hash of the code must both match.
func (c *checker) check(req execution.Request, res execution.Result) error {
	if !c.output {
		return nil
	}
	if res.RequestID != req.ID {
		return fmt.Errorf("%w: request id %q answered as %q", errMismatch, req.ID, res.RequestID)
	}
	if !slices.Equal(req.Files, c.files) || req.Stdin != c.stdin || !slices.Equal(req.Args, c.args) || c.hash == "" {
		c.files, c.stdin, c.args = req.Files, req.Stdin, req.Args
		c.hash = mockserver.CodeHash(req)
	}
	if !mockserver.MatchesOutput(res.Run.Stdout, req.ID, c.hash) {
		return fmt.Errorf("%w: request %s: stdout %q, want %q", errMismatch, req.ID, res.Run.Stdout, mockserver.Output(req))
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
