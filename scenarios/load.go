package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// MaxFileBytes bounds a scenario file.
const MaxFileBytes = 1 << 20

// Problem is one thing wrong with a scenario: where, and what.
type Problem struct {
	// Field is the path of the value at fault, e.g. "workload.rate" or
	// "modes[1]"; "" for the file as a whole.
	Field string
	// Line and Col locate the value in the file (1-based); 0 when the
	// scenario was not read from a file.
	Line, Col int
	// Msg says what is wrong.
	Msg string
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Msg
	}
	return p.Field + ": " + p.Msg
}

// Error lists every problem found in a scenario, each on its own line
// ("file:line:col: field: message" for a file).
type Error struct {
	// File is the scenario file; "" for a scenario not read from one.
	File string
	// Name is the scenario's name, for a scenario not read from a file.
	Name     string
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		switch {
		case e.File != "" && p.Line > 0:
			lines[i] = fmt.Sprintf("%s:%d:%d: %s", e.File, p.Line, p.Col, p)
		case e.File != "":
			lines[i] = e.File + ": " + p.String()
		default:
			lines[i] = "scenario " + e.Name + ": " + p.String()
		}
	}
	return strings.Join(lines, "\n")
}

// IsFile reports whether ref names a scenario file rather than a catalog
// entry: it ends in .yaml or .yml, or contains a slash.
func IsFile(ref string) bool {
	return strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") || strings.ContainsRune(ref, '/') ||
		strings.ContainsRune(ref, filepath.Separator)
}

// Load returns the scenario ref names: a catalog entry (Lookup) or a YAML
// file (LoadFile), as IsFile tells.
func Load(ref string) (Scenario, error) {
	if IsFile(ref) {
		return LoadFile(ref)
	}
	return Lookup(ref)
}

// LoadFile reads, decodes and validates the scenario file at path.
func LoadFile(path string) (Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return Scenario{}, fmt.Errorf("scenario file %s: larger than %d bytes", path, MaxFileBytes)
	}
	return Parse(path, data)
}

// Parse decodes a scenario from YAML, sets its defaults and validates it.
// file names the source in errors, and names the scenario when it has no
// name of its own. Decoding is strict: an unknown field, a value of the
// wrong type, a duration without a unit or a second document is an error.
// A failed Parse returns an *Error whose problems carry their line and
// column; validation reports every problem at once.
func Parse(file string, data []byte) (Scenario, error) {
	fail := func(ps ...Problem) (Scenario, error) {
		return Scenario{}, &Error{File: file, Problems: ps}
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return fail(yamlProblem(err, nil))
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return fail(Problem{Line: 1, Col: 1, Msg: "no scenario: the file is empty"})
	}
	if len(docs) > 1 {
		pos := docs[1].Body.GetToken().Position
		if docs[1].Start != nil {
			pos = docs[1].Start.Position // the "---" that starts it
		}
		return fail(Problem{Line: pos.Line, Col: pos.Column, Msg: "a second YAML document: a scenario file holds one"})
	}
	body := docs[0].Body
	if ps := checkPlain(body); len(ps) > 0 {
		return fail(ps...)
	}
	idx := indexNodes(body)
	if ps := checkDurations(body, idx); len(ps) > 0 {
		return fail(ps...)
	}
	var s Scenario
	if err := decode(body, &s); err != nil {
		return fail(yamlProblem(err, idx))
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		var ve *Error
		if !errors.As(err, &ve) {
			return Scenario{}, err
		}
		for i := range ve.Problems {
			ve.Problems[i].Line, ve.Problems[i].Col = idx.locate(ve.Problems[i].Field)
		}
		slices.SortStableFunc(ve.Problems, func(a, b Problem) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
		})
		ve.File = file
		return Scenario{}, ve
	}
	return s, nil
}

// decode decodes body into s, strictly. go-yaml has panicked on odd input
// (found by FuzzParse); a panic is reported as an error at the document.
func decode(body ast.Node, s *Scenario) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &yaml.SyntaxError{Message: fmt.Sprintf("cannot decode this YAML (%v)", r), Token: body.GetToken()}
		}
	}()
	return yaml.NodeToValue(body, s, yaml.DisallowUnknownField(),
		yaml.CustomUnmarshaler(func(d *time.Duration, b []byte) error {
			v, err := parseDuration(string(b))
			*d = v
			return err
		}))
}

