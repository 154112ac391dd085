package gate

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tokEOF tokKind = iota
	tokNumber
	tokName
	tokOp     // == != < <= > >= + - * /
	tokLParen // (
	tokRParen // )
	tokComma  // ,
)

func (k tokKind) String() string {
	switch k {
	case tokEOF:
		return "end of expression"
	case tokNumber:
		return "number"
	case tokName:
		return "name"
	case tokOp:
		return "operator"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokComma:
		return `","`
	}
	return "token"
}

// token is one lexeme; off is its byte offset in the expression.
type token struct {
	kind tokKind
	text string // as written
	off  int
	// num and unit are set for numbers: the value as written and its unit
	// ("" for none).
	num  float64
	unit string
}

func (t token) describe() string {
	if t.kind == tokEOF {
		return "end of expression"
	}
	return fmt.Sprintf("%q", t.text)
}

// units maps a unit suffix to the factor that converts it to the metric's
// base unit: milliseconds for times, a fraction for percentages.
var units = map[string]struct {
	factor float64
	dim    dim
}{
	"us": {0.001, dimTime},
	"µs": {0.001, dimTime},
	"ms": {1, dimTime},
	"s":  {1000, dimTime},
	"%":  {0.01, dimFraction},
}

// unitNames lists the units in the order the docs give them.
const unitNames = "us (or µs), ms, s, %"

func isLetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_'
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// lex splits expr into tokens. A name starts with a letter and goes on
// with letters, digits, '_', and '-' or '.' followed by one of those, so
// that "per-request.errors.http_5xx" is one name; subtraction therefore
// needs a space before the '-' or a non-name character after it.
func lex(expr string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(expr) {
		r, size := utf8.DecodeRuneInString(expr[i:])
		switch {
		case r == ' ' || r == '\t':
			i += size
		case isLetter(r):
			start := i
			i += size
			for i < len(expr) {
				c, n := utf8.DecodeRuneInString(expr[i:])
				if isLetter(c) || isDigit(c) {
					i += n
					continue
				}
				if (c == '-' || c == '.') && i+1 < len(expr) {
					next, _ := utf8.DecodeRuneInString(expr[i+1:])
					if isLetter(next) || isDigit(next) {
						i += n
						continue
					}
				}
				break
			}
			toks = append(toks, token{kind: tokName, text: expr[start:i], off: start})
		case isDigit(r) || r == '.' && i+1 < len(expr) && isDigit(rune(expr[i+1])):
			t, err := lexNumber(expr, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.text)
		default:
			t, err := lexOp(expr, i, r)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i += len(t.text)
		}
	}
	return append(toks, token{kind: tokEOF, off: len(expr)}), nil
}

// lexNumber reads digits, an optional fraction and an optional unit written
// right after the number (50ms, 99.5%).
func lexNumber(expr string, start int) (token, error) {
	i := start
	for i < len(expr) && isDigit(rune(expr[i])) {
		i++
	}
	if i < len(expr) && expr[i] == '.' {
		i++
		frac := i
		for i < len(expr) && isDigit(rune(expr[i])) {
			i++
		}
		if i == frac {
			return token{}, errorAt(expr, i, "a number needs digits after its decimal point")
		}
	}
	numEnd := i
	v, err := strconv.ParseFloat(expr[start:numEnd], 64)
	if err != nil {
		return token{}, errorAt(expr, start, "bad number %q", expr[start:numEnd])
	}
	for i < len(expr) {
		c, n := utf8.DecodeRuneInString(expr[i:])
		if !isLetter(c) && !isDigit(c) && c != '%' && c != 'µ' {
			break
		}
		i += n
	}
	t := token{kind: tokNumber, text: expr[start:i], off: start, num: v, unit: expr[numEnd:i]}
	if t.unit != "" {
		if _, ok := units[t.unit]; !ok {
			return token{}, errorAt(expr, numEnd, "unknown unit %q (units: %s)", t.unit, unitNames)
		}
	}
	return t, nil
}

var ops = []string{"==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/"}

func lexOp(expr string, i int, r rune) (token, error) {
	switch r {
	case '(':
		return token{kind: tokLParen, text: "(", off: i}, nil
	case ')':
		return token{kind: tokRParen, text: ")", off: i}, nil
	case ',':
		return token{kind: tokComma, text: ",", off: i}, nil
	}
	for _, op := range ops {
		if strings.HasPrefix(expr[i:], op) {
			return token{kind: tokOp, text: op, off: i}, nil
		}
	}
	switch r {
	case '=':
		return token{}, errorAt(expr, i, `unexpected "=" (compare with ==)`)
	case '!':
		return token{}, errorAt(expr, i, `unexpected "!" (not equal is !=)`)
	}
	if r == utf8.RuneError {
		return token{}, errorAt(expr, i, "invalid UTF-8")
	}
	return token{}, errorAt(expr, i, "unexpected character %q", r)
}
