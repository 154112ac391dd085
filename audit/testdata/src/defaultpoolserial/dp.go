// Package defaultpoolserial shares a default pool but never sends concurrently: no hint.
package defaultpoolserial

import "net/http"

var client = &http.Client{Transport: &http.Transport{}}

func serial(reqs []*http.Request) {
	for _, r := range reqs {
		if resp, err := client.Do(r); err == nil {
			resp.Body.Close()
		}
	}
}

// background runs something that sends nothing.
func background(done chan<- struct{}) {
	go func() { close(done) }()
}
