// Package vetdemo holds patterns for the poolbench-vet test.
package vetdemo

import "net/http"

// Fetch makes a connection pool per call.
func Fetch(url string) (int, error) {
	c := &http.Client{Transport: &http.Transport{}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// Baseline is the same pattern, kept on purpose.
func Baseline(url string) (*http.Response, error) {
	//poolbench:ignore newtransport the measured baseline
	c := &http.Client{Transport: &http.Transport{}}
	return c.Get(url)
}

// NoReuse closes every connection.
var NoReuse = &http.Transport{DisableKeepAlives: true}
