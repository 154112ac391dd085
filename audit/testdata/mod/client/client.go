// Package client holds one instance of each pattern poolbench audit reports.
package client

import (
	"net/http"
	"sync"
)

var shared = &http.Client{Transport: &http.Transport{}}

// PerCall makes a pool per call.
func PerCall(url string) (int, error) {
	c := &http.Client{Transport: &http.Transport{}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// NoKeepAlive closes every connection.
var NoKeepAlive = &http.Transport{DisableKeepAlives: true}

// FanOut sends from several goroutines through the shared, default-sized pool.
func FanOut(urls []string) {
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Go(func() {
			if resp, err := shared.Get(u); err == nil {
				resp.Body.Close() //poolbench:ignore undrainedbody status only, bodies are empty
			}
		})
	}
	wg.Wait()
}
