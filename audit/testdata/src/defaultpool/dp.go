package defaultpool

import (
	"io"
	"net/http"
	"sync"

	"golang.org/x/sync/errgroup"
)

var client = &http.Client{Transport: &http.Transport{}} // want `hint: shared http.Transport keeps MaxIdleConnsPerHost at the default \(2\) while this package sends requests concurrently \(dp.go:40\)`

// Service keeps a Transport in a field.
type Service struct {
	tr *http.Transport
	c  *http.Client
}

// New builds the shared pool.
func New() *Service {
	tr := http.DefaultTransport.(*http.Transport).Clone() // want `hint: shared http.Transport`
	return &Service{tr: tr, c: &http.Client{Transport: tr}}
}

// Execute sends one request.
func (s *Service) Execute(req *http.Request) error {
	resp, err := s.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func fanOut(s *Service, reqs []*http.Request) {
	var wg sync.WaitGroup
	for _, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Execute(r)
		}()
	}
	wg.Wait()
}

func group(reqs []*http.Request) error {
	var g errgroup.Group
	for _, r := range reqs {
		g.Go(func() error {
			resp, err := client.Do(r)
			if err == nil {
				resp.Body.Close()
			}
			return err
		})
	}
	return g.Wait()
}

// perCall is newtransport's business, not a shared pool.
func perCall(req *http.Request) (*http.Response, error) {
	return (&http.Client{Transport: &http.Transport{}}).Do(req)
}

// noPool has no idle pool to size.
var noPool = &http.Transport{DisableKeepAlives: true}
