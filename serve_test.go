package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolbench/poolbench/reports"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeAndTarget runs the mock standalone (`poolbench serve`) and
// measures it from outside (`run --target --ca`): the client's counts and
// the server's, read over GET /stats, agree exactly.
func TestServeAndTarget(t *testing.T) {
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, &out, &errs, []string{"serve", "--addr", "127.0.0.1:0", "--ca-out", ca}) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop after its context was cancelled")
		}
	}()
	urlRE := regexp.MustCompile(`serving at (https://127\.0\.0\.1:\d+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		t.Fatalf("serve printed no URL: stdout %q, stderr %q", out.String(), errs.String())
	}
	if !strings.Contains(out.String(), ca) {
		t.Errorf("serve did not print its CA path %s: %q", ca, out.String())
	}

	stdout, stderr, code := cli(t, "run", "--target", url, "--ca", ca, "-n", "30", "-c", "3", "--format", "json", "--quiet")
	if code != 0 {
		t.Fatalf("run --target: exit %d: %s", code, stderr)
	}
	rep, err := reports.ReadJSON(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Insecure || rep.Scenario.Target != url {
		t.Errorf("insecure %v, target %q; want verified TLS against %s", rep.Insecure, rep.Scenario.Target, url)
	}
	for _, m := range rep.Modes {
		if m.OK != 30 || m.Server == nil {
			t.Fatalf("%s: ok %d, server %v; want 30 and known server counts", m.Mode, m.OK, m.Server)
		}
		if m.Server.Connections != m.Client.Dials || m.Server.TLSHandshakes != m.Client.TLSHandshakes || m.Server.Requests != 30 {
			t.Errorf("%s: client %+v, server %+v; want equal connection counts and 30 requests", m.Mode, m.Client, *m.Server)
		}
	}
	if got := rep.Modes[0].Client.Dials; got != 30 {
		t.Errorf("per-request dials = %d, want 30", got)
	}
}
