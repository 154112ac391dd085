package undrainedbody

import (
	"encoding/json"
	"net/http"
)

func closedUnread(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close() // want `response body closed without being read to EOF`
	return resp.StatusCode, nil
}

func decodedOnly(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close() // want `response body closed after a Decoder read it`
	return json.NewDecoder(resp.Body).Decode(v)
}

func neverClosed(url string) (int, error) {
	resp, err := http.Get(url) // want `response body is never closed or drained`
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func decodedNeverClosed(url string, v any) error {
	resp, err := http.Get(url) // want `response body is never closed or drained`
	if err != nil {
		return err
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func discarded(c *http.Client, req *http.Request) error {
	_, err := c.Do(req) // want `response discarded with _`
	return err
}

func closureClose(rt http.RoundTripper, req *http.Request) error {
	var resp *http.Response
	var err error
	resp, err = rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer func() {
		_ = resp.Body.Close() // want `response body closed without being read to EOF`
	}()
	if resp != nil && resp.Body != nil {
		return nil
	}
	return nil
}

// getRequest: the same shape with GET is reported.
func getRequest(c *http.Client, url string) (int, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close() // want `response body closed without being read to EOF`
	return resp.StatusCode, nil
}
