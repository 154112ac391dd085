package undrainedbody

import (
	"bufio"
	"encoding/json"
	"io"
	"io/ioutil"
	"net/http"
	"net/http/httputil"
)

func readAll(c *http.Client, url string) ([]byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func legacyReadAll(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return ioutil.ReadAll(resp.Body)
}

func decodeThenDrain(c *http.Client, req *http.Request, v any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}()
	return json.NewDecoder(resp.Body).Decode(v)
}

// drainedWithoutClose: reading to EOF alone returns the connection to the pool.
func drainedWithoutClose(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// returned: the caller owns the body.
func returned(c *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func namedResult(c *http.Client, req *http.Request) (resp *http.Response, err error) {
	resp, err = c.Do(req)
	return
}

// handedOn: another function drains and closes.
func handedOn(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	return consume(resp)
}

func consume(resp *http.Response) error {
	defer drainAndClose(resp.Body)
	return nil
}

func drainAndClose(b io.ReadCloser) {
	io.Copy(io.Discard, b)
	b.Close()
}

func bodyHandedOn(c *http.Client, url string) (int, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

func limitedDrain(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return err
}

func dumped(c *http.Client, url string) ([]byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return httputil.DumpResponse(resp, true)
}

func wrappedBody(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(resp.Body)
	return resp.Body.Close()
}

// head: a response to HEAD has no body; its connection is reused as soon as it arrives.
func head(c *http.Client, url string) (int, error) {
	resp, err := c.Head(url)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func headDiscarded(url string) error {
	_, err := http.Head(url)
	return err
}

// stored: kept for later.
type holder struct{ resp *http.Response }

func stored(c *http.Client, url string, h *holder) error {
	var err error
	h.resp, err = c.Get(url)
	return err
}

func copiedWrite(c *http.Client, url string, w io.Writer) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return resp.Write(w)
}

func channel(c *http.Client, url string, out chan<- *http.Response) {
	resp, err := c.Get(url)
	if err == nil {
		out <- resp
	}
}

// headRequest: a HEAD request built here, sent with Do.
func headRequest(c *http.Client, url string) (int, error) {
	req, err := http.NewRequest(http.MethodHead, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
