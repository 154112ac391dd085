package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The CPU profile is process-wide, so these tests do not run in parallel
// with each other (the parallel tests wait until they have finished).

// readProfile checks that path holds a gzip-compressed profile with data.
func readProfile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("--cpuprofile: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not a pprof profile: %v", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) == 0 {
		t.Fatalf("%s: %d bytes of profile, %v", path, len(raw), err)
	}
}

func TestRunCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	_, stderr, code := cli(t, "run", "-n", "200", "-c", "2", "--modes", "singleton", "--quiet", "--cpuprofile", prof)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	readProfile(t, prof)

}

// A run that fails (execute returns an error) stops its profile with
// keep false: no profile is left behind.
func TestCPUProfileRemovedOnFailure(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "failed.prof")
	stop, err := startCPUProfile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(prof); !os.IsNotExist(err) {
		t.Errorf("stop(false) left %s (%v)", prof, err)
	}
}

func TestServeCPUProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "serve.prof")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, &out, &errs, []string{"serve", "--addr", "127.0.0.1:0", "--ca-out", filepath.Join(dir, "ca.pem"), "--cpuprofile", prof})
	}()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "serving at") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v (%s)", err, errs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	readProfile(t, prof)
}

func TestCPUProfileBadPath(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof")
	expectBadInput(t, []string{"run", "--cpuprofile", missing}, "poolbench: run: --cpuprofile: stat "+filepath.Dir(missing)+": no such file or directory")
	expectBadInput(t, []string{"gate", "--cpuprofile", t.TempDir()}, "is a directory")
	_, stderr, code := cli(t, "serve", "--addr", "127.0.0.1:0", "--cpuprofile", missing)
	if code != 2 || !strings.Contains(stderr, "serve: --cpuprofile:") {
		t.Errorf("serve with a bad --cpuprofile: exit %d, %q", code, stderr)
	}
}
