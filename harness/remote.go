package harness

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/poolbench/poolbench/mockserver"
)

// RemoteStats is a StatsSource over HTTP: GET {base}/stats and POST
// {base}/stats/reset, as poolbench's mock (poolbench serve) serves them.
//
// Its own requests must not count as connections of the measured mode. It
// uses one dedicated client that keeps a single connection alive, opened
// by Probe before any mode starts, so a reset and the read that follows go
// over a connection the server accepted before the reset and the counts
// in between are the mode's alone. Should the server close that connection
// (an idle timeout, a restart) and the client re-dial, the re-dial is seen
// by the client's own trace and subtracted from Connections, TLSHandshakes
// and Resumed; Open is reduced by the one connection the client holds.
// The stats endpoints are not the execute endpoint, so Requests is
// unaffected.
type RemoteStats struct {
	base   string
	client *http.Client
	trace  *httptrace.ClientTrace
	// Counted since the last reset, by the client's trace.
	dials, handshakes, resumed atomic.Int64
}

// NewRemoteStats returns a RemoteStats for the server at base, trusting
// tlsConfig (cloned).
func NewRemoteStats(base string, tlsConfig *tls.Config) *RemoteStats {
	tr := &http.Transport{
		TLSClientConfig:     tlsConfig.Clone(),
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		ForceAttemptHTTP2:   false,
	}
	r := &RemoteStats{base: strings.TrimRight(base, "/"), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	r.trace = &httptrace.ClientTrace{
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				r.dials.Add(1)
			}
		},
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			if err == nil {
				r.handshakes.Add(1)
				if cs.DidResume {
					r.resumed.Add(1)
				}
			}
		},
	}
	return r
}

// Probe reads the stats once, opening the client's connection: an error
// means the target does not serve poolbench's /stats.
func (r *RemoteStats) Probe(ctx context.Context) error {
	_, err := r.get(ctx, http.MethodGet, "/stats")
	return err
}

// Stats reads the server's counts, less the stats client's own.
func (r *RemoteStats) Stats(ctx context.Context) (mockserver.Stats, error) {
	st, err := r.get(ctx, http.MethodGet, "/stats")
	if err != nil {
		return st, err
	}
	st.Connections -= r.dials.Load()
	st.TLSHandshakes -= r.handshakes.Load()
	st.Resumed -= r.resumed.Load()
	if st.Open > 0 {
		st.Open--
	}
	return st, nil
}

// ResetStats zeroes the server's counts and the client's own.
func (r *RemoteStats) ResetStats(ctx context.Context) error {
	_, err := r.get(ctx, http.MethodPost, "/stats/reset")
	r.dials.Store(0)
	r.handshakes.Store(0)
	r.resumed.Store(0)
	return err
}

// Close closes the client's connection.
func (r *RemoteStats) Close() { r.client.CloseIdleConnections() }

func (r *RemoteStats) get(ctx context.Context, method, path string) (mockserver.Stats, error) {
	var st mockserver.Stats
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, r.trace), method, r.base+path, nil)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return st, fmt.Errorf("stats: %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("stats: %s %s: status %d", method, path, resp.StatusCode)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return st, fmt.Errorf("stats: %s %s: not poolbench stats: %w", method, path, err)
	}
	if _, ok := raw["connections"]; !ok {
		return st, fmt.Errorf("stats: %s %s: not poolbench stats (no connections field)", method, path)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("stats: %s %s: %w", method, path, err)
	}
	return st, nil
}
