package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/poolbench/poolbench/reports"
)

// MaxExprLen bounds an expression, so a hostile scenario file cannot make
// the parser recurse without end.
const MaxExprLen = 1024

// Threshold is a parsed check: two expressions and a comparison.
type Threshold struct {
	// Expr is the expression as written (trimmed).
	Expr string
	// Source says where the threshold came from: "scenario", "flag",
	// "baseline" or whatever the caller sets; it names the JUnit class.
	Source string
	// Note is shown next to the check's result (a baseline's tolerance).
	Note string
	// Optional marks a threshold that is skipped, not an error, when a mode
	// it names is not in the report: a scenario's defaults under --modes.
	Optional bool

	lhs, rhs node
	op       string
	opOff    int
}

// Parse parses expr, "LEFT OP RIGHT" with OP one of == != < <= > >=.
// A syntax error, an unknown metric, function or unit, or values of
// different kinds compared are an *Error with the column.
func Parse(expr string) (*Threshold, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, &Error{Expr: expr, Col: 1, Msg: "empty threshold"}
	}
	if len(expr) > MaxExprLen {
		return nil, errorAt(expr, MaxExprLen, "longer than %d bytes", MaxExprLen)
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{expr: expr, toks: toks}
	lhs, err := p.sum()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if !isComparison(op) {
		if op.kind == tokEOF {
			return nil, errorAt(expr, op.off, "missing comparison (one of == != < <= > >=)")
		}
		return nil, errorAt(expr, op.off, "unexpected %s, want a comparison (one of == != < <= > >=)", op.describe())
	}
	p.next()
	rhs, err := p.sum()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if isComparison(t) {
			return nil, errorAt(expr, t.off, "a threshold has one comparison; write two thresholds")
		}
		return nil, errorAt(expr, t.off, "unexpected %s after the expression", t.describe())
	}
	if err := sameDim(expr, op.off, lhs, rhs); err != nil {
		return nil, err
	}
	return &Threshold{Expr: expr, lhs: lhs, rhs: rhs, op: op.text, opOff: op.off}, nil
}

func isComparison(t token) bool {
	return t.kind == tokOp && slices.Contains([]string{"==", "!=", "<", "<=", ">", ">="}, t.text)
}

// String returns the expression as written.
func (t *Threshold) String() string { return t.Expr }

// Modes returns the modes the threshold names, in order of appearance.
func (t *Threshold) Modes() []string {
	var modes []string
	walk(t.lhs, &modes)
	walk(t.rhs, &modes)
	return modes
}

func walk(n node, modes *[]string) {
	switch n := n.(type) {
	case *refNode:
		if !slices.Contains(*modes, n.mode) {
			*modes = append(*modes, n.mode)
		}
	case *binNode:
		walk(n.l, modes)
		walk(n.r, modes)
	case *negNode:
		walk(n.x, modes)
	case *callNode:
		for _, a := range n.args {
			walk(a, modes)
		}
	}
}

// parser is a recursive-descent parser over the tokens of one expression:
//
//	threshold = sum cmp sum
//	sum       = product { ("+" | "-") product }
//	product   = unary { ("*" | "/") unary }
//	unary     = "-" unary | primary
//	primary   = number [unit] | name | func "(" sum { "," sum } ")" | "(" sum ")"
type parser struct {
	expr  string
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// maxDepth bounds nesting; MaxExprLen already bounds it, this keeps the
// stack small.
const maxDepth = 100

func (p *parser) sum() (node, error) {
	l, err := p.product()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tokOp && (t.text == "+" || t.text == "-"); t = p.peek() {
		p.next()
		r, err := p.product()
		if err != nil {
			return nil, err
		}
		if err := sameDim(p.expr, t.off, l, r); err != nil {
			return nil, err
		}
		l = &binNode{op: t.text, l: l, r: r, o: t.off, d: max(l.dim(), r.dim())}
	}
	return l, nil
}

func (p *parser) product() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tokOp && (t.text == "*" || t.text == "/"); t = p.peek() {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		// A count times a number is a count; a time over a time is a
		// plain number.
		d := dimNone
		switch {
		case r.dim() == dimNone:
			d = l.dim()
		case l.dim() == dimNone && t.text == "*":
			d = r.dim()
		}
		l = &binNode{op: t.text, l: l, r: r, o: t.off, d: d}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	if t := p.peek(); t.kind == tokOp && t.text == "-" {
		p.next()
		if p.depth++; p.depth > maxDepth {
			return nil, errorAt(p.expr, t.off, "nested too deeply")
		}
		x, err := p.unary()
		p.depth--
		if err != nil {
			return nil, err
		}
		return &negNode{x: x, o: t.off}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tokNumber:
		n := &numNode{v: t.num, o: t.off}
		if t.unit != "" {
			u := units[t.unit]
			n.v *= u.factor
			n.d = u.dim
		}
		return n, nil
	case tokLParen:
		if p.depth++; p.depth > maxDepth {
			return nil, errorAt(p.expr, t.off, "nested too deeply")
		}
		x, err := p.sum()
		p.depth--
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, errorAt(p.expr, c.off, "unexpected %s, want %q to close the %q at column %d", c.describe(), ")", "(", errorAt(p.expr, t.off, "").Col)
		}
		return x, nil
	case tokName:
		if p.peek().kind == tokLParen {
			return p.call(t)
		}
		return p.name(t)
	case tokEOF:
		return nil, errorAt(p.expr, t.off, "unexpected end of expression, want a value")
	}
	return nil, errorAt(p.expr, t.off, "unexpected %s, want a value", t.describe())
}

