package gate

import (
	"fmt"
	"unicode/utf8"
)

// Error is a bad threshold expression: what is wrong and at which column.
type Error struct {
	// Expr is the expression as written.
	Expr string
	// Col is the 1-based column (in characters) of the problem.
	Col int
	// Msg says what is wrong.
	Msg string
}

// Error returns the problem on one line:
// threshold "EXPR": column N: MSG.
func (e *Error) Error() string {
	return fmt.Sprintf("threshold %q: column %d: %s", e.Expr, e.Col, e.Msg)
}

// errorAt returns an *Error at byte offset off of expr.
func errorAt(expr string, off int, format string, args ...any) *Error {
	off = min(max(off, 0), len(expr))
	return &Error{Expr: expr, Col: utf8.RuneCountInString(expr[:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}
