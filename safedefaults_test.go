package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/mockserver"
	"github.com/poolbench/poolbench/reports"
)

// TestTargetCredentialsNeverPrinted: whatever is wrong with a --target
// that carries a password, the password appears nowhere in the output.
func TestTargetCredentialsNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "hunter2"
	for _, target := range []string{
		"https://bob:" + secret + "@127.0.0.1:8443",
		"https://bob:" + secret + "@10.0.0.1:8443",
		"http://bob:" + secret + "@127.0.0.1:8443",
		"https://bob:" + secret + "@127.0.0.1:84%zz",
		"https://bob:" + secret + "@127.0.0.1:8443/api?x=1",
		"https://" + secret + "@127.0.0.1:8443",
	} {
		stdout, stderr, code := cli(t, "run", "--target", target, "-n", "1", "-c", "1")
		if code != 2 {
			t.Errorf("--target %s: exit %d, want 2", target, code)
		}
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("--target %s: the password is printed: %q", target, stdout+stderr)
		}
		if !strings.Contains(stderr, "--target") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("--target %s: stderr %q, want one line naming --target", target, stderr)
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443"},
		{"https://u:p@127.0.0.1:8443/x", "https://xxxxx@127.0.0.1:8443/x"},
		{"https://token@127.0.0.1:8443", "https://xxxxx@127.0.0.1:8443"},
		{"https://u:p@h:8%zz/x@y", "https://xxxxx@h:8%zz/x@y"},
		{"no scheme u:p@h", "no scheme u:p@h"},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTLSVerifiedByDefault: against a server whose CA is not given, every
// request fails TLS verification; with --ca it passes; with --insecure it
// passes and every rendering of the report says verification was off.
func TestTLSVerifiedByDefault(t *testing.T) {
	t.Parallel()
	srv, err := mockserver.NewServer(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--target", srv.URL, "--modes", "singleton", "-n", "6", "-c", "2"}
	runJSON := func(extra ...string) *reports.Report {
		t.Helper()
		stdout, stderr, code := cli(t, append(append(base, extra...), "--format", "json")...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", extra, code, stderr)
		}
		rep, err := reports.ReadJSON(strings.NewReader(stdout))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	rep := runJSON()
	if m := rep.Modes[0]; m.Errors["tls"] != 6 || m.OK != 0 {
		t.Errorf("no --ca: ok %d, errors %v; want every request refused by TLS verification", m.OK, m.Errors)
	}
	if rep.Insecure {
		t.Error("no --ca: report marked insecure")
	}
	rep = runJSON("--ca", ca)
	if m := rep.Modes[0]; m.OK != 6 || rep.Insecure {
		t.Errorf("--ca: ok %d, errors %v, insecure %v; want 6 verified requests", m.OK, m.Errors, rep.Insecure)
	}
	rep = runJSON("--insecure")
	if m := rep.Modes[0]; m.OK != 6 || !rep.Insecure {
		t.Errorf("--insecure: ok %d, errors %v, insecure %v; want 6 requests, marked insecure", m.OK, m.Errors, rep.Insecure)
	}

	// Every format and every file of the bundle says so.
	// (benchstat's format is data for benchstat, not a report to read.)
	for _, format := range []string{"table", "markdown", "html"} {
		stdout, stderr, code := cli(t, append(base, "--insecure", "--format", format)...)
		if code != 0 {
			t.Fatalf("--format %s: exit %d: %s", format, code, stderr)
		}
		if !strings.Contains(strings.ToLower(stdout), "insecure") {
			t.Errorf("--format %s: output does not say TLS was not verified:\n%s", format, stdout)
		}
	}
	dir := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := cli(t, append(base, "--insecure", "--out", dir)...); code != 0 {
		t.Fatalf("--out: exit %d: %s", code, stderr)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		switch filepath.Ext(name) {
		case ".json", ".md", ".html":
		default:
			continue // data files (.hgrm, .csv, charts) carry no prose
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(name) == ".json" {
			var v struct {
				Schema   string `json:"schema"`
				Insecure bool   `json:"insecure"`
			}
			if json.Unmarshal(b, &v) == nil && v.Schema == reports.Schema && !v.Insecure {
				t.Errorf("%s: report not marked insecure", name)
			}
			continue
		}
		if !bytes.Contains(bytes.ToLower(b), []byte("insecure")) && !bytes.Contains(b, []byte("TLS verification")) {
			t.Errorf("%s does not say TLS was not verified", name)
		}
	}
}

// TestServeBindsLoopback: serve listens on 127.0.0.1 unless told
// otherwise, refuses another address without --allow-remote and warns
// when allowed.
func TestServeBindsLoopback(t *testing.T) {
	t.Parallel()
	help, _, code := cli(t, "serve", "--help")
	if code != 0 || !strings.Contains(help, `(default "127.0.0.1:8443")`) {
		t.Errorf("serve --help (exit %d) does not default --addr to 127.0.0.1:8443:\n%s", code, help)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel() // serve starts, prints where it is and returns at once
	serve := func(args ...string) (string, string, int) {
		var stdout, stderr bytes.Buffer
		err := run(done, &stdout, &stderr, append([]string{"serve", "--ca-out", filepath.Join(t.TempDir(), "ca.pem")}, args...))
		code := exitCode(err, &stderr)
		return stdout.String(), stderr.String(), code
	}

	stdout, stderr, code := serve("--addr", "127.0.0.1:0")
	if code != 0 || !strings.Contains(stdout, "serving at https://127.0.0.1:") || stderr != "" {
		t.Errorf("loopback: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	stdout, stderr, code = serve("--addr", "0.0.0.0:0")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "--allow-remote") {
		t.Errorf("0.0.0.0 without --allow-remote: exit %d, stdout %q, stderr %q; want exit 2 naming --allow-remote", code, stdout, stderr)
	}
	stdout, stderr, code = serve("--addr", "0.0.0.0:0", "--allow-remote")
	if code != 0 || !strings.Contains(stderr, "warning: serving on non-loopback address 0.0.0.0:0") {
		t.Errorf("0.0.0.0 with --allow-remote: exit %d, stdout %q, stderr %q; want a warning", code, stdout, stderr)
	}
}
