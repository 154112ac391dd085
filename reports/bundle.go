package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// BundleOptions controls WriteBundle.
type BundleOptions struct {
	// Force lets WriteBundle write into a directory that already has files.
	Force bool
}

// ErrDirNotEmpty is returned by WriteBundle for a non-empty directory
// without BundleOptions.Force.
var ErrDirNotEmpty = errors.New("output directory is not empty (use --force to write into it)")

// WriteHGRM writes mode m's latency distribution in HdrHistogram's
// percentile format (.hgrm), in milliseconds.
func WriteHGRM(w io.Writer, m *Mode) error {
	h, err := m.Hist()
	if err != nil {
		return err
	}
	if _, err := h.PercentilesPrint(w, 5, 1000.0); err != nil {
		return fmt.Errorf("mode %s: write hgrm: %w", m.Mode, err)
	}
	return nil
}

// CheckOutDir returns an error when dir cannot take a bundle: it is a file,
// or a non-empty directory without force. Call it before a run so that bad
// input never costs a run.
func CheckOutDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output directory %s: %w", dir, err)
	case len(entries) > 0 && !force:
		return fmt.Errorf("%s: %w", dir, ErrDirNotEmpty)
	}
	return nil
}

// WriteBundle writes r into dir: report.json, report.md and one
// <mode>.hgrm per mode. Every file is rendered in memory first and then
// written to a temporary file and renamed, so no reader ever sees half of
// one and a rendering error leaves nothing behind.
func WriteBundle(dir string, r *Report, opts BundleOptions) error {
	if err := CheckOutDir(dir, opts.Force); err != nil {
		return err
	}
	files := map[string][]byte{}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		return err
	}
	files["report.json"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := WriteMarkdown(&buf, r); err != nil {
		return err
	}
	files["report.md"] = bytes.Clone(buf.Bytes())
	for i := range r.Modes {
		buf.Reset()
		if err := WriteHGRM(&buf, &r.Modes[i]); err != nil {
			return err
		}
		files[r.Modes[i].Mode+".hgrm"] = bytes.Clone(buf.Bytes())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for name, data := range files {
		if err := WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames
// it over path.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteMarkdown writes a publishable markdown report: scenario,
// environment, the comparison table and its warnings.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# poolbench: %s\n\n", r.Scenario.Name)
	if r.Scenario.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", r.Scenario.Description)
	}
	fmt.Fprintf(&b, "- requests per mode: %d, concurrency: %d\n", r.Scenario.Requests, r.Scenario.Concurrency)
	if r.Scenario.DurationS > 0 {
		fmt.Fprintf(&b, "- duration per mode: %gs\n", r.Scenario.DurationS)
	}
	env := r.Environment
	fmt.Fprintf(&b, "- environment: %s, %s/%s, %d CPUs", env.Go, env.OS, env.Arch, env.CPUs)
	if env.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", env.CPUModel)
	}
	fmt.Fprintf(&b, ", started %s\n\n", env.StartedAt.Format("2006-01-02 15:04:05 MST"))
	if err := WriteTable(&b, r, true); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
