package newtransport

import (
	"net/http"
	"sync"
)

// shared is made once, at package initialisation.
var shared = &http.Transport{MaxIdleConnsPerHost: 8}

var sharedClient = &http.Client{Transport: &http.Transport{}}

var initialised *http.Transport

func init() {
	initialised = &http.Transport{}
	for range 3 {
		_ = &http.Transport{} // init runs once
	}
}

// Service keeps its pool in a field, built once by the constructor.
type Service struct {
	client *http.Client
	pools  map[string]*http.Transport
}

// NewService builds the pool once.
func NewService(backends []string) *Service {
	s := &Service{
		client: &http.Client{Transport: &http.Transport{}},
		pools:  make(map[string]*http.Transport),
	}
	for _, b := range backends {
		s.pools[b] = &http.Transport{} // one pool per backend, kept
	}
	return s
}

// Get reuses the stored client.
func (s *Service) Get(url string) (*http.Response, error) { return s.client.Get(url) }

// plainClient has no Transport of its own: it shares http.DefaultTransport.
func plainClient(url string) (*http.Response, error) {
	c := &http.Client{}
	return c.Get(url)
}

func plainClientValue(req *http.Request) (*http.Response, error) {
	c := http.Client{Timeout: 0}
	return c.Do(req)
}

// manyRequests makes one pool for many requests: they reuse each other's connections.
func manyRequests(urls []string) error {
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	for _, u := range urls {
		resp, err := c.Get(u)
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	return nil
}

// concurrent shares one pool between goroutines.
func concurrent(urls []string) {
	c := &http.Client{Transport: &http.Transport{}}
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := c.Get(u); err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
}

// lazy builds the pool on first use and keeps it.
var (
	lazyOnce sync.Once
	lazy     *http.Client
)

func lazyGet(url string) (*http.Response, error) {
	lazyOnce.Do(func() { lazy = &http.Client{Transport: &http.Transport{}} })
	return lazy.Get(url)
}

var lazyValue = sync.OnceValue(func() *http.Client {
	return &http.Client{Transport: &http.Transport{}}
})

// constructorInLoop registers one kept service per backend.
func constructorInLoop(backends []string) []*Service {
	var out []*Service
	for range backends {
		out = append(out, &Service{client: &http.Client{Transport: &http.Transport{}}})
	}
	return out
}

// handlerFactory builds the pool once, when the handler is made.
func handlerFactory() http.HandlerFunc {
	c := &http.Client{Transport: &http.Transport{}}
	return func(w http.ResponseWriter, r *http.Request) {
		if resp, err := c.Get("http://backend"); err == nil {
			resp.Body.Close()
		}
	}
}

// factoryOnce calls the factory once and keeps the result.
func factoryOnce() *Service { return &Service{client: factory()} }
