// Command poolbench-vet runs poolbench's connection-reuse analyzers as a go vet tool:
//
//	go install github.com/poolbench/poolbench/cmd/poolbench-vet@latest
//	go vet -vettool=$(which poolbench-vet) ./...
//
// It can also run on its own, as `poolbench-vet ./...`. See the audit package for the
// analyzers and the //poolbench:ignore suppression comment.
package main

import (
	"github.com/poolbench/poolbench/audit"
	"golang.org/x/tools/go/analysis/multichecker"
)

func main() { multichecker.Main(audit.Analyzers...) }
