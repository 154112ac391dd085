package reports

import (
	"bytes"
	"github.com/poolbench/poolbench/internal/golden"
	"os"
	"path/filepath"
	"testing"
)

// The committed sample bundle (docs/sample-report) stays what the current
// renderers make of its report.json: when a renderer changes, go test
// ./reports -run SampleReport -update re-renders it (requests.csv, which
// report.json does not hold, is left as it is).
func TestSampleReportInSync(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "docs", "sample-report")
	f, err := os.Open(filepath.Join(dir, "report.json"))
	if os.IsNotExist(err) {
		t.Skip("no docs/sample-report")
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	files, err := bundleFiles(r, BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mo := MarkdownOptions{Charts: true}
	for _, m := range r.Modes {
		mo.HGRM = append(mo.HGRM, m.Mode+".hgrm")
	}
	if _, err := os.Stat(filepath.Join(dir, RequestsCSVFile)); err == nil {
		mo.CSV = RequestsCSVFile
	}
	var md bytes.Buffer
	if err := WriteMarkdownWith(&md, r, mo); err != nil {
		t.Fatal(err)
	}
	for _, bf := range files {
		want := bf.data
		switch bf.name {
		case "report.json":
			continue // the source
		case "report.md":
			want = md.Bytes()
		}
		path := filepath.Join(dir, bf.name)
		if *golden.Update {
			if err := WriteFileAtomic(path, want); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/sample-report/%s is not what the renderers make of its report.json (go test ./reports -run SampleReport -update)", bf.name)
		}
	}
}
