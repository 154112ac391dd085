package harness

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/poolbench/poolbench/mockserver"
)

// FuzzRemoteStats serves arbitrary /stats bodies and statuses to the
// --target stats reader (a remote server's answer is untrusted input). It
// must never panic; it accepts only a 200 JSON object with a connections
// field, and then returns exactly what the body says, less its own
// connection.
func FuzzRemoteStats(f *testing.F) {
	var body atomic.Pointer[[]byte]
	var status atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		w.Write(*body.Load())
	}))
	f.Cleanup(srv.Close)
	rs := NewRemoteStats(srv.URL, srv.Client().Transport.(*http.Transport).TLSClientConfig)
	f.Cleanup(rs.Close)

	f.Add([]byte(`{"connections":3,"tls_handshakes":3,"resumed":1,"requests":9,"open_connections":2,"faults":{"reset":1}}`), 200)
	f.Add([]byte(`{"connections":0,"open_connections":0}`), 200)
	f.Add([]byte(`{"requests":9}`), 200)
	f.Add([]byte(`{"connections":"3"}`), 200)
	f.Add([]byte(`{"connections":1e400}`), 200)
	f.Add([]byte(`[1,2]`), 200)
	f.Add([]byte(`{"connections":3}`), 500)
	f.Add([]byte(``), 204)
	f.Fuzz(func(t *testing.T, b []byte, code int) {
		if code < 200 || code > 599 {
			return
		}
		body.Store(&b)
		status.Store(int64(code))
		st, err := rs.Stats(context.Background())
		if err != nil {
			return
		}
		if code != http.StatusOK {
			t.Fatalf("status %d accepted", code)
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(b, &raw) != nil || raw["connections"] == nil {
			t.Fatalf("accepted a body that is not poolbench stats: %q", b)
		}
		var want mockserver.Stats
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("accepted %q, which does not decode: %v", b, err)
		}
		if want.Open > 0 {
			want.Open--
		}
		// The stats client's own connection and handshake are not the
		// server's to report; it dialed once (reset counts never ran).
		if st.Requests != want.Requests || st.Open != want.Open || st.Connections > want.Connections {
			t.Fatalf("Stats() = %+v for body %q", st, b)
		}
	})
}
