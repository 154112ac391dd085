package newtransport

import (
	"net/http"
	"testing"
)

// A test runs once: its own client is not a pool per request.
func TestOwnClient(t *testing.T) {
	c := &http.Client{Transport: &http.Transport{}}
	if resp, err := c.Get("http://127.0.0.1:1"); err == nil {
		resp.Body.Close()
	}
}

// A loop in a test still makes a pool per iteration.
func TestLoop(t *testing.T) {
	for range 3 {
		c := &http.Client{Transport: &http.Transport{}} // want `new http.Transport inside a loop`
		if resp, err := c.Get("http://127.0.0.1:1"); err == nil {
			resp.Body.Close()
		}
	}
}

// helperPerCall is not a test function: it runs per call.
func helperPerCall(url string) {
	c := &http.Client{Transport: &http.Transport{}} // want `new http.Transport in a function`
	if resp, err := c.Get(url); err == nil {
		resp.Body.Close()
	}
}
