package audit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("testdata", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	findings, err := Run(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings {
		rel, err := filepath.Rel(dir, f.File)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{filepath.ToSlash(rel), itoa(f.Line), f.Analyzer, f.Severity}, " "))
		if !strings.HasPrefix(f.String(), f.File+":") || !strings.Contains(f.String(), "["+f.Analyzer+"] ") {
			t.Errorf("String() = %q, want file:line:col: [analyzer] message", f.String())
		}
	}
	want := []string{
		"client/client.go 9 defaultpool hint",
		"client/client.go 13 newtransport warning",
		"client/client.go 18 undrainedbody warning",
		"client/client.go 23 disablekeepalives warning",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f := findings[0]; !strings.HasPrefix(f.Message, "hint:") {
		t.Errorf("defaultpool message %q does not start with hint:", f.Message)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, "go.mod"), "module example.com/broken\n\ngo 1.26\n")
	writeFile(t, filepath.Join(broken, "b.go"), "package broken\n\nvar x int = \"not an int\"\n")
	empty := t.TempDir()
	writeFile(t, filepath.Join(empty, "go.mod"), "module example.com/empty\n\ngo 1.26\n")
	mod := filepath.Join("testdata", "mod")

	tests := []struct {
		name     string
		dir      string
		patterns []string
		check    func(error) bool
	}{
		{"no packages", empty, nil, func(err error) bool { return errors.Is(err, ErrNoPackages) }},
		{"missing directory", mod, []string{"./nothing"}, isLoadError},
		{"type error", broken, nil, isLoadError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			findings, err := Run(context.Background(), tt.dir, tt.patterns)
			if err == nil || !tt.check(err) {
				t.Fatalf("Run = %v, %v; want a %s error", findings, err, tt.name)
			}
		})
	}
}

func isLoadError(err error) bool {
	var le *LoadError
	return errors.As(err, &le) && len(le.Errors) > 0
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
