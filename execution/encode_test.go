package execution_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// TestEncodeCacheFollowsChanges: the service reuses the last encoded body
// only while the request's fields are the same. The mock answers with a
// hash of the code it received, so every answer proves which body was
// sent: a stale body would answer with the previous program's hash.
func TestEncodeCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	svc := newService(t, newMock(t), execution.Options{})

	files := []execution.File{{Name: "main.py", Content: "print(1)"}}
	base := execution.Request{Language: "python", Version: "3.12.0", Files: files}
	steps := []func(r *execution.Request){
		func(r *execution.Request) {},                                // first encoding
		func(r *execution.Request) {},                                // same fields: reused
		func(r *execution.Request) { files[0].Content = "print(2)" }, // caller edits its slice in place
		func(r *execution.Request) { r.Stdin = "input" },             // stdin
		func(r *execution.Request) { r.Args = []string{"-v"} },       // args
		func(r *execution.Request) { r.Args = []string{"-q"} },       // other args
		func(r *execution.Request) { r.Files = append(r.Files, execution.File{Content: "x"}) },
		func(r *execution.Request) { r.Language = "go" }, // in the body, not the hash
		func(r *execution.Request) {},
	}
	req := base
	for i, step := range steps {
		step(&req)
		req.ID = fmt.Sprint(i)
		res, err := svc.Execute(context.Background(), req)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if want := mockserver.Output(req); res.Run.Stdout != want {
			t.Fatalf("step %d: answer %q, want %q: a stale body was sent", i, res.Run.Stdout, want)
		}
		if res.Language != req.Language {
			t.Fatalf("step %d: language %q answered as %q", i, req.Language, res.Language)
		}
	}
}

// TestEncodeCacheConcurrent: workers sending different programs through one
// service at once each get the answer to their own program.
func TestEncodeCacheConcurrent(t *testing.T) {
	t.Parallel()
	svc := newService(t, newMock(t), execution.Options{PoolSize: 4})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				req := execution.Request{
					ID: fmt.Sprintf("%d-%d", w, i), Language: "python", Version: "3.12.0",
					// Two programs per worker, alternating: the shared last
					// body changes under every worker all the time.
					Files: []execution.File{{Content: fmt.Sprintf("print(%d)", w*2+i%2)}},
					Args:  slices.Repeat([]string{"a"}, i%3),
				}
				res, err := svc.Execute(context.Background(), req)
				if err == nil && res.Run.Stdout != mockserver.Output(req) {
					err = fmt.Errorf("request %s: answer %q, want %q", req.ID, res.Run.Stdout, mockserver.Output(req))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestEncodeNilAndEmptyFiles: a nil Files encodes as null and an empty one
// as [], so the cache must not take one for the other. The mock refuses
// both (400), with the same message; what is checked is the body sent,
// through the transport.
func TestEncodeNilAndEmptyFiles(t *testing.T) {
	t.Parallel()
	var bodies []string
	svc := newService(t, newMock(t), execution.Options{
		NewTransport: func(tr *http.Transport) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					return nil, err
				}
				bodies = append(bodies, string(b))
				r.Body = io.NopCloser(bytes.NewReader(b))
				return tr.RoundTrip(r)
			})
		},
	})
	for _, files := range [][]execution.File{nil, {}, nil} {
		svc.Execute(context.Background(), execution.Request{Language: "python", Version: "3", Files: files})
	}
	want := []string{
		`{"language":"python","version":"3","files":null}`,
		`{"language":"python","version":"3","files":[]}`,
		`{"language":"python","version":"3","files":null}`,
	}
	if !slices.Equal(bodies, want) {
		t.Errorf("bodies sent:\n%q\nwant\n%q", bodies, want)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
