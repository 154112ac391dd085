package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLimits: every bound on a run's size is checked before anything runs,
// on every command that runs (run and gate share the flags): exit 2, one
// line on stderr naming the flag, nothing on stdout, no --out directory.
func TestLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"n zero", []string{"-n", "0"}, "-n 0: want 1..100000000 requests"},
		{"n negative", []string{"-n", "-5"}, "-n -5: want 1..100000000 requests"},
		{"n above the bound", []string{"-n", "100000001"}, "-n 100000001: want 1..100000000 requests"},
		{"n not an integer", []string{"-n", "1e3"}, `invalid value "1e3" for flag -n`},
		{"c zero", []string{"-c", "0"}, "-c 0: want 1..10000 workers"},
		{"c above the bound", []string{"-c", "10001"}, "-c 10001: want 1..10000 workers"},
		{"c above n", []string{"-n", "10", "-c", "20"}, "-c 20 is more than the 10 requests (-n)"},
		{"duration zero", []string{"--duration", "0s"}, "--duration 0s: want more than 0 and at most 24h0m0s"},
		{"duration negative", []string{"--duration", "-1s"}, "--duration -1s: want more than 0 and at most 24h0m0s"},
		{"duration above the bound", []string{"--duration", "25h"}, "--duration 25h0m0s: want more than 0 and at most 24h0m0s"},
		{"duration without a unit", []string{"--duration", "10"}, `invalid value "10" for flag -duration`},
		{"rate zero", []string{"--rate", "0", "-n", "10"}, "--rate 0: want more than 0 and at most 1000000 requests/s"},
		{"rate negative", []string{"--rate", "-3", "-n", "10"}, "--rate -3: want more than 0 and at most 1000000 requests/s"},
		{"rate NaN", []string{"--rate", "NaN", "-n", "10"}, "--rate NaN: want more than 0 and at most 1000000 requests/s"},
		{"rate infinite", []string{"--rate", "+Inf", "-n", "10"}, "--rate +Inf: want more than 0 and at most 1000000 requests/s"},
		{"rate above the bound", []string{"--rate", "2000000", "-n", "10"}, "--rate 2e+06: want more than 0 and at most 1000000 requests/s"},
		{"rate unbounded", []string{"--rate", "10"}, "--rate needs -n or --duration to bound the run"},
		{"timeout zero", []string{"--timeout", "0s"}, "--timeout 0s: want more than 0 and at most 1h0m0s"},
		{"timeout negative", []string{"--timeout", "-1s"}, "--timeout -1s: want more than 0 and at most 1h0m0s"},
		{"timeout above the bound", []string{"--timeout", "2h"}, "--timeout 2h0m0s: want more than 0 and at most 1h0m0s"},
		{"rtt negative", []string{"--rtt", "-1ms"}, "--rtt -1ms: want 0..10s"},
		{"rtt above the bound", []string{"--rtt", "11s"}, "--rtt 11s: want 0..10s"},
	} {
		for _, cmd := range []string{"run", "gate"} {
			t.Run(cmd+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				out := filepath.Join(t.TempDir(), "out")
				args := append([]string{cmd, "--out", out}, tc.args...)
				stdout, stderr, code := cli(t, args...)
				if code != 2 {
					t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
				}
				if !strings.HasPrefix(stderr, "poolbench: "+cmd+": ") || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
					t.Errorf("stderr = %q, want one line \"poolbench: %s: ...%s...\"", stderr, cmd, tc.want)
				}
				if stdout != "" {
					t.Errorf("stdout = %q, want nothing", stdout)
				}
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("--out %s exists after bad input (%v)", out, err)
				}
			})
		}
	}
}
