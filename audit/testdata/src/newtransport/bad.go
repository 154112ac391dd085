package newtransport

import (
	"net/http"
)

// perCall is the classic: a pool made and used once per call.
func perCall(url string) (*http.Response, error) {
	tr := &http.Transport{} // want `new http.Transport in a function that also sends a request through it`
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	return c.Get(url)
}

func inlineClient(req *http.Request) (*http.Response, error) {
	return (&http.Client{Transport: &http.Transport{}}).Do(req) // want `new http.Transport in a function`
}

func newBuiltin(req *http.Request) (*http.Response, error) {
	t := new(http.Transport) // want `new\(http.Transport\) in a function`
	return t.RoundTrip(req)
}

func cloned(req *http.Request) (*http.Response, error) {
	t := http.DefaultTransport.(*http.Transport).Clone() // want `http.Transport.Clone\(\) in a function`
	c := http.Client{}
	c.Transport = t
	return c.Do(req)
}

func valueLiteral(req *http.Request) (*http.Response, error) {
	t := http.Transport{} // want `new http.Transport in a function`
	return t.RoundTrip(req)
}

// wrapped: a RoundTripper around the fresh pool is still the fresh pool.
func wrapped(req *http.Request) (*http.Response, error) {
	c := &http.Client{Transport: logging(&http.Transport{})} // want `new http.Transport in a function`
	return c.Do(req)
}

func logging(rt http.RoundTripper) http.RoundTripper { return rt }

// viaHelper hands the fresh client to a helper that sends with it.
func viaHelper(req *http.Request) error {
	c := &http.Client{Transport: &http.Transport{}} // want `new http.Transport in a function`
	resp, err := send(c, req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func send(c *http.Client, req *http.Request) (*http.Response, error) { return c.Do(req) }

// factory returns a fresh client: fine by itself, reported where it is used per call.
func factory() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
}

func usesFactory(url string) (*http.Response, error) {
	c := factory() // want `call to factory \(which makes a new http.Transport\) in a function`
	return c.Get(url)
}

func inLoop(urls []string) {
	for range urls {
		t := &http.Transport{} // want `new http.Transport inside a loop`
		_ = t
	}
}

func handler(w http.ResponseWriter, r *http.Request) {
	t := &http.Transport{} // want `new http.Transport inside an HTTP handler`
	_ = t
}

var handlerLit = func(w http.ResponseWriter, r *http.Request) {
	_ = &http.Client{Transport: &http.Transport{}} // want `new http.Transport inside an HTTP handler`
}

// Strategy-switching service, the shape of a per-request client strategy.
type svc struct {
	perRequest bool
	shared     *http.Client
}

func (s *svc) newClient() *http.Client {
	t := &http.Transport{}
	var rt http.RoundTripper = t
	return &http.Client{Transport: rt}
}

func (s *svc) client() (*http.Client, func(), error) {
	if !s.perRequest {
		return s.shared, func() {}, nil
	}
	c := s.newClient()
	return c, c.CloseIdleConnections, nil
}

func (s *svc) Execute(req *http.Request) error {
	c, release, err := s.client() // want `call to client \(which makes a new http.Transport\) in a function`
	if err != nil {
		return err
	}
	defer release()
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// perBatch reuses the pool within a batch only.
func perBatch(batches [][]string) {
	for _, b := range batches {
		c := &http.Client{Transport: &http.Transport{}} // want `new http.Transport inside a loop`
		for _, u := range b {
			if resp, err := c.Get(u); err == nil {
				resp.Body.Close()
			}
		}
	}
}
