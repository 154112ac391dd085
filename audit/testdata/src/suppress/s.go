package suppress

import "net/http"

func perCall(url string) (*http.Response, error) {
	//poolbench:ignore newtransport the per-request client is the measured baseline
	c := &http.Client{Transport: &http.Transport{}}
	return c.Get(url)
}

func sameLine(url string) (*http.Response, error) {
	c := &http.Client{Transport: &http.Transport{}} //poolbench:ignore newtransport,undrainedbody baseline
	return c.Get(url)
}

func noReason(url string) (*http.Response, error) {
	//poolbench:ignore newtransport
	c := &http.Client{Transport: &http.Transport{}} // want `needs a reason`
	return c.Get(url)
}

func otherAnalyzer(url string) (*http.Response, error) {
	//poolbench:ignore disablekeepalives wrong analyzer named
	c := &http.Client{Transport: &http.Transport{}} // want `new http.Transport in a function`
	return c.Get(url)
}

func twoLinesAbove(url string) (*http.Response, error) {
	//poolbench:ignore newtransport too far away

	c := &http.Client{Transport: &http.Transport{}} // want `new http.Transport in a function`
	return c.Get(url)
}
