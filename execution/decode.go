package execution

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeResult decodes an execute response body into res. It is
// json.Unmarshal(data, res) made cheap for the answers an execution API
// actually sends: a fast path decodes an object of the documented keys
// (spelled exactly) with string, integer and null values and the common
// escapes, and gives up on anything else (another key or spelling, \u
// escapes, invalid UTF-8, a value of another type, trailing data), which
// encoding/json then decodes from scratch. Both paths give the same
// Result and the same success; FuzzDecodeResult checks it on every input.
func decodeResult(data []byte, res *Result) error {
	if fastResult(data, res) {
		return nil
	}
	*res = Result{}
	return json.Unmarshal(data, res)
}

// fastResult reports whether it decoded data into res by itself.
func fastResult(data []byte, res *Result) bool {
	d := decoder{data: data}
	ok := d.object(func(key []byte) bool {
		switch string(key) {
		case "language":
			return d.str(&res.Language)
		case "version":
			return d.str(&res.Version)
		case "run":
			return d.stage(&res.Run)
		}
		return false
	})
	if !ok {
		return false
	}
	d.space()
	return d.i == len(d.data)
}

func (d *decoder) stage(st *Stage) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "stdout":
			return d.str(&st.Stdout)
		case "stderr":
			return d.str(&st.Stderr)
		case "output":
			return d.str(&st.Output)
		case "code":
			if d.null() {
				st.Code = nil
				return true
			}
			n, ok := d.int()
			if ok {
				st.Code = &n
			}
			return ok
		case "signal":
			if d.null() {
				st.Signal = nil
				return true
			}
			var s string
			if !d.str(&s) {
				return false
			}
			st.Signal = &s
			return true
		}
		return false
	})
}

// decoder is a cursor over one JSON document. Every method returns false
// when the input is outside what the fast path handles, valid or not.
type decoder struct {
	data []byte
	i    int
	// scratch holds an escaped string while it is unescaped: short ones
	// (an output line ending in \n) then cost no allocation but their own.
	scratch [128]byte
}

func (d *decoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) consume(c byte) bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object decodes {"key": value, ...}, calling field with each key, the
// cursor on its value.
func (d *decoder) object(field func(key []byte) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	for {
		d.space()
		key, ok := d.raw()
		if !ok || !d.consume(':') {
			return false
		}
		d.space()
		if !field(key) {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// raw returns the bytes of a string with no escapes, the cursor on its
// opening quote (keys: an escaped key is left to encoding/json).
func (d *decoder) raw() ([]byte, bool) {
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	for j := start; j < len(d.data); j++ {
		switch c := d.data[j]; {
		case c == '"':
			d.i = j + 1
			return d.data[start:j], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// str decodes a string into *s. It handles the one-letter escapes and
// valid UTF-8; \u escapes and invalid UTF-8 (which encoding/json
// replaces with U+FFFD) are left to encoding/json. null is refused: for
// a string field, encoding/json leaves the old value, which is rare
// enough not to copy here.
func (d *decoder) str(s *string) bool {
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return false
	}
	start := d.i + 1
	var buf []byte // d.scratch, or larger, from the first escape on
	seg := start   // start of the bytes not yet copied into buf
	escaped := false
	ascii := true
	for j := start; j < len(d.data); j++ {
		c := d.data[j]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(d.data[start:j]) {
				return false
			}
			if !escaped {
				*s = string(d.data[start:j])
			} else {
				*s = string(append(buf, d.data[seg:j]...))
			}
			d.i = j + 1
			return true
		case c == '\\':
			if j+1 >= len(d.data) {
				return false
			}
			var r byte
			switch d.data[j+1] {
			case '"', '\\', '/':
				r = d.data[j+1]
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			default: // \u and invalid escapes
				return false
			}
			if !escaped {
				buf, escaped = d.scratch[:0], true
			}
			buf = append(append(buf, d.data[seg:j]...), r)
			j++
			seg = j + 1
		case c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return false
}

func (d *decoder) null() bool {
	if len(d.data)-d.i >= 4 && string(d.data[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

// int decodes an integer without fraction or exponent that fits an int.
func (d *decoder) int() (int, bool) {
	start := d.i
	j := d.i
	if j < len(d.data) && d.data[j] == '-' {
		j++
	}
	digits := j
	for j < len(d.data) && d.data[j] >= '0' && d.data[j] <= '9' {
		j++
	}
	if j == digits || j-digits > 18 || (d.data[digits] == '0' && j-digits > 1) {
		return 0, false
	}
	if j < len(d.data) {
		switch d.data[j] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(d.data[start:j]))
	if err != nil {
		return 0, false
	}
	d.i = j
	return n, true
}
