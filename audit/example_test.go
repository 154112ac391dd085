package audit_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/poolbench/poolbench/audit"
)

func ExampleRun() {
	dir, err := filepath.Abs(filepath.Join("testdata", "mod"))
	if err != nil {
		log.Fatal(err)
	}
	findings, err := audit.Run(context.Background(), dir, []string{"./..."})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		rel, _ := filepath.Rel(dir, f.File)
		fmt.Printf("%s:%d [%s] %s\n", filepath.ToSlash(rel), f.Line, f.Analyzer, f.Severity)
	}
	// Output:
	// client/client.go:9 [defaultpool] hint
	// client/client.go:13 [newtransport] warning
	// client/client.go:18 [undrainedbody] warning
	// client/client.go:23 [disablekeepalives] warning
}
