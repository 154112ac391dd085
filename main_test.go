package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/reports"
)

// cli runs the CLI in-process and returns stdout, stderr and the exit code.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, args)
	code := exitCode(err, &stderr)
	return stdout.String(), stderr.String(), code
}

func TestBadInputExits2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"zero concurrency", []string{"run", "-c", "0"}, "poolbench: run: -c 0: want 1..10000 workers\n"},
		{"negative requests", []string{"run", "-n", "-1"}, "poolbench: run: -n -1: want 1..100000000 requests\n"},
		{"unknown mode", []string{"run", "--modes", "per-request,pooled"}, `poolbench: run: --modes: unknown client mode "pooled"`},
		{"unknown flag", []string{"run", "--bogus"}, "poolbench: run: flag provided but not defined: -bogus (see poolbench run --help)\n"},
		{"unknown flag, no command", []string{"--bogus"}, "flag provided but not defined: -bogus"},
		{"unknown command", []string{"frobnicate"}, "poolbench: unknown command \"frobnicate\" (see poolbench help)\n"},
		{"unknown format", []string{"run", "--format", "xml"}, `--format: unknown format "xml"`},
		{"c more than n", []string{"run", "-n", "4", "-c", "8"}, "-c 8 is more than the 4 requests"},
		{"stray argument", []string{"run", "extra"}, `unexpected argument "extra"`},
		{"bad duration", []string{"run", "--duration", "-1s"}, "--duration -1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectBadInput(t, tc.args, tc.want)
		})
	}
}

// expectBadInput runs args with --out into a fresh directory and checks
// the bad-input contract: exit 2, one line on stderr containing want,
// nothing on stdout, nothing written.
func expectBadInput(t *testing.T, args []string, want string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, code := cli(t, append(slices.Clone(args), "--out", out)...)
	if code != 2 {
		t.Errorf("exit code = %d, want 2 (stderr %q)", code, stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
	if n := strings.Count(stderr, "\n"); n != 1 {
		t.Errorf("stderr has %d lines, want one: %q", n, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing: nothing may run", stdout)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--out %s was created (%v); nothing may be written", out, err)
	}
}

func TestHelpExits0(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"--help"}, {"run", "--help"}, {"run", "-h"}} {
		stdout, stderr, code := cli(t, args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage: poolbench") {
			t.Errorf("%v: code %d, stderr %q, stdout %q", args, code, stderr, stdout)
		}
	}
}

// The JSON report carries exact counts: per-request dials N times, the
// singleton at most C, and the server agrees.
func TestRunJSONCounts(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := cli(t, "run", "-n", "120", "-c", "4", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r, err := reports.ReadJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(r.Modes), 2; got != want {
		t.Fatalf("modes = %d, want %d", got, want)
	}
	pr, sg := r.Modes[0], r.Modes[1]
	if pr.Mode != "per-request" || sg.Mode != "singleton" {
		t.Fatalf("modes = %s, %s", pr.Mode, sg.Mode)
	}
	if pr.Client.Dials != 120 || pr.Client.TLSHandshakes != 120 || pr.Server.Connections != 120 || pr.OK != 120 {
		t.Errorf("per-request: %+v server %+v ok %d; want 120 everywhere", pr.Client, *pr.Server, pr.OK)
	}
	if sg.Client.Dials < 1 || sg.Client.Dials > 4 || sg.Server.Connections != sg.Client.Dials || sg.OK != 120 {
		t.Errorf("singleton: %+v server %+v ok %d; want 1..4 dials matching the server", sg.Client, *sg.Server, sg.OK)
	}
	if r.Scenario.Requests != 120 || r.Scenario.Concurrency != 4 {
		t.Errorf("scenario = %+v", r.Scenario)
	}
	if got := r.Comparison.Ratios["singleton"]["dials"]; got < 30 {
		t.Errorf("dials ratio = %v, want >= 30", got)
	}
}

func TestOutBundle(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "bundle")
	if _, stderr, code := cli(t, "run", "-n", "40", "-c", "2", "--out", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"report.json", "report.md", "per-request.hgrm", "singleton.hgrm"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// A second run refuses the non-empty directory, before running.
	stdout, stderr, code := cli(t, "run", "-n", "40", "-c", "2", "--out", dir)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "not empty") {
		t.Errorf("second run: code %d, stdout %q, stderr %q; want 2, nothing, 'not empty'", code, stdout, stderr)
	}
	if _, stderr, code := cli(t, "run", "-n", "40", "-c", "2", "--out", dir, "--force"); code != 0 {
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
}

// The README opens with the two commands of a fresh machine, and the
// commands it shows for the CLI run as shown.
func TestREADMECommands(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(strings.SplitN(string(data), "\n", 12)[:11], "\n")
	for _, want := range []string{"go run .", "go test ./..."} {
		if !strings.Contains(head, want) {
			t.Errorf("README's first lines lack %q", want)
		}
	}
	var cmds [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "go run . ")
		if !ok {
			continue
		}
		if i := strings.Index(rest, "#"); i >= 0 {
			rest = rest[:i]
		}
		cmds = append(cmds, strings.Fields(rest))
	}
	if len(cmds) < 3 {
		t.Fatalf("found %d `go run . ...` commands in the README, want at least 3", len(cmds))
	}
	for _, args := range cmds {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			for i, a := range args {
				if a == "--out" && i+1 < len(args) {
					args[i+1] = filepath.Join(t.TempDir(), args[i+1])
				}
				if a == "-n" && i+1 < len(args) {
					args[i+1] = "64" // the command's shape, at a test's size
				}
			}
			if len(args) > 0 && args[0] == "run" && !slices.Contains(args, "-n") {
				args = append(args, "-n", "64", "-c", "4")
			}
			if _, stderr, code := cli(t, args...); code != 0 {
				t.Errorf("exit %d: %s", code, stderr)
			}
		})
	}
}
