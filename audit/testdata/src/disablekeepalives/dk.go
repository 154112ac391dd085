package disablekeepalives

import "net/http"

const off = true

var literal = &http.Transport{DisableKeepAlives: true} // want `DisableKeepAlives: true closes every connection`

var viaConst = &http.Transport{
	MaxIdleConns:      10,
	DisableKeepAlives: off, // want `DisableKeepAlives: true`
}

func assign() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true // want `DisableKeepAlives: true`
	return t
}

// Good: keep-alives on, or chosen at run time.
var on = &http.Transport{DisableKeepAlives: false}

func configurable(noReuse bool) *http.Transport {
	t := &http.Transport{DisableKeepAlives: noReuse}
	t.DisableKeepAlives = noReuse
	return t
}

// A struct of our own with a field of the same name is not a Transport.
type options struct{ DisableKeepAlives bool }

var mine = options{DisableKeepAlives: true}

func server(s *http.Server) { s.SetKeepAlivesEnabled(true) }
