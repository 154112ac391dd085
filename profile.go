package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile starts a CPU profile written to path ("" : none). The
// returned func stops it; keep false removes the file, so a failed run
// leaves no half-useful profile behind.
func startCPUProfile(path string) (stop func(keep bool) error, err error) {
	if path == "" {
		return func(bool) error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func(keep bool) error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			os.Remove(path)
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if !keep {
			os.Remove(path)
		}
		return nil
	}, nil
}