// checkPlain refuses YAML tags, anchors and aliases: a scenario needs
// none, and they are where decoders go wrong.
func checkPlain(body ast.Node) []Problem {
	var ps []Problem
	ast.Walk(visitFunc(func(n ast.Node) {
		var what string
		switch n.(type) {
		case *ast.TagNode:
			what = "a YAML tag"
		case *ast.AnchorNode:
			what = "a YAML anchor"
		case *ast.AliasNode:
			what = "a YAML alias"
		default:
			return
		}
		pr := Problem{Field: fieldPath(n.GetPath()), Msg: what + ": scenario files take plain values"}
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			pr.Line, pr.Col = tk.Position.Line, tk.Position.Column
		}
		ps = append(ps, pr)
	}), body)
	return ps
}

// parseDuration parses a Go duration ("250ms", "2s"); a bare 0 is allowed.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// nodeIndex maps the YAML paths of a document ("$.workload.rate") to the
// position of their value, and positions back to paths.
type nodeIndex struct {
	pos  map[string]token.Position
	path map[[2]int]string // {line, col} of a value or key -> its path
}

// indexNodes walks the document once. A scalar is located at its value; a
// mapping or a list at its key, where a reader looks for it.
func indexNodes(body ast.Node) *nodeIndex {
	idx := &nodeIndex{pos: map[string]token.Position{}, path: map[[2]int]string{}}
	ast.Walk(indexer{idx}, body)
	return idx
}

type indexer struct{ idx *nodeIndex }

func (v indexer) Visit(n ast.Node) ast.Visitor {
	if n == nil || n.GetToken() == nil {
		return v
	}
	p := n.GetPath()
	tp := *n.GetToken().Position
	if mv, ok := n.(*ast.MappingValueNode); ok && mv.Value != nil && mv.Value.GetToken() != nil {
		switch mv.Value.(type) {
		case *ast.MappingNode, *ast.SequenceNode:
			tp = *mv.Key.GetToken().Position
		default:
			tp = *mv.Value.GetToken().Position
		}
		v.idx.pos[p] = tp
	} else if _, seen := v.idx.pos[p]; !seen {
		v.idx.pos[p] = tp
	}
	key := [2]int{n.GetToken().Position.Line, n.GetToken().Position.Column}
	if _, seen := v.idx.path[key]; !seen || len(p) > len(v.idx.path[key]) {
		v.idx.path[key] = p
	}
	return v
}

// locate returns the line and column of field ("workload.rate",
// "modes[1]"), or of its nearest ancestor present in the file (a default
// that failed validation is located at the section that lacks it).
func (idx *nodeIndex) locate(field string) (line, col int) {
	p := "$"
	if field != "" {
		p = "$." + field
	}
	for {
		if tp, ok := idx.pos[p]; ok {
			return tp.Line, tp.Column
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return 1, 1
		}
		p = p[:i]
	}
}

// fieldPath turns a YAML path ("$.workload.rate") into a field name
// ("workload.rate").
func fieldPath(p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, "$"), ".")
}

// yamlProblem turns a go-yaml error into a positioned problem with a plain
// message.
func yamlProblem(err error, idx *nodeIndex) Problem {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return Problem{Msg: err.Error()}
	}
	tk := ye.GetToken()
	pr := Problem{Line: tk.Position.Line, Col: tk.Position.Column, Msg: ye.GetMessage()}
	var path string
	if idx != nil {
		path = idx.path[[2]int{tk.Position.Line, tk.Position.Column}]
	}
	var (
		te *yaml.TypeError
		ue *yaml.UnknownFieldError
		ne *yaml.UnexpectedNodeTypeError
		oe *yaml.OverflowError
	)
	switch {
	case errors.As(err, &te):
		pr.Field = fieldPath(path)
		pr.Msg = fmt.Sprintf("want %s, got %s", describeType(te.DstType), quoteToken(tk))
	case errors.As(err, &ue):
		parent := path
		if i := strings.LastIndexAny(parent, ".["); i >= 0 {
			parent = parent[:i]
		}
		pr.Field = fieldPath(parent)
		pr.Msg = fmt.Sprintf("unknown field %q", tk.Value)
		if known := fieldsAt(reflect.TypeFor[Scenario](), pr.Field); len(known) > 0 {
			pr.Msg += " (known: " + strings.Join(known, ", ") + ")"
		}
	case errors.As(err, &oe):
		pr.Field = fieldPath(path)
		pr.Msg = fmt.Sprintf("%s is out of range for %s", oe.SrcNum, describeType(oe.DstType))
	case errors.As(err, &ne):
		pr.Field = fieldPath(path)
		pr.Msg = fmt.Sprintf("want %s, got %s", nodeTypeName(ne.Expected), nodeTypeName(ne.Actual))
	}
	return pr
}

