package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/poolbench/poolbench/reports"
)

// TestSignalStopsRunWithPartialReport sends SIGINT or SIGTERM on the
// injected signal channel once requests are done, and checks that sends
// stop, the report (stdout and the --out bundle) is marked partial with
// every sent request accounted for, and the exit code is 128+signal. Not
// parallel: it sets testHookProgress, which every run of the package reads.
func TestSignalStopsRunWithPartialReport(t *testing.T) {
	const c = 2
	closed := []string{"run", "--modes", "per-request,singleton", "-c", "2", "--duration", "1m"}
	open := []string{"run", "--modes", "per-request,singleton", "-c", "2", "--duration", "1m", "--rate", "400"}
	for _, tc := range []struct {
		name     string
		args     []string
		sig      os.Signal
		wantCode int
		wantMsg  string
	}{
		{"SIGINT/closed", closed, os.Interrupt, 130, "poolbench: stopped by SIGINT\n"},
		{"SIGTERM/closed", closed, syscall.SIGTERM, 143, "poolbench: stopped by SIGTERM\n"},
		{"SIGINT/open", open, os.Interrupt, 130, "poolbench: stopped by SIGINT\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := make(chan os.Signal, 1)
			cancelled := make(chan struct{})
			var (
				mu         sync.Mutex // guards the fields below, written by the progress goroutine
				signalled  bool
				doneAfter  int64 = -1 // requests done in the first progress report after the cancel
				progressed int
			)
			testHookProgress = func(mode string, done, total int64) {
				mu.Lock()
				defer mu.Unlock()
				progressed++
				switch {
				case signalled && doneAfter < 0:
					doneAfter = done
				case !signalled && done >= 10:
					signalled = true
					sig <- tc.sig
					// Return only once the run is cancelled, so the next
					// report counts requests done after the cancel.
					select {
					case <-cancelled:
					case <-time.After(10 * time.Second):
						t.Error("the signal did not cancel the run within 10s")
					}
				}
			}
			t.Cleanup(func() { testHookProgress = nil })

			out := filepath.Join(t.TempDir(), "bundle")
			var stdout, stderr bytes.Buffer
			// A minute-long run: it ends early only if the signal stops it.
			code := runSignals(sig, func() { close(cancelled) }, &stdout, &stderr,
				append(tc.args, "--format", "json", "--out", out))
			if got, want := code, tc.wantCode; got != want {
				t.Errorf("exit code = %d, want %d (stderr %q)", got, want, stderr.String())
			}
			if got, want := stderr.String(), tc.wantMsg; got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
			rep, err := reports.ReadJSON(&stdout)
			if err != nil {
				t.Fatalf("stdout: %v", err)
			}
			checkPartial(t, "stdout", rep)
			f, err := os.Open(filepath.Join(out, "report.json"))
			if err != nil {
				t.Fatalf("bundle: %v", err)
			}
			defer f.Close()
			brep, err := reports.ReadJSON(f)
			if err != nil {
				t.Fatalf("bundle: %v", err)
			}
			checkPartial(t, "bundle", brep)
			md, err := os.ReadFile(filepath.Join(out, "report.md"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(md), "PARTIAL") {
				t.Error("report.md does not say the run is partial")
			}

			mu.Lock()
			defer mu.Unlock()
			if doneAfter < 0 {
				t.Fatalf("no progress report after the cancel (%d reports)", progressed)
			}
			// Each worker may finish the request it had in flight, and
			// none starts another: at most C more than were done once the
			// run was cancelled.
			if len(rep.Modes) == 1 {
				if got, max := rep.Modes[0].Requests, doneAfter+c; got > max {
					t.Errorf("sent %d requests, want at most %d (%d done after the cancel + %d in flight)", got, max, doneAfter, c)
				}
			}
		})
	}
}

