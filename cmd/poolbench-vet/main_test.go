package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestVetTool builds poolbench-vet and runs it through go vet -vettool on a small
// module, the way users run it.
func TestVetTool(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	tool := filepath.Join(t.TempDir(), "poolbench-vet")
	build := exec.Command(goCmd, "build", "-o", tool, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	vet := exec.Command(goCmd, "vet", "-vettool="+tool, "./...")
	vet.Dir = filepath.Join("testdata", "vetdemo")
	vet.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stderr bytes.Buffer
	vet.Stderr = &stderr
	err = vet.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("go vet: err = %v, want exit status 1\n%s", err, stderr.String())
	}

	var got []string
	for line := range strings.Lines(stderr.String()) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		// "./demo.go:8:31: new http.Transport in ..." -> "demo.go:8"
		file, rest, ok := strings.Cut(strings.TrimPrefix(line, "./"), ":")
		lineNo, _, _ := strings.Cut(rest, ":")
		if ok {
			got = append(got, file+":"+lineNo)
		}
	}
	slices.Sort(got) // go vet groups by analyzer
	want := []string{"demo.go:13", "demo.go:25", "demo.go:8"}
	if !slices.Equal(got, want) {
		t.Errorf("go vet reported at %v, want %v\n%s", got, want, stderr.String())
	}
}
