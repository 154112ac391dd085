package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/poolbench/poolbench/harness"
	"github.com/poolbench/poolbench/mockserver"
	"github.com/poolbench/poolbench/scenarios"
)

func init() {
	commands["serve"] = command{"run the mock execution API as a standalone TLS server", runServe}
}

// serveOptions is a validated serve command.
type serveOptions struct {
	server      mockserver.Config
	caOut       string
	allowRemote bool
	cpuprof     string // --cpuprofile; "": none
}

func runServe(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("serve", "serve [--addr 127.0.0.1:8443] [--scenario NAME|FILE] [--rtt D] [--ca-out FILE] [--allow-remote]", stdout)
	addr := fs.String("addr", "127.0.0.1:8443", "listen `address` (loopback unless --allow-remote)")
	scenario := fs.String("scenario", scenarios.Default, "scenario `name` or file whose server settings (latency, faults, limits, protocol, rtt) to serve")
	caOut := fs.String("ca-out", "", "write the CA certificate (PEM) to `file` (default: poolbench-ca.pem in the temp directory)")
	rtt := fs.Duration("rtt", -1, "emulate a network round trip of `D` (default: the scenario's)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --addr (the mock then serves the network)")
	cpuprof := fs.String("cpuprofile", "", "write a CPU profile of the mock to `file` (go tool pprof) when it stops")
	if err := fs.parse(args, 0); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	sc, err := scenarios.Load(*scenario)
	if err != nil {
		return usageError("serve: --scenario: %v", err)
	}
	srvCfg, _ := sc.Configs()
	srvCfg.RTT = sc.Network.RTT
	if *rtt >= 0 {
		if *rtt > mockserver.MaxRTT {
			return usageError("serve: --rtt %v: want 0..%v", *rtt, mockserver.MaxRTT)
		}
		srvCfg.RTT = *rtt
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usageError("serve: --addr %q: %v", *addr, err)
	}
	if !isLoopbackHost(host) {
		if !*allowRemote {
			return usageError("serve: --addr %q is not a loopback address; pass --allow-remote to serve the network", *addr)
		}
		fmt.Fprintf(stderr, "poolbench: warning: serving on non-loopback address %s: anyone who can reach it can use the mock\n", *addr)
		srvCfg.AllowNonLoopback = true
	}
	srvCfg.Addr = *addr
	if *cpuprof != "" {
		if err := checkWritable(*cpuprof); err != nil {
			return usageError("serve: --cpuprofile: %v", err)
		}
	}
	out := *caOut
	if out == "" {
		out = filepath.Join(os.TempDir(), "poolbench-ca.pem")
	}
	return serve(ctx, stdout, serveOptions{server: srvCfg, caOut: out, allowRemote: *allowRemote, cpuprof: *cpuprof})
}

// serve starts the mock, writes its CA, prints where it is and serves
// until ctx is done (SIGINT, SIGTERM).
func serve(ctx context.Context, stdout io.Writer, opts serveOptions) error {
	srv, err := mockserver.NewServer(opts.server)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer srv.Close()
	if err := writeFileAtomic(opts.caOut, srv.CAPEM); err != nil {
		return fmt.Errorf("serve: --ca-out: %w", err)
	}
	stopProfile, err := startCPUProfile(opts.cpuprof)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(stdout, "poolbench mock serving at %s\n", srv.URL)
	fmt.Fprintf(stdout, "CA certificate: %s\n", opts.caOut)
	fmt.Fprintf(stdout, "try: curl --cacert %s %s/stats\n", opts.caOut, srv.URL)
	fmt.Fprintf(stdout, "     poolbench run --target %s --ca %s\n", srv.URL, opts.caOut)
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	if err := stopProfile(true); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".poolbench-ca-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// remoteFlags are run's flags for an external target.
type remoteFlags struct {
	target   string
	ca       string
	insecure bool
}

func addRemoteFlags(fs *flagSet, f *remoteFlags) {
	fs.StringVar(&f.target, "target", "", "run against the server at `URL` (https, loopback only) instead of the in-process mock")
	fs.StringVar(&f.ca, "ca", "", "trust the CA certificate in `file` (PEM) for --target (default: the system roots)")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify --target's TLS certificate (marked in every report)")
}

// remoteOptions is a validated external target.
type remoteOptions struct {
	url      string
	tls      *tls.Config
	insecure bool
}

// options validates the target flags; nil without --target.
func (f *remoteFlags) options(name string, set map[string]bool) (*remoteOptions, error) {
	if f.target == "" {
		if set["ca"] || set["insecure"] {
			return nil, usageError("%s: --ca and --insecure need --target", name)
		}
		return nil, nil
	}
	// Error messages show the target with any password redacted; a URL
	// with credentials is refused (they would not be sent).
	shown := redactURL(f.target)
	u, err := url.Parse(f.target)
	if err == nil && u.User != nil {
		return nil, usageError("%s: --target %q: credentials in the URL are not supported", name, shown)
	}
	if err != nil || u.Host == "" {
		return nil, usageError("%s: --target %q: want an https://host:port URL", name, shown)
	}
	if u.Scheme != "https" {
		return nil, usageError("%s: --target %q: want https (poolbench measures TLS connection reuse)", name, shown)
	}
	if !isLoopbackHost(u.Hostname()) {
		return nil, usageError("%s: --target %q: poolbench sends load only to loopback (127.0.0.0/8, ::1, localhost)", name, shown)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, usageError("%s: --target %q: give the base URL only (scheme, host and port)", name, shown)
	}
	if f.ca != "" && f.insecure {
		return nil, usageError("%s: --ca and --insecure contradict each other", name)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.ca != "" {
		pem, err := os.ReadFile(f.ca)
		if err != nil {
			return nil, usageError("%s: --ca: %v", name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError("%s: --ca %s: no PEM certificate in it", name, f.ca)
		}
		cfg.RootCAs = pool
	}
	if f.insecure {
		cfg.InsecureSkipVerify = true
	}
	return &remoteOptions{url: u.Scheme + "://" + u.Host, tls: cfg, insecure: f.insecure}, nil
}

// targetConfig points cfg at the external target: it uses the target's
// /stats when it serves poolbench's (then the mock's echo is checked too),
// else the server counts are unknown and responses are checked by status
// and JSON shape only.
func targetConfig(ctx context.Context, cfg *harness.Config, r *remoteOptions) (cleanup func()) {
	cfg.BaseURL = r.url
	cfg.TLSConfig = r.tls
	stats := harness.NewRemoteStats(r.url, r.tls)
	if err := stats.Probe(ctx); err != nil {
		stats.Close()
		cfg.Server = nil
		cfg.CheckOutput = false
		return func() {}
	}
	cfg.Server = stats
	cfg.CheckOutput = true
	return stats.Close
}
