package execution_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

func newMock(t *testing.T) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.NewServer(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// newService returns a service of srv with opts (BaseURL and TLSConfig
// filled in), closed at the end of the test.
func newService(t *testing.T, srv *mockserver.Server, opts execution.Options) *execution.Service {
	t.Helper()
	opts.BaseURL, opts.TLSConfig = srv.URL, srv.ClientTLSConfig()
	svc, err := execution.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

var hello = execution.Request{
	Language: "python",
	Version:  "3.12.0",
	Files:    []execution.File{{Name: "main.py", Content: "print(1)"}},
}

// TestRefactorClaim reproduces the refactor's own measurement: 5 calls build
// 5 clients and transports per request, and 1 with the singleton. It counts
// constructions through the injected factory, not by mocking net/http.
func TestRefactorClaim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		strategy                execution.Strategy
		wantTransports, wantNew int64
	}{
		{execution.PerRequest, 5, 5},
		{execution.Singleton, 1, 1},
		{execution.SingletonDefaultPool, 1, 1},
		{execution.PerRequestLeaky, 5, 5},
		{execution.PerRequestResume, 5, 5},
	} {
		t.Run(string(tc.strategy), func(t *testing.T) {
			t.Parallel()
			srv := newMock(t)
			var built atomic.Int64
			svc, err := execution.New(execution.Options{
				BaseURL:   srv.URL,
				Strategy:  tc.strategy,
				TLSConfig: srv.ClientTLSConfig(),
				NewTransport: func(tr *http.Transport) http.RoundTripper {
					built.Add(1)
					return tr
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			for i := 0; i < 5; i++ {
				req := hello
				req.ID = "r" + string(rune('0'+i))
				res, err := svc.Execute(context.Background(), req)
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				if got, want := res.Run.Stdout, mockserver.Output(req); got != want {
					t.Errorf("call %d: stdout %q, want %q", i, got, want)
				}
				if got, want := res.RequestID, req.ID; got != want {
					t.Errorf("call %d: request id %q, want %q", i, got, want)
				}
			}
			if got := built.Load(); got != tc.wantTransports {
				t.Errorf("transports built = %d, want %d", got, tc.wantTransports)
			}
			if got := svc.ClientsBuilt(); got != tc.wantNew {
				t.Errorf("clients built = %d, want %d", got, tc.wantNew)
			}
			svc.Close()
			if got, want := srv.Stats().Requests, int64(5); got != want {
				t.Errorf("server requests = %d, want %d", got, want)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	svc := newService(t, newMock(t), execution.Options{})
	_, err := svc.Execute(context.Background(), execution.Request{Language: "python"})
	var se *execution.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *StatusError", err)
	}
	if got, want := se.Code, http.StatusBadRequest; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got, want := se.Message, "missing required field(s): version, files"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	svc := newService(t, newMock(t), execution.Options{})
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := svc.Execute(context.Background(), hello); !errors.Is(err, execution.ErrClosed) {
		t.Errorf("Execute after Close: %v, want ErrClosed", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []execution.Options{
		{},
		{BaseURL: "127.0.0.1:80"},
		{BaseURL: "https://127.0.0.1:1", Strategy: "pooled"},
	} {
		if _, err := execution.New(o); err == nil {
			t.Errorf("New(%+v) = nil error, want one", o)
		}
	}
}

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	svc, err := execution.New(execution.Options{BaseURL: "https://127.0.0.1:1", MaxRequestBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	req := hello
	req.Files = []execution.File{{Content: string(make([]byte, 100))}}
	if _, err := svc.Execute(context.Background(), req); !errors.Is(err, execution.ErrRequestTooLarge) {
		t.Errorf("err = %v, want ErrRequestTooLarge", err)
	}
}
