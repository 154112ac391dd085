// Command bare is the reference floor of bench/peers.sh: the least a Go
// net/http client can do per request — POST fixed bytes on a shared,
// pooled, TLS-verifying client and drain the answer — with C goroutines
// for a fixed duration against a loopback URL. It prints requests/s.
//
//	go run ./bench/bare -ca ca.pem -c 8 -d 10s https://127.0.0.1:8443/api/v2/execute
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	caFile := fs.String("ca", "", "trust the CA certificate in `file` (PEM)")
	conc := fs.Int("c", 8, "concurrent goroutines")
	dur := fs.Duration("d", 10*time.Second, "duration")
	id := fs.String("id", "", "send this X-Request-Id (and Accept: application/json), as poolbench does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *caFile == "" || *conc < 1 || *dur <= 0 || *dur > time.Hour {
		return errors.New("usage: bare -ca FILE [-c C] [-d D] [-id ID] URL")
	}
	target := fs.Arg(0)
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: only loopback targets", target)
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s: no certificate", *caFile)
	}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		MaxIdleConnsPerHost: *conc,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1, like the others
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	body := []byte(`{"language":"python","version":"3.12.0","files":[{"name":"main.py","content":"print(1)"}]}`)
	var ok, failed atomic.Int64
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if *id != "" {
					req.Header.Set("Accept", "application/json")
					req.Header.Set("X-Request-Id", *id)
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	fmt.Printf("requests/s %.1f ok %d failed %d\n", float64(ok.Load())/dur.Seconds(), ok.Load(), failed.Load())
	return nil
}