// name resolves a name: MODE.METRIC or a scenario constant.
func (p *parser) name(t token) (node, error) {
	mode, metricName, dotted := strings.Cut(t.text, ".")
	if !dotted {
		if slices.Contains(constants, t.text) {
			return &constNode{name: t.text, o: t.off}, nil
		}
		if _, ok := lookupMetric(t.text); ok {
			return nil, errorAt(p.expr, t.off, "metric %q needs its mode: MODE.%s (e.g. singleton.%s)", t.text, t.text, t.text)
		}
		if _, ok := functions[t.text]; ok {
			return nil, errorAt(p.expr, t.off+len(t.text), "function %s needs its arguments in parentheses", t.text)
		}
		hint := ""
		if strings.Contains(t.text, "-") {
			hint = "; to subtract, put spaces around -"
		}
		return nil, errorAt(p.expr, t.off, "unknown name %q: want MODE.METRIC or a constant (%s)%s", t.text, strings.Join(constants, ", "), hint)
	}
	m, ok := lookupMetric(metricName)
	if !ok {
		return nil, errorAt(p.expr, t.off+len(mode)+1, "unknown metric %q (metrics: %s)", metricName, knownMetrics())
	}
	return &refNode{mode: mode, m: m, o: t.off}, nil
}

func (p *parser) call(t token) (node, error) {
	arity, ok := functions[t.text]
	if !ok {
		return nil, errorAt(p.expr, t.off, "unknown function %q (functions: abs, max, min, ratio)", t.text)
	}
	p.next() // (
	if p.depth++; p.depth > maxDepth {
		return nil, errorAt(p.expr, t.off, "nested too deeply")
	}
	defer func() { p.depth-- }()
	c := &callNode{fn: t.text, o: t.off}
	if p.peek().kind == tokRParen {
		return nil, errorAt(p.expr, p.peek().off, "%s needs %s", t.text, arityText(arity))
	}
	for {
		a, err := p.sum()
		if err != nil {
			return nil, err
		}
		c.args = append(c.args, a)
		sep := p.next()
		if sep.kind == tokRParen {
			break
		}
		if sep.kind != tokComma {
			return nil, errorAt(p.expr, sep.off, "unexpected %s in the arguments of %s, want %q or %q", sep.describe(), t.text, ",", ")")
		}
	}
	if arity > 0 && len(c.args) != arity {
		return nil, errorAt(p.expr, t.off, "%s takes %s, not %d", t.text, arityText(arity), len(c.args))
	}
	switch c.fn {
	case "ratio":
		c.d = dimNone
	default:
		for _, a := range c.args[1:] {
			if err := sameDim(p.expr, a.off(), c.args[0], a); err != nil {
				return nil, err
			}
		}
		for _, a := range c.args {
			c.d = max(c.d, a.dim())
		}
	}
	return c, nil
}

