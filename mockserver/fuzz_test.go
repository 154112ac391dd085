package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/execution"
)

var fuzzBodies = []string{
	`{"language":"python","version":"3.12.0","files":[{"name":"main.py","content":"print(1)"}]}`,
	`{"language":"python","version":"3","files":[{"content":"x"}],"stdin":"in","args":["a","b"]}`,
	`{"language":"python","version":"3","files":[{"content":""}]}`,
	`{"language":"python"}`,
	`{"lang":"py"}`,
	`{"language":"python","version":"3","files":[{"content":"x"}]} {}`,
	`{"language":"python","version":"3","files":[{"content":"x"}]}` + strings.Repeat(" ", 5000),
	`[]`, `null`, `{"files":null}`, `{"language":1}`, "\xff\xfe", ``,
}

// FuzzDecodeStrict feeds the mock's request decoder arbitrary bodies: it
// must never panic, and what it accepts must carry every required field and
// encode to a body it accepts again, unchanged.
func FuzzDecodeStrict(f *testing.F) {
	for _, b := range fuzzBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req execution.Request
		if err := decodeStrict(body, &req); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on more than one line: %q", err)
			}
			return
		}
		if req.Language == "" || req.Version == "" || len(req.Files) == 0 {
			t.Fatalf("accepted a request without a required field: %+v", req)
		}
		for i, fl := range req.Files {
			if fl.Content == "" {
				t.Fatalf("accepted files[%d] with empty content", i)
			}
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		var req2 execution.Request
		if err := decodeStrict(again, &req2); err != nil {
			t.Fatalf("re-encoded request refused: %v\n%s", err, again)
		}
		if Output(req) != Output(req2) {
			t.Fatalf("re-encoded request answers differently: %+v vs %+v", req, req2)
		}
	})
}

// FuzzExecuteHandler drives the mock's HTTP handler with arbitrary bodies,
// request ids and methods (no network: a ResponseRecorder). It must never
// panic; every answer is JSON with a known status; a 200 proves its
// request (Output) and echoes the id; bodies over MaxBodyBytes get 413.
func FuzzExecuteHandler(f *testing.F) {
	const maxBody = 1024
	s, err := NewUnstartedServer(Config{MaxBodyBytes: maxBody})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	for i, b := range fuzzBodies {
		f.Add([]byte(b), "req-"+string(rune('a'+i)), http.MethodPost)
	}
	f.Add([]byte(`{"language":"python","version":"3","files":[{"content":"`+strings.Repeat("x", 2*maxBody)+`"}]}`), "big", http.MethodPost)
	f.Add([]byte(nil), "", http.MethodGet)
	f.Fuzz(func(t *testing.T, body []byte, id, method string) {
		if !validMethod(method) || !validHeaderValue(id) {
			return // net/http refuses these before any handler runs
		}
		r := httptest.NewRequest(method, "https://127.0.0.1"+execution.ExecutePath, bytes.NewReader(body))
		if id != "" {
			r.Header.Set(execution.RequestIDHeader, id)
		}
		before := s.Stats().Requests
		w := httptest.NewRecorder()
		s.serveHTTP(w, r)
		resp := w.Result()
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("status %d with Content-Type %q", resp.StatusCode, ct)
		}
		var decoded any
		if err := json.Unmarshal(w.Body.Bytes(), &decoded); err != nil {
			t.Fatalf("status %d with a body that is not JSON: %v", resp.StatusCode, err)
		}
		if method != http.MethodPost {
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("%s answered %d, want 405", method, resp.StatusCode)
			}
			return
		}
		if got, want := s.Stats().Requests, before+1; got != want {
			t.Fatalf("request count %d after one request, want %d", got, want)
		}
		var req execution.Request
		decErr := decodeStrict(body, &req)
		switch {
		case len(body) > maxBody:
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("a %d-byte body answered %d, want 413", len(body), resp.StatusCode)
			}
		case decErr != nil:
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("an invalid body (%v) answered %d, want 400", decErr, resp.StatusCode)
			}
		default:
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("a valid body answered %d: %s", resp.StatusCode, w.Body.Bytes())
			}
			var res execution.Result
			if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			req.ID = id
			// JSON carries strings as UTF-8: invalid bytes of an id
			// arrive as U+FFFD, as they would at any JSON client.
			want, _ := json.Marshal(Output(req))
			var wantStdout string
			if err := json.Unmarshal(want, &wantStdout); err != nil {
				t.Fatal(err)
			}
			if got, want := res.Run.Stdout, wantStdout; got != want {
				t.Fatalf("stdout %q, want %q", got, want)
			}
			if got := resp.Header.Get(execution.RequestIDHeader); got != id {
				t.Fatalf("echoed id %q, want %q", got, id)
			}
		}
	})
}

// validMethod reports whether m is an HTTP token, as net/http requires.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range []byte(m) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v could arrive as a header value.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(v) == v
}

// TestDecodeStrictFieldNamesAreCaseSensitive: encoding/json matches field
// names without regard to case; Piston does not, so neither does the mock
// (a case the fuzzer found: "lAnguAge" and "Content" were accepted).
func TestDecodeStrictFieldNamesAreCaseSensitive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, want string }{
		{`{"Language":"python","version":"3","files":[{"content":"x"}]}`, `invalid JSON body: unknown field "Language" (field names are case-sensitive)`},
		{`{"language":"python","version":"3","files":[{"Content":"x"}]}`, `invalid JSON body: unknown field "Content" in files[0] (field names are case-sensitive)`},
		{`{"language":"python","LANGUAGE":"go","version":"3","files":[{"content":"x"}]}`, `invalid JSON body: unknown field "LANGUAGE" (field names are case-sensitive)`},
		{`{"language":"python","version":"3","files":[{"name":"a.py","content":"x"}],"stdin":"","args":[]}`, ""},
	} {
		var req execution.Request
		err := decodeStrict([]byte(tc.body), &req)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("decodeStrict(%s) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