func checkPartial(t *testing.T, where string, rep *reports.Report) {
	t.Helper()
	if !rep.Partial {
		t.Errorf("%s: report not marked partial", where)
	}
	// The signal came during the first mode: the second never started.
	if got, want := len(rep.Modes), 1; got != want {
		t.Fatalf("%s: %d modes, want %d", where, got, want)
	}
	m := rep.Modes[0]
	if !m.Partial || m.Mode != "per-request" {
		t.Errorf("%s: mode %s partial %v, want per-request partial", where, m.Mode, m.Partial)
	}
	if got, want := m.OK+m.Failed(), m.Requests; got != want {
		t.Errorf("%s: ok %d + failed %d = %d, want sent %d", where, m.OK, m.Failed(), got, want)
	}
	if m.Requests < 10 {
		t.Errorf("%s: sent %d, want at least the 10 done before the signal", where, m.Requests)
	}
	for k := range m.Errors {
		if k != "canceled" {
			t.Errorf("%s: errors %v: a stopped run's requests finish or are cancelled", where, m.Errors)
		}
	}
}

// TestSignalBeforeRun: a signal that is already pending when the run
// starts stops it before any request, and still gives a partial report
// and the signal's exit code.
func TestSignalBeforeRun(t *testing.T) {
	sig := make(chan os.Signal, 1)
	sig <- os.Interrupt
	var stdout, stderr bytes.Buffer
	code := runSignals(sig, nil, &stdout, &stderr, []string{"run", "-n", "100000", "-c", "2", "--format", "json"})
	if got, want := code, 130; got != want {
		t.Errorf("exit code = %d, want %d (stderr %q)", got, want, stderr.String())
	}
	rep, err := reports.ReadJSON(&stdout)
	if err != nil {
		t.Fatalf("stdout: %v", err)
	}
	if !rep.Partial {
		t.Error("report not marked partial")
	}
	for _, m := range rep.Modes {
		if got, want := m.OK+m.Failed(), m.Requests; got != want {
			t.Errorf("%s: ok %d + failed %d != sent %d", m.Mode, m.OK, m.Failed(), want)
		}
	}
}

// TestNoSignalExitsNormally: without a signal runSignals is run plus
// exitCode: 0 for a finished run, 2 for bad input, and a signal that
// arrives after the run changes nothing.
func TestNoSignalExitsNormally(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"run", "-n", "20", "-c", "2", "--format", "json"}, 0},
		{[]string{"run", "-c", "0"}, 2},
	} {
		sig := make(chan os.Signal, 1)
		var stdout, stderr bytes.Buffer
		if got := runSignals(sig, nil, &stdout, &stderr, tc.args); got != tc.want {
			t.Errorf("%q: exit code = %d, want %d (stderr %q)", tc.args, got, tc.want, stderr.String())
		}
		sig <- os.Interrupt // after the run: nobody is listening any more
	}
}

// TestSignalStopsServe: serve runs until a signal, then closes the mock and
// exits with the signal's code.
func TestSignalStopsServe(t *testing.T) {
	sig := make(chan os.Signal, 1)
	sig <- syscall.SIGTERM
	var stdout, stderr bytes.Buffer
	code := runSignals(sig, nil, &stdout, &stderr, []string{"serve", "--addr", "127.0.0.1:0", "--ca-out", filepath.Join(t.TempDir(), "ca.pem")})
	if got, want := code, 143; got != want {
		t.Errorf("exit code = %d, want %d (stderr %q)", got, want, stderr.String())
	}
	if got, want := stderr.String(), "poolbench: stopped by SIGTERM\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if !strings.Contains(stdout.String(), "stopping") {
		t.Errorf("stdout = %q, want the mock to say it stops", stdout.String())
	}
}

// TestSignalStopsGate: a stopped gate run prints its partial report, gives
// no verdict, says once what stopped it and exits with the signal's code.
func TestSignalStopsGate(t *testing.T) {
	sig := make(chan os.Signal, 1)
	sig <- os.Interrupt
	var stdout, stderr bytes.Buffer
	code := runSignals(sig, nil, &stdout, &stderr, []string{"gate", "-n", "100000", "-c", "2", "--format", "json"})
	if got, want := code, 130; got != want {
		t.Errorf("exit code = %d, want %d (stderr %q)", got, want, stderr.String())
	}
	if got, want := stderr.String(), "poolbench: stopped by SIGINT\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	rep, err := reports.ReadJSON(&stdout)
	if err != nil {
		t.Fatalf("stdout: %v", err)
	}
	if !rep.Partial || rep.Gate != nil {
		t.Errorf("partial %v, gate %+v: want a partial report without a verdict", rep.Partial, rep.Gate)
	}
}
