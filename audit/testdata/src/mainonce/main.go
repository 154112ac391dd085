// Command mainonce sends one request: main runs once per process.
package main

import "net/http"

func main() {
	c := &http.Client{Transport: &http.Transport{}}
	if resp, err := c.Get("http://127.0.0.1:1"); err == nil {
		resp.Body.Close()
	}
	fetch("http://127.0.0.1:1")
}

func fetch(url string) {
	c := &http.Client{Transport: &http.Transport{}} // want `new http.Transport in a function`
	if resp, err := c.Get(url); err == nil {
		resp.Body.Close()
	}
}
