package execution_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/poolbench/poolbench/execution"
	"github.com/poolbench/poolbench/mockserver"
)

// TestBodyCaps checks the client's request and response caps against the
// mock, and the mock's own cap (413) seen from the client.
func TestBodyCaps(t *testing.T) {
	t.Parallel()
	const capBytes = 4096
	// A server whose answer's stdout is as long as the request's code says.
	big := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req execution.Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Files) != 1 {
			http.Error(w, "bad request", 400)
			return
		}
		n, _ := strconv.Atoi(req.Files[0].Content)
		w.Header().Set("Content-Type", "application/json")
		body := `{"language":"python","version":"3","run":{"stdout":"` + strings.Repeat("x", n) + `"}}`
		w.Write([]byte(body))
	}))
	t.Cleanup(big.Close)
	bigTLS := &tls.Config{RootCAs: big.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	envelope := len(`{"language":"python","version":"3","run":{"stdout":""}}`)

	mock, err := mockserver.NewServer(mockserver.Config{MaxBodyBytes: 512})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mock.Close)

	for _, tc := range []struct {
		name    string
		url     string
		tls     *tls.Config
		opts    execution.Options
		size    int // response stdout length asked of the big server
		content int // size of the request's file
		wantErr error
		wantSC  int // a *StatusError with this code
		sent    int64
	}{
		{name: "response at the cap", url: big.URL, tls: bigTLS, size: capBytes - envelope},
		{name: "response one byte over the cap", url: big.URL, tls: bigTLS, size: capBytes - envelope + 1, wantErr: execution.ErrBodyTooLarge},
		{name: "request over the client's cap is not sent", url: mock.URL, tls: mock.ClientTLSConfig(), content: 2 * capBytes, wantErr: execution.ErrRequestTooLarge},
		{name: "request over the mock's cap is answered 413", url: mock.URL, tls: mock.ClientTLSConfig(), content: 1024, wantSC: 413, sent: 1},
		{name: "request under both caps", url: mock.URL, tls: mock.ClientTLSConfig(), content: 100, sent: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := execution.New(execution.Options{BaseURL: tc.url, TLSConfig: tc.tls, MaxRequestBytes: capBytes, MaxResponseBytes: capBytes})
			if err != nil {
				t.Fatal(err)
			}
			defer svc.Close()
			req := hello
			if tc.content > 0 {
				req.Files = []execution.File{{Content: strings.Repeat("y", tc.content)}}
			}
			if tc.size > 0 {
				req.Files = []execution.File{{Content: strconv.Itoa(tc.size)}}
			}
			before := mock.Stats().Requests
			_, err = svc.Execute(context.Background(), req)
			var se *execution.StatusError
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("err = %v, want %v", err, tc.wantErr)
				}
			case tc.wantSC != 0:
				if !errors.As(err, &se) || se.Code != tc.wantSC {
					t.Errorf("err = %v, want HTTP %d", err, tc.wantSC)
				}
			case err != nil:
				t.Errorf("err = %v, want none", err)
			}
			if tc.url == mock.URL {
				if got, want := mock.Stats().Requests-before, tc.sent; got != want {
					t.Errorf("mock saw %d requests, want %d", got, want)
				}
			}
		})
	}
}
