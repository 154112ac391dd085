package execution

import (
	"encoding/json"
	"reflect"
	"testing"
)

// answer is what the mock sends for a request with an id.
const answer = `{"language":"python","version":"3.12.0","run":{"stdout":"id=7 sha256=0123456789abcdef\n","stderr":"","code":0,"signal":null,"output":"id=7 sha256=0123456789abcdef\n"}}`

var decodeCases = []string{
	answer,
	` { "language" : "go" , "run" : { "code" : -3 , "signal" : "SIGKILL" } } `,
	`{"run":{"stdout":"tab\there \"q\" back\\slash \/ \b\f\r"}}`,
	`{"run":{"stdout":"héllo wörld ✓"}}`,
	`{}`,
	`{"run":{}}`,
	`{"run":{"code":null,"signal":null}}`,
	`{"run":{"code":1},"run":{"stdout":"x"}}`, // duplicate keys merge
	`{"language":"a","language":"b"}`,
	`{"run":{"code":-0}}`,
	// Left to encoding/json (the fast path must give up, not differ):
	`{"Language":"python"}`,                 // keys match case-insensitively
	`{"language":"\u00e9"}`,                 // \u escape
	`{"language":"` + "\xff" + `"}`,         // invalid UTF-8 becomes U+FFFD
	`{"language":null}`,                     // null leaves a string field alone
	`{"extra":[1,{"a":2}],"language":"go"}`, // unknown keys are skipped
	`{"run":{"code":1.0}}`,                  // not an int: error
	`{"run":{"code":99999999999999999999}}`, // overflow: error
	`{"run":{"code":01}}`,                   // invalid number
	`{"language":"go"} x`,                   // trailing data
	`{"language":"go",}`,                    // trailing comma
	`{"language":"go"`,                      // truncated
	`[]`,                                    // not an object
	`null`,                                  // no-op
	`{"run":null}`,                          // leaves Run alone
	`{"language":"a` + "\n" + `b"}`,         // control character
	`{"language":"go"}` + "\n",              // trailing newline is fine
	`{"run":{"signal":"SIG` + `\"` + `X"}}`, // escape in a pointer field
	``,
}

// TestDecodeResultMatchesJSON: for every case, decodeResult succeeds
// exactly when json.Unmarshal does, with the same Result.
func TestDecodeResultMatchesJSON(t *testing.T) {
	for _, in := range decodeCases {
		checkDecode(t, []byte(in))
	}
}

func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	var got, want Result
	gotErr := decodeResult(data, &got)
	wantErr := json.Unmarshal(data, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: decodeResult error %v, json.Unmarshal error %v", data, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decodeResult %+v, json.Unmarshal %+v", data, got, want)
	}
}

// TestFastPathTaken: the answers a mock sends never reach encoding/json,
// and cost no more allocations than the strings they carry.
func TestFastPathTaken(t *testing.T) {
	for _, in := range []string{answer, decodeCases[1], decodeCases[2], decodeCases[3]} {
		var res Result
		if !fastResult([]byte(in), &res) {
			t.Errorf("%q: fast path gave up", in)
		}
	}
	for _, in := range []string{`{"Language":"python"}`, `{"language":"\u00e9"}`, `{"language":null}`, `{"language":"go"} x`} {
		var res Result
		if fastResult([]byte(in), &res) {
			t.Errorf("%q: fast path decoded what only encoding/json may", in)
		}
	}
	data := []byte(answer)
	allocs := testing.AllocsPerRun(100, func() {
		var res Result
		if err := decodeResult(data, &res); err != nil {
			t.Fatal(err)
		}
	})
	// language, version, stdout, stderr (empty: none), output, code, and
	// the Result itself (the fallback hands its address to encoding/json).
	if allocs > 6 {
		t.Errorf("decoding the mock's answer: %v allocations, want at most 6", allocs)
	}
}

func FuzzDecodeResult(f *testing.F) {
	for _, in := range decodeCases {
		f.Add([]byte(in))
	}
	f.Fuzz(checkDecode)
}

func BenchmarkDecodeResult(b *testing.B) {
	data := []byte(answer)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var res Result
			if err := decodeResult(data, &res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var res Result
			if err := json.Unmarshal(data, &res); err != nil {
				b.Fatal(err)
			}
		}
	})
}
