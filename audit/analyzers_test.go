package audit

import (
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestAnalyzers(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential analyzers: run without -race (go test ./audit)")
	}
	t.Parallel()
	tests := []struct {
		analyzer *analysis.Analyzer
		pkgs     []string
	}{
		{NewTransport, []string{"newtransport", "mainonce"}},
		{DisableKeepAlives, []string{"disablekeepalives"}},
		{UndrainedBody, []string{"undrainedbody"}},
		{DefaultPool, []string{"defaultpool", "defaultpoolset", "defaultpoolserial"}},
	}
	for _, tt := range tests {
		t.Run(tt.analyzer.Name, func(t *testing.T) {
			t.Parallel()
			analysistest.Run(t, analysistest.TestData(), tt.analyzer, tt.pkgs...)
		})
	}
}

// TestSuppression checks that a //poolbench:ignore directive with a reason, on the line
// above or the same line, silences exactly the analyzers it names.
func TestSuppression(t *testing.T) {
	if raceEnabled {
		t.Skip("sequential analyzers: run without -race (go test ./audit)")
	}
	t.Parallel()
	tests := []struct {
		analyzer *analysis.Analyzer
		pkg      string
	}{
		{NewTransport, "suppress"},
		{DisableKeepAlives, "suppressdk"},
	}
	for _, tt := range tests {
		t.Run(tt.analyzer.Name, func(t *testing.T) {
			t.Parallel()
			analysistest.Run(t, analysistest.TestData(), tt.analyzer, tt.pkg)
		})
	}
}

func TestAnalyzersValidate(t *testing.T) {
	t.Parallel()
	if err := analysis.Validate(Analyzers); err != nil {
		t.Fatal(err)
	}
	for _, a := range Analyzers {
		if len(a.Doc) < 200 {
			t.Errorf("%s: Doc too short to say what, why and the fix", a.Name)
		}
	}
}