func quoteToken(tk *token.Token) string {
	if tk.Value == "" {
		return "nothing"
	}
	return strconv.Quote(tk.Value)
}

func nodeTypeName(t ast.NodeType) string {
	switch t {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping (key: value lines)"
	case ast.SequenceType:
		return "a list"
	case ast.IntegerType:
		return "an integer"
	case ast.FloatType:
		return "a number"
	case ast.StringType:
		return "a string"
	case ast.BoolType:
		return "true or false"
	case ast.NullType:
		return "nothing"
	}
	return strings.ToLower(t.String())
}

// describeType names what a Go type wants in YAML terms.
func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if t == reflect.TypeFor[time.Duration]() {
		return "a duration such as 250ms or 2s"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping (key: value lines)"
	}
	return t.String()
}

// yamlFields returns the YAML names of struct type t's fields and their types.
func yamlFields(t reflect.Type) (names []string, types []reflect.Type) {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		names = append(names, name)
		types = append(types, f.Type)
	}
	return names, types
}

// fieldsAt returns the YAML field names of the mapping at field ("" for
// the top level, "server.faults"), or nil when field is not a mapping.
func fieldsAt(t reflect.Type, field string) []string {
	if field != "" {
		for part := range strings.SplitSeq(field, ".") {
			names, types := yamlFields(t)
			found := false
			for i, n := range names {
				if n == part {
					t, found = types[i], true
					break
				}
			}
			if !found {
				return nil
			}
		}
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	names, _ := yamlFields(t)
	return names
}

// durationPaths returns the YAML paths of every time.Duration field of t.
func durationPaths(t reflect.Type, prefix string, into map[string]bool) {
	names, types := yamlFields(t)
	for i, n := range names {
		p := prefix + "." + n
		switch {
		case types[i] == reflect.TypeFor[time.Duration]():
			into[p] = true
		case types[i].Kind() == reflect.Struct:
			durationPaths(types[i], p, into)
		}
	}
}

// checkDurations reports every duration field whose value is not a Go
// duration string (or 0): go-yaml's own error for those has no position,
// and a bare number of nanoseconds is never what a scenario means.
func checkDurations(body ast.Node, idx *nodeIndex) []Problem {
	paths := map[string]bool{}
	durationPaths(reflect.TypeFor[Scenario](), "$", paths)
	var ps []Problem
	ast.Walk(visitFunc(func(n ast.Node) {
		mv, ok := n.(*ast.MappingValueNode)
		if !ok || !paths[mv.GetPath()] || mv.Value == nil {
			return
		}
		var msg string
		switch v := mv.Value.(type) {
		case *ast.StringNode:
			if _, err := parseDuration(v.Value); err != nil {
				msg = fmt.Sprintf("%q is not a duration (want e.g. 250ms, 2s, 1m30s)", v.Value)
			}
		case *ast.IntegerNode:
			if v.GetToken().Value != "0" {
				msg = fmt.Sprintf("%s has no unit (want e.g. %ss or %sms)", v.GetToken().Value, v.GetToken().Value, v.GetToken().Value)
			}
		case *ast.NullNode:
		default:
			msg = fmt.Sprintf("want a duration such as 250ms or 2s, got %s", nodeTypeName(v.Type()))
		}
		if msg != "" {
			line, col := idx.locate(fieldPath(mv.GetPath()))
			ps = append(ps, Problem{Field: fieldPath(mv.GetPath()), Line: line, Col: col, Msg: msg})
		}
	}), body)
	return ps
}

type visitFunc func(ast.Node)

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if n != nil {
		f(n)
	}
	return f
}

// YAML encodes s as a scenario file that Parse reads back to s.
func (s Scenario) YAML() ([]byte, error) {
	return yaml.MarshalWithOptions(s, yaml.Indent(2), yaml.IndentSequence(true),
		yaml.CustomMarshaler(func(d time.Duration) ([]byte, error) { return []byte(d.String()), nil }))
}
