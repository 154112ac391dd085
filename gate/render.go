package gate

import (
	"encoding/xml"
	"fmt"
	"github.com/poolbench/poolbench/reports"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/tw"
)

// WriteTable writes the verdict as a table, one row per check (result,
// check, value, what it had to be, note), and the summary line after it.
// markdown selects a GitHub table (for a job summary) over ASCII.
func WriteTable(w io.Writer, v *Verdict, markdown bool) error {
	t := reports.NewTable(w, markdown, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignLeft, tw.AlignLeft)
	t.Header([]string{"result", "check", "value", "want", "note"})
	for i := range v.Checks {
		c := &v.Checks[i]
		check := c.Expr
		if markdown {
			check = "`" + strings.ReplaceAll(c.Expr, "|", `\|`) + "`"
		}
		if err := t.Append([]string{c.Status(), check, c.ValueText(), c.WantText(), c.Detail}); err != nil {
			return fmt.Errorf("gate table row %q: %w", c.Expr, err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render gate table: %w", err)
	}
	sum := v.Summary()
	if markdown {
		sum = "**" + sum + "**"
	}
	_, err := fmt.Fprintf(w, "\n%s\n", sum)
	return err
}

// JUnit XML, the subset CI systems read (Jenkins, GitLab, GitHub actions
// that publish test results): one testcase per check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the verdict as JUnit XML: a suite named suite with one
// testcase per check, classname poolbench.gate.SOURCE, a failure element
// with the value and the limit for a failed check and a skipped element
// for a skipped one. It carries no timestamps, so equal verdicts give
// equal files.
func WriteJUnit(w io.Writer, v *Verdict, suite string) error {
	s := junitSuite{Name: suite}
	for i := range v.Checks {
		c := &v.Checks[i]
		source := c.Source
		if source == "" {
			source = "threshold"
		}
		jc := junitCase{Name: c.Expr, Classname: "poolbench.gate." + source}
		msg := fmt.Sprintf("value %s, want %s", c.ValueText(), c.WantText())
		if c.Detail != "" && !c.Skipped {
			msg += " (" + c.Detail + ")"
		}
		switch {
		case c.Skipped:
			s.Skipped++
			jc.Skipped = &junitMessage{Message: c.Detail}
		case !c.Passed:
			s.Failures++
			jc.Failure = &junitMessage{Message: msg, Type: "threshold", Text: c.Expr + ": " + msg}
		default:
			jc.SystemOut = msg
		}
		s.Cases = append(s.Cases, jc)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: "poolbench gate", Tests: s.Tests, Failures: s.Failures, Skipped: s.Skipped, Suites: []junitSuite{s}}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JUnit XML: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header+string(out)+"\n"); err != nil {
		return fmt.Errorf("write JUnit XML: %w", err)
	}
	return nil
}