func arityText(n int) string {
	switch n {
	case -1:
		return "one or more arguments"
	case 1:
		return "one argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

// sameDim refuses to combine values of different kinds (a count with a
// time); a plain number goes with anything.
func sameDim(expr string, off int, l, r node) error {
	if l.dim() == dimNone || r.dim() == dimNone || l.dim() == r.dim() {
		return nil
	}
	return errorAt(expr, off, "%s is %s but %s is %s", l, l.dim(), r, r.dim())
}

// env is what expressions are evaluated against.
type env struct {
	expr string
	r    *reports.Report
}

// node is an expression.
type node interface {
	eval(e *env) (float64, error)
	dim() dim
	off() int
	String() string
}

type numNode struct {
	v float64
	d dim
	o int
}

func (n *numNode) eval(*env) (float64, error) { return n.v, nil }
func (n *numNode) dim() dim                   { return n.d }
func (n *numNode) off() int                   { return n.o }
func (n *numNode) String() string             { return formatValue(n.v, n.d) }

type constNode struct {
	name string
	o    int
}

func (n *constNode) dim() dim       { return dimCount }
func (n *constNode) off() int       { return n.o }
func (n *constNode) String() string { return n.name }
func (n *constNode) eval(e *env) (float64, error) {
	switch n.name {
	case "requests":
		if e.r.Scenario.Requests == 0 {
			return 0, errorAt(e.expr, n.o, "requests is not set: the run was bound by a duration; use MODE.requests")
		}
		return float64(e.r.Scenario.Requests), nil
	case "concurrency":
		return float64(e.r.Scenario.Concurrency), nil
	}
	return 0, errorAt(e.expr, n.o, "unknown constant %q", n.name)
}

type refNode struct {
	mode string
	m    metric
	o    int
}

func (n *refNode) dim() dim       { return n.m.dim }
func (n *refNode) off() int       { return n.o }
func (n *refNode) String() string { return n.mode + "." + n.m.name }
func (n *refNode) eval(e *env) (float64, error) {
	for i := range e.r.Modes {
		if e.r.Modes[i].Mode == n.mode {
			v, err := n.m.get(&e.r.Modes[i])
			if err != nil {
				return 0, fmt.Errorf("%s: %w", n, err)
			}
			return v, nil
		}
	}
	return 0, errorAt(e.expr, n.o, "unknown mode %q (modes in the report: %s)", n.mode, strings.Join(reportModes(e.r), ", "))
}

func reportModes(r *reports.Report) []string {
	names := make([]string, len(r.Modes))
	for i, m := range r.Modes {
		names[i] = m.Mode
	}
	return names
}

type binNode struct {
	op   string
	l, r node
	o    int
	d    dim
}

func (n *binNode) dim() dim       { return n.d }
func (n *binNode) off() int       { return n.l.off() }
func (n *binNode) String() string { return n.l.String() + " " + n.op + " " + n.r.String() }
func (n *binNode) eval(e *env) (float64, error) {
	l, err := n.l.eval(e)
	if err != nil {
		return 0, err
	}
	r, err := n.r.eval(e)
	if err != nil {
		return 0, err
	}
	switch n.op {
	case "+":
		return l + r, nil
	case "-":
		return l - r, nil
	case "*":
		return l * r, nil
	}
	return l / r, nil
}

type negNode struct {
	x node
	o int
}

func (n *negNode) dim() dim       { return n.x.dim() }
func (n *negNode) off() int       { return n.o }
func (n *negNode) String() string { return "-" + n.x.String() }
func (n *negNode) eval(e *env) (float64, error) {
	v, err := n.x.eval(e)
	return -v, err
}

type callNode struct {
	fn   string
	args []node
	o    int
	d    dim
}

func (n *callNode) dim() dim { return n.d }
func (n *callNode) off() int { return n.o }
func (n *callNode) String() string {
	args := make([]string, len(n.args))
	for i, a := range n.args {
		args[i] = a.String()
	}
	return n.fn + "(" + strings.Join(args, ", ") + ")"
}
func (n *callNode) eval(e *env) (float64, error) {
	vals := make([]float64, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(e)
		if err != nil {
			return 0, err
		}
		vals[i] = v
	}
	switch n.fn {
	case "ratio":
		return vals[0] / vals[1], nil
	case "min":
		return slices.Min(vals), nil
	case "max":
		return slices.Max(vals), nil
	case "abs":
		return math.Abs(vals[0]), nil
	}
	return 0, errorAt(e.expr, n.o, "unknown function %q", n.fn)
}
