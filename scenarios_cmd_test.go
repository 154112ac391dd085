package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/scenarios"
)

// poolbench scenarios lists every catalog entry on one line each.
func TestScenariosList(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := cli(t, "scenarios")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	for i, sc := range scenarios.Catalog() {
		if !strings.HasPrefix(lines[i], sc.Name+" ") || !strings.Contains(lines[i], sc.Description) {
			t.Errorf("line %d = %q, want %s and its description", i+1, lines[i], sc.Name)
		}
	}
	if !strings.Contains(lines[0], "(default)") {
		t.Errorf("the default is not marked: %q", lines[0])
	}
}

// poolbench scenarios NAME prints YAML that loads back as the same scenario.
func TestScenariosPrintLoads(t *testing.T) {
	t.Parallel()
	stdout, _, code := cli(t, "scenarios", "server-limits")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	path := filepath.Join(t.TempDir(), "limits.yaml")
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := scenarios.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := scenarios.Lookup("server-limits")
	if got.Summary() != want.Summary() || got.Server != want.Server {
		t.Errorf("printed scenario loads as %+v, want %+v", got, want)
	}
}

// Bad scenario files exit 2 with file:line:col and run nothing.
func TestRunBadScenarioFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, src, want string
	}{
		{"unknown field", "workload:\n  reqs: 5\n", `bad.yaml:2:3: workload: unknown field "reqs"`},
		{"wrong type", "workload:\n  requests: many\n", `bad.yaml:2:13: workload.requests: want an integer, got "many"`},
		{"negative rate", "workload:\n  model: open\n  rate: -5\n  duration: 1s\n", `bad.yaml:3:9: workload.rate: -5: want more than 0`},
		{"rate with the closed model", "workload:\n  rate: 100\n", `bad.yaml:2:9: workload.rate: 100: a rate is for the open model`},
		{"unknown mode", "modes: [singleton, pooled]\n", `bad.yaml:1:20: modes[1]: unknown client mode "pooled"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"), "bad.yaml")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"), "out")
			stdout, stderr, code := cli(t, "run", "--scenario", path, "--out", out)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if want := "poolbench: " + filepath.Dir(path) + "/" + tc.want; !strings.HasPrefix(stderr, want) {
				t.Errorf("stderr = %q, want it to start with %q", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("--out directory written for a bad scenario: %v", err)
			}
		})
	}
}

// A scenario file runs, and flags override its fields.
func TestRunScenarioFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	src := "workload:\n  requests: 500\n  concurrency: 2\nserver:\n  max_requests_per_conn: 5\nmodes: [singleton]\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := cli(t, "run", "--scenario", path, "-n", "20", "-c", "1", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`"name": "tiny"`, `"requests": 20`, `"dials": 4`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %s:\n%s", want, stdout)
		}
	}
}
